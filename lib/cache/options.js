'use strict';
// Option and argument validation for LruCache: what a valid bound, ttl,
// entry size and per-set option is, and which error code a bad one gets, on
// top of the shared validators of lib/internal/options.js (which OffHeapCache
// uses too). It validates only; it never touches a cache's state, so a
// rejected call leaves the cache exactly as it was.

const { CODES, leakguardError, invalidOption } = require('../internal/errors');
const {
  OPTION_NAMES,
  refuseUnknown,
  validateOptions,
  validateInteger,
  validateFunction,
  validateBoolean,
  validateString,
  validateTtl,
  validateClock,
} = require('../internal/options');

// The accepted names are OPTION_NAMES.LruCache, OPTION_NAMES['LruCache#set'], ['LruCache#fetch'] and
// ['LruCache#peek']
// in lib/internal/options.js (one list per entry, shared with the docs check).
const CACHE_OPTION_NAMES = OPTION_NAMES.LruCache;
const SET_OPTION_NAMES = OPTION_NAMES['LruCache#set'];
const FETCH_OPTION_NAMES = OPTION_NAMES['LruCache#fetch'];
const PEEK_OPTION_NAMES = OPTION_NAMES['LruCache#peek'];

/**
 * Validates a cache's construction options and returns them normalised:
 * { max, maxSize, sizeCalculation, ttl, updateAgeOnGet, updateAgeOnHas,
 * allowStale, noDeleteOnStaleGet, ttlAutopurge, clock, dispose, fetchMethod,
 * allowStaleOnFetchRejection, name }. `max`/`maxSize` are Infinity when absent, `ttl` 0 when
 * absent (0 means "never expires"). Throws TypeError ERR_LEAKGUARD_UNBOUNDED
 * when neither bound is given, and TypeError/RangeError
 * ERR_LEAKGUARD_INVALID_OPTION naming the option for anything else wrong.
 * `allowed` narrows the accepted names for caches that lack a feature.
 */
function validateCacheOptions(options, { what = 'LruCache', allowed = CACHE_OPTION_NAMES } = {}) {
  if (options === undefined || options === null) {
    throw leakguardError(
      TypeError,
      CODES.UNBOUNDED,
      `${what} needs a bound: pass { max } (entries) and/or { maxSize } (total size)`,
    );
  }
  const o = validateOptions(options);
  refuseUnknown(o, allowed, what);
  const max = validateInteger('max', o.max, { min: 1 });
  const maxSize = validateInteger('maxSize', o.maxSize, { min: 1 });
  if (max === undefined && maxSize === undefined) {
    throw leakguardError(
      TypeError,
      CODES.UNBOUNDED,
      `${what} needs a bound: pass { max } (entries) and/or { maxSize } (total size)`,
    );
  }
  const sizeCalculation = validateFunction('sizeCalculation', o.sizeCalculation);
  if (sizeCalculation !== undefined && maxSize === undefined) {
    throw invalidOption('maxSize', 'set when sizeCalculation is given (sizes count against maxSize)', o.maxSize);
  }
  const ttl = validateTtl('ttl', o.ttl) ?? 0;
  const updateAgeOnGet = validateBoolean('updateAgeOnGet', o.updateAgeOnGet) ?? false;
  const updateAgeOnHas = validateBoolean('updateAgeOnHas', o.updateAgeOnHas) ?? false;
  const allowStale = validateBoolean('allowStale', o.allowStale) ?? false;
  const noDeleteOnStaleGet = validateBoolean('noDeleteOnStaleGet', o.noDeleteOnStaleGet) ?? false;
  const allowStaleOnFetchRejection =
    validateBoolean('allowStaleOnFetchRejection', o.allowStaleOnFetchRejection) ?? false;
  const fetchMethod = validateFunction('fetchMethod', o.fetchMethod);
  if (fetchMethod !== undefined && maxSize !== undefined && sizeCalculation === undefined) {
    throw invalidOption('sizeCalculation', 'given when fetchMethod and maxSize are (loaded values need a size)', undefined);
  }
  const ttlAutopurge = validateBoolean('ttlAutopurge', o.ttlAutopurge) ?? false;
  const clock = validateClock('clock', o.clock);
  const dispose = validateFunction('dispose', o.dispose);
  const name = validateString('name', o.name);
  return {
    max: max ?? Infinity,
    maxSize: maxSize ?? Infinity,
    sizeCalculation,
    ttl,
    updateAgeOnGet,
    updateAgeOnHas,
    allowStale,
    noDeleteOnStaleGet,
    ttlAutopurge,
    clock,
    dispose,
    fetchMethod,
    allowStaleOnFetchRejection,
    name,
  };
}

/** Validates the optional third argument of set(); returns it or undefined. */
function validateSetOptions(options) {
  if (options === undefined) return undefined;
  const o = validateOptions(options, 'set options');
  refuseUnknown(o, SET_OPTION_NAMES, 'LruCache#set');
  validateTtl('ttl', o.ttl);
  return o;
}

/**
 * Validates the optional second argument of fetch(); returns
 * { signal, context, forceRefresh, allowStale, ttl } with `allowStale`
 * undefined when not given (the cache's setting applies).
 */
function validateFetchOptions(options) {
  if (options === undefined) return EMPTY_FETCH;
  const o = validateOptions(options, 'fetch options');
  refuseUnknown(o, FETCH_OPTION_NAMES, 'fetch');
  const signal = o.signal;
  if (
    signal !== undefined &&
    (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function')
  ) {
    throw invalidOption('signal', 'an AbortSignal', signal);
  }
  return {
    signal,
    context: o.context,
    forceRefresh: validateBoolean('forceRefresh', o.forceRefresh) ?? false,
    allowStale: validateBoolean('allowStale', o.allowStale),
    ttl: validateTtl('ttl', o.ttl),
  };
}

const EMPTY_FETCH = Object.freeze({
  signal: undefined,
  context: undefined,
  forceRefresh: false,
  allowStale: undefined,
  ttl: undefined,
});

/** Validates the optional second argument of peek(); returns its allowStale or undefined. */
function validatePeekOptions(options) {
  if (options === undefined) return undefined;
  const o = validateOptions(options, 'peek options');
  refuseUnknown(o, PEEK_OPTION_NAMES, 'peek');
  return validateBoolean('allowStale', o.allowStale);
}

/**
 * An entry size: a positive finite number no larger than maxSize. `source`
 * names where it came from ("size" or "sizeCalculation") for the message.
 */
function validateEntrySize(size, maxSize, source) {
  if (typeof size !== 'number' || !(size > 0) || size === Infinity) {
    throw leakguardError(
      TypeError,
      CODES.INVALID_SIZE,
      `${source} must give a positive finite number; received ${String(size)}`,
    );
  }
  if (size > maxSize) {
    throw leakguardError(
      RangeError,
      CODES.INVALID_SIZE,
      `${source} gave ${size}, larger than the cache's maxSize ${maxSize}`,
    );
  }
  return size;
}

/** The error for a sized cache given neither a per-set size nor a sizeCalculation. */
function missingSize() {
  return leakguardError(
    TypeError,
    CODES.INVALID_SIZE,
    'this cache has maxSize: pass set(key, value, { size }) or give the cache a sizeCalculation',
  );
}

module.exports = {
  CACHE_OPTION_NAMES,
  SET_OPTION_NAMES,
  FETCH_OPTION_NAMES,
  validateCacheOptions,
  validateFetchOptions,
  validatePeekOptions,
  validateTtl,
  validateSetOptions,
  validateEntrySize,
  missingSize,
};
