'use strict';
// The native loader's error (lib/internal/native.js): when the addon does not
// load, it names this platform's real package and the real cause of each
// attempt, never npm-bug advice; a damaged (truncated) addon is refused
// before dlopen() can kill the process with SIGBUS, and the preload lets the
// application start. Exercised on a copy of the loader in a temp folder that
// has no built addon, or a truncated one.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const { platformTriple } = require('../lib/internal/native-error');

function copyLoader(t, { withBinding = true, nodeFile } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-native-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'lib', 'internal'), { recursive: true });
  for (const f of ['native.js', 'native-error.js', 'errors.js', 'text.js', 'addon-file.js']) {
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

/** The built addon of this checkout, cut to half its size (an install interrupted mid-copy). */
function truncatedAddon() {
  const built = fs.readFileSync(path.join(ROOT, `leakguard.${platformTriple()}.node`));
  return built.subarray(0, built.length >> 1);
}

test('a truncated addon is refused with ERR_LEAKGUARD_NATIVE before it is loaded, not a SIGBUS', { skip: !['linux', 'darwin'].includes(process.platform) && 'ELF and Mach-O only' }, (t) => {
  const native = copyLoader(t, { nodeFile: truncatedAddon() });
  const probe = `try { require(${JSON.stringify(native)}); console.log('loaded'); } catch (e) { console.log(e.code); console.log(e.message); }`;
  const out = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 30_000 });
  assert.strictEqual(out.signal, null, `the process was killed by ${out.signal}`);
  assert.strictEqual(out.status, 0, out.stderr);
  const [code, message] = out.stdout.split('\n');
  assert.strictEqual(code, 'ERR_LEAKGUARD_NATIVE');
  assert.match(message, new RegExp(`leakguard\\.${platformTriple()}\\.node is damaged and was not loaded \\(.* but the file has \\d+ bytes\\)`));
});

test('the preload lets the application start over a truncated addon, with a LEAKGUARD_START_FAILED warning', { skip: !['linux', 'darwin'].includes(process.platform) && 'ELF and Mach-O only' }, (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-native-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const f of ['register.js', 'binding.js', 'package.json']) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  fs.cpSync(path.join(ROOT, 'lib'), path.join(dir, 'lib'), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  fs.writeFileSync(path.join(dir, `leakguard.${platformTriple()}.node`), truncatedAddon());
  const out = spawnSync(process.execPath, ['-r', path.join(dir, 'register.js'), '-e', "console.log('app started')"], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.strictEqual(out.signal, null, `the process was killed by ${out.signal}`);
  assert.strictEqual(out.status, 0, out.stderr);
  assert.strictEqual(out.stdout, 'app started\n');
  assert.match(out.stderr, /LEAKGUARD_START_FAILED/);
  assert.match(out.stderr, /is damaged and was not loaded/);
});
