'use strict';
// The one error-code table (mirrored in src/errors.rs) and the error
// constructors. Every error leakguard throws at a user carries a stable `code`
// from CODES and names the option or argument at fault; tests assert on
// `code`, never on message text. Every process warning leakguard emits goes
// through `warn` with a code from WARNINGS. The option validators are in
// lib/internal/options.js.

const { inspect } = require('node:util');
const { escapeLines } = require('./text');

const CODES = Object.freeze({
  INVALID_OPTION: 'ERR_LEAKGUARD_INVALID_OPTION',
  INVALID_SIZE: 'ERR_LEAKGUARD_INVALID_SIZE',
  INVALID_VALUE: 'ERR_LEAKGUARD_INVALID_VALUE',
  INVALID_CLOCK: 'ERR_LEAKGUARD_INVALID_CLOCK',
  UNBOUNDED: 'ERR_LEAKGUARD_UNBOUNDED',
  CACHE_MISMATCH: 'ERR_LEAKGUARD_CACHE_MISMATCH',
  NATIVE: 'ERR_LEAKGUARD_NATIVE',
  NO_REGISTRY: 'ERR_LEAKGUARD_NO_REGISTRY',
  CHECK_RUNNING: 'ERR_LEAKGUARD_CHECK_RUNNING',
});

/** Codes of the process warnings leakguard emits (JavaScript only; `warning.code`). */
const WARNINGS = Object.freeze({
  CALLBACK_THREW: 'LEAKGUARD_CALLBACK_THREW',
  ALREADY_STARTED: 'LEAKGUARD_ALREADY_STARTED',
  LISTENER_LEDGER: 'LEAKGUARD_LISTENER_LEDGER',
  BAD_ENV: 'LEAKGUARD_BAD_ENV',
  START_FAILED: 'LEAKGUARD_START_FAILED',
  REPORT_WRITE_FAILED: 'LEAKGUARD_REPORT_WRITE_FAILED',
  // V8's one sampling heap profiler was stopped by other code while leakguard read it.
  PROFILER_STOPPED: 'LEAKGUARD_PROFILER_STOPPED',
  // A function leakguard patched was wrapped again after it; left in place, no longer counting.
  WRAPPED_AFTER: 'LEAKGUARD_WRAPPED_AFTER',
});

/** Emits a process warning whose code is `code` (a value of WARNINGS). */
function warn(code, message) {
  // Messages quote user strings (names, paths, an error's stack) and go to
  // stderr: control characters escaped, lines kept (./text.js).
  process.emitWarning(escapeLines(message), { code });
}

const warned = new Set();

/** As warn(), once per process and `what` (default: the code); later calls do nothing. */
function warnOnce(code, message, what = code) {
  const key = `${code}\0${what}`;
  if (warned.has(key)) return;
  warned.add(key);
  warn(code, `leakguard: ${message}`);
}

function describe(value) {
  if (value === null) return 'null';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  return `${typeof value} ${inspect(value, { depth: 0, maxStringLength: 40 })}`;
}

function leakguardError(Ctor, code, message) {
  const err = new Ctor(`leakguard: ${message}`);
  err.code = code;
  return err;
}

function invalidOption(name, expected, actual, Ctor = TypeError) {
  return leakguardError(Ctor, CODES.INVALID_OPTION, `option "${name}" must be ${expected}; received ${describe(actual)}`);
}

/**
 * ERR_LEAKGUARD_NATIVE: the native addon did not load, or a native call
 * failed (`cause` is the underlying error when there is one).
 */
function nativeError(message, cause) {
  const err = leakguardError(Error, CODES.NATIVE, message);
  if (cause !== undefined) err.cause = cause;
  return err;
}

/** Runs a user callback; a throw is reported as a process warning, never rethrown. */
function callUser(what, fn, thisArg, ...args) {
  try {
    return fn.apply(thisArg, args);
  } catch (err) {
    warn(WARNINGS.CALLBACK_THREW, `leakguard: ${what} threw: ${err && err.stack ? err.stack : String(err)}`);
    return undefined;
  }
}

module.exports = {
  CODES,
  WARNINGS,
  warn,
  warnOnce,
  leakguardError,
  nativeError,
  invalidOption,
  describe,
  callUser,
};
