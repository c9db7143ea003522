'use strict';
// The one option-validation module of every public entry. It holds:
//
// - the list of option names each public entry accepts (one array per entry,
//   `OPTION_NAMES` below): an entry refuses any other name with TypeError
//   ERR_LEAKGUARD_INVALID_OPTION naming the unknown option and listing the
//   known ones, so a misspelt setting (`intervalMS`, `ttL`, `onleak`) is never
//   silently ignored. __test__/docs-options.test.js checks that each name is
//   documented in the entry's docs/ page;
// - the generic validators (object, integer, number, boolean, string,
//   function, ttl, clock), each `undefined`-passing and throwing TypeError or
//   RangeError ERR_LEAKGUARD_INVALID_OPTION naming the option;
// - `checkedClock`, which turns an injected `{ now() }` into one whose every
//   reading is a finite number of milliseconds >= 0 or an
//   ERR_LEAKGUARD_INVALID_CLOCK error, thrown before the caller changes
//   anything.
//
// It validates only: it never touches the state of what it validates for.

const { CODES, leakguardError, invalidOption, describe } = require('./errors');

// ---- the option names of every public entry ---------------------------------
// Adding an option to an entry = adding its name to that entry's array here,
// validating it where the entry reads it, and documenting it in its docs page.

/** new LruCache(options): lib/cache/options.js, docs/cache.md. */
const LRU_CACHE = Object.freeze([
  'max',
  'maxSize',
  'sizeCalculation',
  'ttl',
  'updateAgeOnGet',
  'updateAgeOnHas',
  'allowStale',
  'noDeleteOnStaleGet',
  'ttlAutopurge',
  'clock',
  'dispose',
  'fetchMethod',
  'allowStaleOnFetchRejection',
  'name',
]);

/** LruCache#set(key, value, options): lib/cache/options.js, docs/cache.md. */
const LRU_CACHE_SET = Object.freeze(['ttl', 'size']);

/** LruCache#fetch(key, options) and LruCache#peek(key, options): lib/cache/options.js, docs/cache.md. */
const LRU_CACHE_FETCH = Object.freeze(['signal', 'context', 'forceRefresh', 'allowStale', 'ttl']);
const LRU_CACHE_PEEK = Object.freeze(['allowStale']);

/** new OffHeapCache(options): lib/offheap/index.js, docs/offheap.md. */
const OFFHEAP_CACHE = Object.freeze(['maxSize', 'ttl', 'name', 'clock', 'dispose', 'disposeAfter', 'ttlAutopurge']);

/** OffHeapCache#set(key, value, options): lib/offheap/index.js, docs/offheap.md. */
const OFFHEAP_CACHE_SET = Object.freeze(['ttl']);

/** start(options): the rows of the settings table, lib/sampler/settings.js; docs/sampler.md. */
const START = require('../sampler/settings').START_OPTIONS;

/** trackListeners(options): lib/listeners/index.js, docs/listeners.md. */
const TRACK_LISTENERS = Object.freeze(['mode', 'sampleEvery', 'capturesPerSecond', 'internal']);

/** patchTimers(options): it takes none, so any name is refused; docs/timers.md. */
const PATCH_TIMERS = Object.freeze([]);

/** checkLeaks(fn, options) and assertNoLeaks(fn, options) of leakguard/test: lib/test/index.js, docs/testing.md. */
const CHECK_LEAKS = Object.freeze(['iterations', 'warmup', 'threshold', 'points', 'kinds', 'samplingIntervalBytes']);

/** metrics.prometheus(options) and metrics.register(registry, options): lib/export/metrics.js, docs/export.md. */
const METRICS = Object.freeze(['topSites', 'topCaches', 'standardNames']);

/** metrics.otel(meter, options): always semantic-convention names, so no standardNames. */
const METRICS_OTEL = Object.freeze(['topSites', 'topCaches']);

/** writeHtmlReport(path, options): lib/export/html-report.js, docs/export.md. */
const WRITE_HTML_REPORT = Object.freeze(['title', 'subtitle']);

/**
 * The known option names per public entry, for error messages and the docs
 * check. `register` is the environment variables of leakguard/register
 * (lib/internal/env.js), documented in docs/register.md.
 */
const OPTION_NAMES = Object.freeze({
  LruCache: LRU_CACHE,
  'LruCache#set': LRU_CACHE_SET,
  'LruCache#fetch': LRU_CACHE_FETCH,
  'LruCache#peek': LRU_CACHE_PEEK,
  OffHeapCache: OFFHEAP_CACHE,
  'OffHeapCache#set': OFFHEAP_CACHE_SET,
  start: START,
  trackListeners: TRACK_LISTENERS,
  patchTimers: PATCH_TIMERS,
  'metrics.prometheus': METRICS,
  'metrics.register': METRICS,
  'metrics.otel': METRICS_OTEL,
  writeHtmlReport: WRITE_HTML_REPORT,
  checkLeaks: CHECK_LEAKS,
  register: require('./env').ENV_NAMES,
});

// ---- generic validators -------------------------------------------------------

/** Returns a plain options object, or throws when `options` is not one. */
function validateOptions(options, name = 'options') {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidOption(name, 'an object', options);
  }
  return options;
}

/**
 * Throws TypeError ERR_LEAKGUARD_INVALID_OPTION for the first own enumerable
 * name of `options` not in `known`, naming it, the entry (`what`) and the
 * known names; a name that differs from a known one only in case is pointed at.
 */
function refuseUnknown(options, known, what) {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const lower = name.toLowerCase();
    const near = known.find((k) => k.toLowerCase() === lower);
    const hint = near === undefined ? '' : `; did you mean "${near}"?`;
    const list = known.length === 0 ? 'it takes none' : `known: ${known.join(', ')}`;
    throw leakguardError(TypeError, CODES.INVALID_OPTION, `unknown ${what} option "${name}" (${list})${hint}`);
  }
}

/**
 * The options object of public entry `entry` (a key of OPTION_NAMES):
 * `undefined` becomes {}, anything but a plain object and any unknown name
 * are refused. Values are left to the entry's own validators.
 */
function checkOptions(entry, options, argName = 'options') {
  const known = OPTION_NAMES[entry];
  if (known === undefined) throw new Error(`leakguard internal: no option list for ${entry}`);
  const o = validateOptions(options, argName);
  refuseUnknown(o, known, entry);
  return o;
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

/** A file path: a non-empty string without NUL bytes; `undefined` passes through. */
function validatePath(name, value) {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || value.includes('\0')) throw invalidOption(name, 'a non-empty file path', value);
  return value;
}

/**
 * One of the strings in `choices`; `undefined` passes through. Anything else
 * is refused: a non-string with TypeError, another string with RangeError.
 */
function validateOneOf(name, value, choices) {
  if (value === undefined) return undefined;
  const expected = choices.map((c) => JSON.stringify(c)).join(' or ');
  if (typeof value !== 'string') throw invalidOption(name, expected, value);
  if (!choices.includes(value)) throw invalidOption(name, expected, value, RangeError);
  return value;
}

/** A ttl in whole milliseconds, 0 = never expires; `undefined` passes through. Both caches use it. */
function validateTtl(name, value) {
  return validateInteger(name, value, { min: 0 });
}

// ---- clocks ---------------------------------------------------------------------

/** A usable clock reading: a finite number of milliseconds, not negative. */
function isReading(t) {
  return typeof t === 'number' && t >= 0 && t !== Infinity;
}

/**
 * The `clock` option of a cache: `undefined` passes through; otherwise an
 * object with a `now()` method, which is called once here and must return a
 * finite number >= 0 (a throw, NaN, a string, a BigInt, a Symbol, a negative
 * or infinite number are refused now rather than discovered at the first
 * expiry check).
 */
function validateClock(name, clock) {
  if (clock === undefined) return undefined;
  if (clock === null || typeof clock !== 'object' || typeof clock.now !== 'function') {
    throw invalidOption(name, 'an object with a now() method returning milliseconds', clock);
  }
  let t;
  try {
    t = clock.now();
  } catch (cause) {
    const detail = cause && cause.message ? cause.message : describe(cause);
    const err = leakguardError(TypeError, CODES.INVALID_OPTION, `option "${name}": now() threw when called to check it: ${detail}`);
    err.cause = cause;
    throw err;
  }
  if (!isReading(t)) {
    throw invalidOption(`${name}.now()`, 'a finite number of milliseconds >= 0', t, typeof t === 'number' ? RangeError : TypeError);
  }
  return clock;
}

function clockError(what, detail, Ctor, cause) {
  const err = leakguardError(Ctor, CODES.INVALID_CLOCK, `${what} clock.now() ${detail}; the operation was not performed`);
  if (cause !== undefined) err.cause = cause;
  return err;
}

/**
 * A clock whose now() reads `clock.now()` and returns it when it is a finite
 * number >= 0; otherwise it throws ERR_LEAKGUARD_INVALID_CLOCK (TypeError for
 * a non-number, RangeError for NaN, a negative or infinite number, Error with
 * `cause` for a throw). Callers read the clock before changing any state, so
 * a bad reading leaves the cache as it was.
 */
function checkedClock(clock, what) {
  return {
    now() {
      let t;
      try {
        t = clock.now();
      } catch (cause) {
        throw clockError(what, `threw: ${cause && cause.message ? cause.message : describe(cause)}`, Error, cause);
      }
      if (isReading(t)) return t;
      throw clockError(
        what,
        `returned ${describe(t)}, not a finite number of milliseconds >= 0`,
        typeof t === 'number' ? RangeError : TypeError,
      );
    },
  };
}

module.exports = {
  OPTION_NAMES,
  checkOptions,
  refuseUnknown,
  validateOptions,
  validateInteger,
  validateNumber,
  validateFunction,
  validateBoolean,
  validateString,
  validatePath,
  validateOneOf,
  validateTtl,
  validateClock,
  checkedClock,
};
