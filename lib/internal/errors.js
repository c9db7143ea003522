'use strict';
// The one error-code table and the shared option validators. Every error
// leakguard throws at a user carries a stable `code` from CODES and names the
// option or argument at fault; tests assert on `code`, never on message text.

const { inspect } = require('node:util');

const CODES = Object.freeze({
  INVALID_OPTION: 'ERR_LEAKGUARD_INVALID_OPTION',
  INVALID_SIZE: 'ERR_LEAKGUARD_INVALID_SIZE',
  INVALID_VALUE: 'ERR_LEAKGUARD_INVALID_VALUE',
  UNBOUNDED: 'ERR_LEAKGUARD_UNBOUNDED',
  CACHE_MISMATCH: 'ERR_LEAKGUARD_CACHE_MISMATCH',
  NATIVE: 'ERR_LEAKGUARD_NATIVE',
  NO_REGISTRY: 'ERR_LEAKGUARD_NO_REGISTRY',
});

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

/** Returns a plain options object, or throws when `options` is not one. */
function validateOptions(options, name = 'options') {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidOption(name, 'an object', options);
  }
  return options;
}

/**
 * An integer option in [min, max]; `undefined` passes through. `Infinity` is
 * refused unless `allowInfinity` (a bound of Infinity is no bound).
 */
function validateInteger(name, value, { min = 0, max = Number.MAX_SAFE_INTEGER, allowInfinity = false } = {}) {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value)) throw invalidOption(name, 'a number', value);
  if (value === Infinity && allowInfinity) return value;
  if (!Number.isInteger(value)) throw invalidOption(name, 'an integer', value, RangeError);
  if (value < min || value > max) {
    throw invalidOption(name, `an integer from ${min} to ${max}`, value, RangeError);
  }
  return value;
}

/** A finite number in [min, max]; `undefined` passes through. */
function validateNumber(name, value, { min = -Infinity, max = Infinity } = {}) {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value)) throw invalidOption(name, 'a number', value);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw invalidOption(name, `a finite number from ${min} to ${max}`, value, RangeError);
  }
  return value;
}

function validateFunction(name, value) {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw invalidOption(name, 'a function', value);
  return value;
}

function validateBoolean(name, value) {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw invalidOption(name, 'a boolean', value);
  return value;
}

function validateString(name, value) {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidOption(name, 'a string', value);
  return value;
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
  leakguardError,
  invalidOption,
  validateOptions,
  validateInteger,
  validateNumber,
  validateFunction,
  validateBoolean,
  validateString,
  callUser,
};
