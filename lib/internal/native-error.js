'use strict';
// The error thrown when the native addon does not load (lib/internal/native.js):
// which package this platform needs, where the addon was looked for, and why
// each attempt failed, in the order binding.js tried them.

const path = require('node:path');
const { nativeError } = require('./errors');

const ROOT = path.resolve(__dirname, '..', '..');

function isMusl() {
  if (process.platform !== 'linux') return false;
  try {
    const report = process.report && process.report.getReport();
    return !(report && report.header && report.header.glibcVersionRuntime);
  } catch {
    return false;
  }
}

/** The napi-rs target triple suffix of this process: linux-x64-gnu, darwin-arm64, win32-x64-msvc, … */
function platformTriple(platform = process.platform, arch = process.arch, musl = isMusl()) {
  if (platform === 'linux') return `linux-${arch}-${musl ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

/**
 * The messages of an error and of its `cause` chain (binding.js chains one
 * error per attempt, latest first), first line of each, in the order tried.
 * The loader's own summary and its WebAssembly fallback (leakguard ships no
 * WASI build) are left out.
 */
function causes(err) {
  const out = [];
  for (let e = err, depth = 0; e && depth < 20; e = e.cause, depth++) {
    const first = String((e && e.message) || e).split('\n')[0];
    if (/npm has a bug|^Failed to load native binding|^Cannot find native binding|wasi/i.test(first)) continue;
    if (!out.includes(first)) out.unshift(first);
  }
  return out;
}

function loadError(err) {
  const triple = platformTriple();
  const local = path.join(ROOT, `leakguard.${triple}.node`);
  const why =
    err && err.code === 'MODULE_NOT_FOUND' && /binding\.js/.test(String(err.message).split('\n')[0])
      ? [`${path.join(ROOT, 'binding.js')} is missing: this copy of leakguard was never built`]
      : causes(err);
  return nativeError(
    `the native addon for ${triple} did not load. It is looked for in ${local} (built from source) ` +
      `and in the package leakguard-${triple} (prebuilt). ` +
      `Cause: ${why.length > 0 ? why.join('; ') : 'unknown'}. ` +
      `To fix: install leakguard-${triple} next to leakguard, or build from source in ${ROOT} ` +
      '(`npm install` there, which needs the Rust toolchain).',
    err,
  );
}

module.exports = { platformTriple, loadError, causes };
