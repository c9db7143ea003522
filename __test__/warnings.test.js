'use strict';
// Every process warning leakguard emits goes through lib/internal/errors.js's
// `warn` with a code from WARNINGS, each code is documented, and no
// production module exports a test hook (tests use lib/internal/unsafe-internals.js).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const { WARNINGS } = require('../lib/internal/errors');

function sources() {
  const out = ['register.js', 'index.js', 'bin/leakguard.js'];
  const walk = (dir) => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.js')) out.push(rel);
    }
  };
  walk('lib');
  return out.map((rel) => ({ rel, text: fs.readFileSync(path.join(ROOT, rel), 'utf8') }));
}

test('warnings are emitted only through the error table', () => {
  for (const { rel, text } of sources()) {
    if (rel === path.join('lib', 'internal', 'errors.js')) continue;
    assert.doesNotMatch(text, /process\.emitWarning\(/, `${rel} emits a warning outside lib/internal/errors.js`);
    assert.doesNotMatch(text, /code: 'LEAKGUARD_/, `${rel} writes a warning code as a literal`);
  }
});

test('every warning code is documented', () => {
  const docs = fs
    .readdirSync(path.join(ROOT, 'docs'))
    .map((f) => fs.readFileSync(path.join(ROOT, 'docs', f), 'utf8'))
    .join('\n');
  for (const code of Object.values(WARNINGS)) assert.ok(docs.includes(code), `${code} in docs/`);
});

test('no production module exports a test hook', () => {
  // register.js, bin/ and the CLI's agent start things when loaded; the door is the one place meant for tests.
  const skip = new Set(['register.js', path.join('bin', 'leakguard.js'), path.join('lib', 'cli', 'run-agent.js'), path.join('lib', 'internal', 'unsafe-internals.js')]);
  for (const { rel } of sources()) {
    if (skip.has(rel)) continue;
    const exported = Object.keys(require(path.join(ROOT, rel)));
    for (const name of exported) assert.doesNotMatch(name, /^(testing|__test|_test|unsafe|set\w*Internals$|\w*Tick$)/i, `${rel} exports ${name}`);
  }
});
