'use strict';
// A Rust panic in any entry from JavaScript (a #[napi] function, a raw
// off-heap callback) reaches JavaScript as an Error with code
// ERR_LEAKGUARD_NATIVE; it never aborts the process. The panicking entries
// exist only in a debug build (#[cfg(debug_assertions)]), never in the
// release addon's exports: this test builds the debug library with cargo and
// loads it in a child process (were the panic to abort, only the child dies).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const LIB = { linux: 'libleakguard.so', darwin: 'libleakguard.dylib', win32: 'leakguard.dll' }[process.platform];

test('a panic in a #[napi] entry and in a raw off-heap callback is ERR_LEAKGUARD_NATIVE, and the process lives on', (t) => {
  // The debug library of this checkout (cargo builds incrementally; after
  // `cargo test` only this crate is compiled).
  const build = spawnSync('cargo', ['build', '--quiet', '--lib'], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  assert.equal(build.status, 0, `cargo build failed: ${build.stderr || build.error}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-panic-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const addon = path.join(dir, 'leakguard-debug.node');
  fs.copyFileSync(path.join(ROOT, 'target', 'debug', LIB), addon);
  const probe = `
    const b = require(${JSON.stringify(addon)});
    const out = {};
    try { b.debugPanic('boom'); out.napi = 'no throw'; } catch (e) { out.napi = { code: e.code, message: e.message, isError: e instanceof Error }; }
    const target = {};
    b.offheapBind(target, Buffer.alloc(4096));
    try { target.debugPanic(); out.raw = 'no throw'; } catch (e) { out.raw = { code: e.code, message: e.message }; }
    // The addon still works after both panics.
    const registry = new b.NativeRegistry();
    registry.addPage();
    out.after = registry.snapshotJson();
    console.log(JSON.stringify(out));
  `;
  const run = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, RUST_BACKTRACE: '0' } });
  assert.equal(run.signal, null, `the process was killed by ${run.signal}: ${run.stderr}`);
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout);
  assert.equal(out.napi.code, 'ERR_LEAKGUARD_NATIVE');
  assert.equal(out.napi.isError, true);
  assert.match(out.napi.message, /internal error in debugPanic \(a Rust panic: boom\)/);
  assert.equal(out.raw.code, 'ERR_LEAKGUARD_NATIVE');
  assert.match(out.raw.message, /a Rust panic: debugPanic in a raw callback/);
  assert.equal(out.after, '[]');
});

test('the release addon exports no panicking entry', () => {
  const binding = require('../lib/internal/native');
  assert.equal('debugPanic' in binding, false);
  const target = {};
  binding.offheapBind(target, Buffer.alloc(4096));
  assert.equal('debugPanic' in target, false);
  assert.equal(typeof target.get, 'function', 'the real callbacks are installed');
});
