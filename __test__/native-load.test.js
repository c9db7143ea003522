'use strict';
// The native loader's error (lib/internal/native.js): when the addon does not
// load, it names this platform's real package and the real cause of each
// attempt, never npm-bug advice. Exercised on a copy of the loader in a temp
// folder that has no built addon.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const { platformTriple } = require('../lib/internal/native-error');

function copyLoader(t, { withBinding = true, nodeFile } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-native-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'lib', 'internal'), { recursive: true });
  for (const f of ['native.js', 'native-error.js']) {
    fs.copyFileSync(path.join(ROOT, 'lib', 'internal', f), path.join(dir, 'lib', 'internal', f));
  }
  if (withBinding) fs.copyFileSync(path.join(ROOT, 'binding.js'), path.join(dir, 'binding.js'));
  if (nodeFile !== undefined) fs.writeFileSync(path.join(dir, `leakguard.${platformTriple()}.node`), nodeFile);
  return path.join(dir, 'lib', 'internal', 'native.js');
}

function loadFails(file) {
  try {
    require(file);
  } catch (err) {
    return err;
  }
  assert.fail('the loader did not throw');
}

test('platformTriple is the napi-rs package suffix of a platform', () => {
  assert.strictEqual(platformTriple('linux', 'x64', false), 'linux-x64-gnu');
  assert.strictEqual(platformTriple('linux', 'arm64', true), 'linux-arm64-musl');
  assert.strictEqual(platformTriple('darwin', 'arm64', false), 'darwin-arm64');
  assert.strictEqual(platformTriple('win32', 'x64', false), 'win32-x64-msvc');
  assert.ok(fs.existsSync(path.join(ROOT, 'npm', platformTriple('linux', 'x64', false), 'package.json')));
});

test('no addon anywhere: the error names the platform package and each attempt, with no npm-bug advice', (t) => {
  const err = loadFails(copyLoader(t));
  assert.strictEqual(err.code, 'ERR_LEAKGUARD_NATIVE');
  assert.ok(err.message.includes(`leakguard-${platformTriple()}`), err.message);
  assert.ok(err.message.includes(`Cannot find module 'leakguard-${platformTriple()}'`), err.message);
  assert.ok(err.message.includes(`leakguard.${platformTriple()}.node`), err.message);
  assert.doesNotMatch(err.message, /npm has a bug|package-lock|wasi/i);
  assert.ok(err.cause, 'the original error is kept as cause');
});

test('a broken local build: the cause is the loader error for that file', { skip: process.platform !== 'linux' && 'the message checked is Linux dlopen\'s' }, (t) => {
  const err = loadFails(copyLoader(t, { nodeFile: 'not a shared object' }));
  assert.strictEqual(err.code, 'ERR_LEAKGUARD_NATIVE');
  assert.match(err.message, new RegExp(`leakguard\\.${platformTriple()}\\.node: (invalid ELF header|file too short)`));
});

test('a copy that was never built: the error says so', (t) => {
  const err = loadFails(copyLoader(t, { withBinding: false }));
  assert.strictEqual(err.code, 'ERR_LEAKGUARD_NATIVE');
  assert.match(err.message, /binding\.js is missing: this copy of leakguard was never built/);
});
