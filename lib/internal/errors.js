'use strict';
// The one error-code table (mirrored in src/errors.rs) and the error
// constructors. Every error leakguard throws at a user carries a stable `code`
// from CODES and names the option or argument at fault; tests assert on
// `code`, never on message text. The option validators are in
// lib/internal/options.js.

const { inspect } = require('node:util');

const CODES = Object.freeze({
  INVALID_OPTION: 'ERR_LEAKGUARD_INVALID_OPTION',
  INVALID_SIZE: 'ERR_LEAKGUARD_INVALID_SIZE',
  INVALID_VALUE: 'ERR_LEAKGUARD_INVALID_VALUE',
  INVALID_CLOCK: 'ERR_LEAKGUARD_INVALID_CLOCK',
  UNBOUNDED: 'ERR_LEAKGUARD_UNBOUNDED',
  CACHE_MISMATCH: 'ERR_LEAKGUARD_CACHE_MISMATCH',
  NATIVE: 'ERR_LEAKGUARD_NATIVE',
  NO_REGISTRY: 'ERR_LEAKGUARD_NO_REGISTRY',
});

// Codes of the process warnings leakguard emits once per process (tests
// assert on `code`, never on text).
const WARNINGS = Object.freeze({
  // V8's one sampling heap profiler was stopped by other code while leakguard read it.
  PROFILER_STOPPED: 'LEAKGUARD_PROFILER_STOPPED',
  // A function leakguard patched was wrapped again after it; left in place, no longer counting.
  WRAPPED_AFTER: 'LEAKGUARD_WRAPPED_AFTER',
});

const warned = new Set();

/** Emits a coded process warning once per process and `what` (default: the code); later calls do nothing. */
function warnOnce(code, message, what = code) {
  const key = `${code}\0${what}`;
  if (warned.has(key)) return;
  warned.add(key);
  process.emitWarning(`leakguard: ${message}`, { code });
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

/** Runs a user callback; a throw is reported as a process warning, never rethrown. */
function callUser(what, fn, thisArg, ...args) {
  try {
    return fn.apply(thisArg, args);
  } catch (err) {
    process.emitWarning(`leakguard: ${what} threw: ${err && err.stack ? err.stack : String(err)}`, {
      code: 'LEAKGUARD_CALLBACK_THREW',
    });
    return undefined;
  }
}

module.exports = {
  CODES,
  WARNINGS,
  warnOnce,
  leakguardError,
  invalidOption,
  describe,
  callUser,
};
