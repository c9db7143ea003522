'use strict';
// leakguard/test under another test runner than node:test: Mocha runs
// __test__/fixtures/leak-check/mocha.spec.js in a child process, where
// assertNoLeaks must pass a clean function and fail a leaking one with the
// leaking line in its message (the spec asserts both).

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFile } = require('node:child_process');

const ROOT = path.join(__dirname, '..');

test('assertNoLeaks works under mocha', async () => {
  const mocha = require.resolve('mocha/bin/mocha.js');
  const { code, stdout, stderr } = await new Promise((resolve) => {
    execFile(process.execPath, [mocha, '--reporter', 'dot', path.join(__dirname, 'fixtures', 'leak-check', 'mocha.spec.js')], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 }, (err, out, errOut) =>
      resolve({ code: err ? err.code : 0, stdout: out, stderr: errOut }),
    );
  });
  assert.equal(code, 0, `mocha failed:\n${stdout}\n${stderr}`);
  assert.match(stdout, /2 passing/);
});
