'use strict';
// OffHeapCache: a byte-bounded cache whose keys and values (strings, Buffers,
// Uint8Arrays) are copied into Rust memory (src/offheap/), where the garbage
// collector never scans them, and which worker threads share by name.
//
// This file is a thin wrapper over plain Node-API functions that take the
// store's handle (an external) as first argument: each operation is one
// crossing into Rust, never a napi-rs class method (several times dearer per
// call than a plain Node-API function).
// A string value comes back as a new string made by the addon; a byte value
// comes back through a per-thread scratch Buffer (copying into it is cheaper
// than having native code make a new Buffer) and is then copied into a new
// Buffer or Uint8Array, whichever type was stored.
//
// Counters: this handle's hits, misses, sets and deletes are written here into
// the cache's stats row; the store-wide figures (entries, bytes, evictions,
// expirations), which other threads change too, are written into the same row
// by the addon after each call of this thread that can change them (writes,
// and any call while entries can expire), and, for a store shared by
// name, every REFRESH_MS by one unref'd timer per thread, so a thread that
// only reads (or is idle) still shows what the other threads did.
//
// Expiry: a default `ttl` for the store and a per-entry `ttl` on set (the
// store keeps both in expiry order, see src/offheap/mod.rs). With
// `ttlAutopurge` the cache joins the thread's one shared autopurge timer
// (lib/internal/ttl-schedule.js), as LruCache does.
//
// dispose / disposeAfter: a handle with either tells the addon to collect the
// entries its calls remove (evict, expire, delete, set, clear); the addon
// raises a flag word at the end of the scratch Buffer, and this file then
// drains them and calls dispose(value, key, reason) for each, then
// disposeAfter for each, once the operation is complete. A store shared by
// name calls back the handle whose call removed the entry.
//
// It must never hand a user's value to Rust by reference (everything is
// copied), never keep the process alive, and never touch a row after close().

const { Buffer } = require('node:buffer');
const { isUint8Array } = require('node:util').types;
const native = require('../internal/native');
const { CELLS, statsTable } = require('../internal/stats');
const { captureSite } = require('../internal/callsite');
const { CODES, callUser, leakguardError, invalidOption, describe } = require('../internal/errors');
const {
  OPTION_NAMES,
  refuseUnknown,
  validateOptions,
  validateInteger,
  validateString,
  validateTtl,
  validateClock,
  validateFunction,
  validateBoolean,
  checkedClock,
} = require('../internal/options');
const { track, DESCRIBE } = require('../internal/live');
const { autopurge, PURGE } = require('../internal/ttl-schedule');

const { HITS, MISSES, SETS, DELETES } = CELLS.cache;

// Byte values up to this size come back through the scratch Buffer; larger
// ones are copied straight into their result by `take`.
// One scratch Buffer per thread, shared by every loaded copy of this module.
const bound = {};
native.offheapBind(bound, Buffer.allocUnsafeSlow(64 * 1024));
// The addon adds its functions one by one, which leaves `bound` in dictionary
// mode past a handful of properties; a copy made in one go has a fast shape,
// so `off.get` is an inline-cached load on every call.
const off = { ...bound };
const scratch = off.scratch;
// The scratch Buffer's last 8 bytes are the flag word the addon raises when a
// call of a cache with dispose removed entries; values use the rest.
const SCRATCH_BYTES = scratch.length - 8;
const pending = new Uint32Array(scratch.buffer, scratch.byteOffset + SCRATCH_BYTES, 1);

/** The construction options an OffHeapCache accepts (the one list is in lib/internal/options.js). */
const OFFHEAP_OPTION_NAMES = OPTION_NAMES.OffHeapCache;
/** The addon's reason codes (src/offheap/mod.rs `reason`), by number. */
const REASONS = Object.freeze(['evict', 'expire', 'delete', 'set', 'clear']);

// Caches on stores shared by name, whose rows other threads' calls change:
// refreshed every REFRESH_MS while any is open.
const REFRESH_MS = 1000;
const REFRESH = Symbol('refresh');
const shared = new Set(); // of WeakRef
let refreshTimer = null;

function refreshShared() {
  for (const ref of shared) {
    const cache = ref.deref();
    if (cache === undefined || !cache[REFRESH]()) shared.delete(ref);
  }
  if (shared.size === 0 && refreshTimer !== null) {
    clearInterval(refreshTimer);
    refreshTimer = null;
  }
}

const KIND_STRING = 0;
const KIND_BUFFER = 2;
const KIND_UINT8ARRAY = 3;
const WITH_TTL = 8;

// A GC'd cache gives its stats row back; its native handle, unreachable at the
// same moment, lets go of the store in its own finalizer.
const rows = new FinalizationRegistry((id) => statsTable().release(id));
const CLOSED_CELLS = new Float64Array(8);

function badValue(value) {
  return leakguardError(TypeError, CODES.INVALID_VALUE, `an OffHeapCache value must be a string, a Buffer or a Uint8Array; received ${describe(value)}`);
}

/**
 * The refusal of an entry whose strings alone outgrow the store, made before
 * the addon copies them: reading a string into Rust costs about three times
 * its length (its UTF-16 units, then their encoding), so a 100 MB string
 * offered to a 1 kB cache would otherwise swell the process by some 300 MB
 * only to be refused. Each UTF-16 unit takes at least one byte in the store,
 * so `units` is a lower bound of the entry's bytes without its overhead.
 */
function tooLarge(units, maxSize) {
  return leakguardError(
    RangeError,
    CODES.INVALID_SIZE,
    `the entry takes at least ${units + off.entryOverhead} bytes (${units} of key and value, ${off.entryOverhead} of overhead), more than maxSize (${maxSize})`,
  );
}

function badKey(key) {
  return leakguardError(TypeError, CODES.INVALID_VALUE, `an OffHeapCache key must be a string or a number; received ${describe(key)}`);
}

/** Turns the addon's answer for a byte value (`len * 2 + isUint8Array`) into a fresh copy. */
function bytesOut(code) {
  const u8 = code % 2 === 1;
  const len = (code - (u8 ? 1 : 0)) / 2;
  const out = u8 ? new Uint8Array(len) : Buffer.allocUnsafe(len);
  if (len <= SCRATCH_BYTES) scratch.copy(out, 0, 0, len);
  else off.take(out);
  return out;
}

function decode(r) {
  return typeof r === 'number' ? bytesOut(r) : r;
}

// The accepted names are OPTION_NAMES.OffHeapCache (lib/internal/options.js);
// ttl and clock are validated exactly as LruCache's are.
function validate(options) {
  const o = validateOptions(options);
  if (o.max !== undefined) {
    throw invalidOption('max', 'left out: an OffHeapCache is bounded in bytes by "maxSize"', o.max);
  }
  refuseUnknown(o, OPTION_NAMES.OffHeapCache, 'OffHeapCache');
  if (o.maxSize === undefined) {
    throw leakguardError(TypeError, CODES.UNBOUNDED, 'OffHeapCache needs option "maxSize" (a bound in bytes)');
  }
  const maxSize = validateInteger('maxSize', o.maxSize, { min: 1 });
  const ttl = validateTtl('ttl', o.ttl) ?? 0;
  const name = validateString('name', o.name);
  if (name !== undefined && name.length === 0) throw invalidOption('name', 'a non-empty string', name);
  const clock = validateClock('clock', o.clock);
  const dispose = validateFunction('dispose', o.dispose);
  const disposeAfter = validateFunction('disposeAfter', o.disposeAfter);
  const ttlAutopurge = validateBoolean('ttlAutopurge', o.ttlAutopurge) ?? false;
  return { maxSize, ttl, name, clock, dispose, disposeAfter, ttlAutopurge };
}

/** The optional third argument of set(): { ttl } in whole ms (0 = never expires). */
function validateSetOptions(options) {
  if (options === undefined) return undefined;
  const o = validateOptions(options, 'set options');
  refuseUnknown(o, OPTION_NAMES['OffHeapCache#set'], 'OffHeapCache#set');
  return validateTtl('ttl', o.ttl);
}

class OffHeapCache {
  #h;
  #cells;
  #rowId;
  #ttl;
  #clock;
  #maxSize;
  #room; // maxSize less the entry overhead: more UTF-16 units of key and value than this never fit
  #name;
  #site;
  #dispose;
  #disposeAfter;
  #collect;
  #autopurge;

  /**
   * @param {object} options { maxSize (bytes, required), ttl (ms, 0 = none),
   *   name (share the store with other threads), clock ({ now() } in ms) }
   * @param {Iterable<[string|number, string|Uint8Array]>} [entries] initial entries.
   */
  constructor(options, entries) {
    const o = validate(options);
    this.#ttl = o.ttl;
    // An injected clock is read through checkedClock: a reading that is not a
    // finite number >= 0 throws ERR_LEAKGUARD_INVALID_CLOCK before the store is
    // touched (the addon would otherwise take it for "use the store's clock").
    this.#clock = o.clock === undefined ? null : checkedClock(o.clock, 'OffHeapCache');
    this.#maxSize = o.maxSize;
    this.#room = o.maxSize - off.entryOverhead;
    this.#name = o.name ?? null;
    this.#dispose = o.dispose;
    this.#disposeAfter = o.disposeAfter;
    this.#collect = o.dispose !== undefined || o.disposeAfter !== undefined;
    this.#autopurge = o.ttlAutopurge;
    const captured = captureSite(OffHeapCache);
    this.#site = captured === null ? null : captured.site;
    const row = statsTable().acquire({
      kind: 'cache',
      name: this.#name,
      site: captured === null ? null : captured.site,
      stack: captured === null ? [] : captured.stack,
      max: null,
      maxSize: o.maxSize,
      detail: 'OffHeapCache',
    });
    try {
      this.#h = off.open(o.name, o.maxSize, o.ttl, row.cells, this.#collect);
    } catch (err) {
      statsTable().release(row.id);
      throw err;
    }
    this.#rowId = row.id;
    this.#cells = row.cells;
    rows.register(this, row.id, this);
    track(this);
    if (this.#autopurge) autopurge.add(this);
    if (this.#name !== null && process.env.NOREF === undefined) {
      shared.add(new WeakRef(this));
      if (refreshTimer === null) {
        refreshTimer = setInterval(refreshShared, REFRESH_MS);
        refreshTimer.unref();
      }
    }
    if (entries !== undefined && entries !== null) {
      for (const entry of entries) this.set(entry[0], entry[1]);
    }
  }

  // The clock reading for the addon: -1 for the store's own clock (read only
  // when some entry can expire). The per-operation methods below inline this
  // and #after(): a private method call costs a brand check per call.
  #now() {
    return this.#clock === null ? -1 : this.#clock.now();
  }

  // After a call that may have removed entries: hand them to dispose.
  #after() {
    if (this.#collect && pending[0] !== 0) this.#drain();
  }

  #drain() {
    const gone = off.drain();
    const dispose = this.#dispose;
    const after = this.#disposeAfter;
    if (dispose !== undefined) {
      for (let i = 0; i < gone.length; i += 3) callUser('OffHeapCache dispose', dispose, undefined, gone[i + 1], gone[i], REASONS[gone[i + 2]]);
    }
    if (after !== undefined) {
      for (let i = 0; i < gone.length; i += 3) callUser('OffHeapCache disposeAfter', after, undefined, gone[i + 1], gone[i], REASONS[gone[i + 2]]);
    }
  }

  get(key) {
    const r = off.get(this.#h, key, (this.#clock === null ? -1 : this.#clock.now()));
    if (r === undefined) {
      this.#cells[MISSES]++;
      if (this.#collect && pending[0] !== 0) this.#drain();
      return undefined;
    }
    this.#cells[HITS]++;
    const v = typeof r === 'string' ? r : bytesOut(r);
    if (this.#collect && pending[0] !== 0) this.#drain();
    return v;
  }

  /** The value of `key` without marking it recently used or counting a hit. */
  peek(key) {
    const r = off.peek(this.#h, key, (this.#clock === null ? -1 : this.#clock.now()));
    const v = r === undefined ? undefined : decode(r);
    if (this.#collect && pending[0] !== 0) this.#drain();
    return v;
  }

  /**
   * Stores a copy of `value`. `options.ttl`: this entry's time to live in
   * whole ms (0 = never expires); default the cache's `ttl`.
   */
  set(key, value, options) {
    let kind;
    if (typeof value === 'string') kind = KIND_STRING;
    else if (Buffer.isBuffer(value)) kind = KIND_BUFFER;
    else if (isUint8Array(value)) kind = KIND_UINT8ARRAY;
    else throw badValue(value);
    if (typeof key !== 'string' && typeof key !== 'number') throw badKey(key);
    // Checked here, before the addon copies a string (see tooLarge): two
    // length reads and a compare.
    const units = (kind === KIND_STRING ? value.length : 0) + (typeof key === 'string' ? key.length : 0);
    if (units > this.#room) throw tooLarge(units, this.#maxSize);
    const now = this.#clock === null ? -1 : this.#clock.now();
    if (options === undefined) {
      off.set(this.#h, key, value, kind, now);
      if (this.#autopurge && this.#ttl > 0) autopurge.wake(this.#ttl);
    } else {
      // WITH_TTL in `kind` tells the addon to read the ttl argument.
      const ttl = validateSetOptions(options);
      if (ttl === undefined) off.set(this.#h, key, value, kind, now);
      else off.set(this.#h, key, value, kind | WITH_TTL, now, ttl);
      const t = ttl ?? this.#ttl;
      if (this.#autopurge && t > 0) autopurge.wake(t);
    }
    this.#cells[SETS]++;
    if (this.#collect && pending[0] !== 0) this.#drain();
    return this;
  }

  has(key) {
    const found = off.has(this.#h, key, (this.#clock === null ? -1 : this.#clock.now()));
    if (this.#collect && pending[0] !== 0) this.#drain();
    return found;
  }

  delete(key) {
    const found = off.delete(this.#h, key, (this.#clock === null ? -1 : this.#clock.now()));
    if (found) this.#cells[DELETES]++;
    if (this.#collect && pending[0] !== 0) this.#drain();
    return found;
  }

  clear() {
    off.clear(this.#h);
    if (this.#collect && pending[0] !== 0) this.#drain();
  }

  /** Live entries (expired ones are removed first). */
  get size() {
    const n = off.size(this.#h, (this.#clock === null ? -1 : this.#clock.now()));
    if (this.#collect && pending[0] !== 0) this.#drain();
    return n;
  }

  /** Removes expired entries now; true when there were some. */
  purgeStale() {
    const n = off.purge(this.#h, (this.#clock === null ? -1 : this.#clock.now()));
    if (this.#collect && pending[0] !== 0) this.#drain();
    return n > 0;
  }

  /**
   * Milliseconds until the first entry of the store expires (0: one already
   * has), Infinity when none will.
   */
  nextExpiry() {
    return off.nextExpiry(this.#h, this.#now());
  }

  #keys() {
    const keys = off.keys(this.#h, this.#now());
    this.#after();
    return keys;
  }

  #peekForIteration(key) {
    const r = off.peek(this.#h, key, this.#now());
    const v = r === undefined ? undefined : decode(r);
    this.#after();
    return v;
  }

  /** Keys, least recently used first: a snapshot taken when iteration starts. */
  *keys() {
    yield* this.#keys();
  }

  *values() {
    for (const key of this.#keys()) {
      const v = this.#peekForIteration(key);
      if (v !== undefined) yield v;
    }
  }

  *entries() {
    for (const key of this.#keys()) {
      const v = this.#peekForIteration(key);
      if (v !== undefined) yield [key, v];
    }
  }

  // Called by the shared autopurge timer: drop what expired, say when next.
  [PURGE]() {
    if (this.#h === null) return Infinity;
    const now = this.#now();
    off.purge(this.#h, now);
    this.#after();
    return off.nextExpiry(this.#h, now);
  }

  // Called by the shared-store refresher: false once closed.
  [REFRESH]() {
    if (this.#h === null) return false;
    off.figures(this.#h);
    return true;
  }

  forEach(callback, thisArg) {
    if (typeof callback !== 'function') {
      throw leakguardError(TypeError, CODES.INVALID_OPTION, `forEach needs a function; received ${describe(callback)}`);
    }
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }

  /**
   * This handle's hits, misses, sets and deletes; the store's entries (`size`),
   * bytes (`calculatedSize`), evictions and expirations, shared by every handle.
   */
  stats() {
    const [entries, bytes, evictions, expirations] = off.figures(this.#h);
    const c = this.#cells;
    return {
      hits: c[HITS],
      misses: c[MISSES],
      sets: c[SETS],
      deletes: c[DELETES],
      evictions,
      expirations,
      size: entries,
      calculatedSize: bytes,
      maxSize: this.#maxSize,
      ttl: this.#ttl,
      name: this.#name,
    };
  }

  /**
   * Lets go of the store now (it is freed when its last handle in any thread
   * goes) and gives the stats row back. Any later call throws
   * ERR_LEAKGUARD_NATIVE. Idempotent.
   */
  close() {
    if (this.#h === null) return;
    off.close(this.#h);
    this.#h = null;
    rows.unregister(this);
    statsTable().release(this.#rowId);
    this.#cells = CLOSED_CELLS;
  }

  // This cache's row of report().caches (lib/internal/live.js); null once closed.
  [DESCRIBE]() {
    if (this.#h === null) return null;
    const [entries, bytes, evictions] = off.figures(this.#h);
    const c = this.#cells;
    const lookups = c[HITS] + c[MISSES];
    const site = this.#site;
    return {
      name: this.#name,
      kind: 'offheap',
      site: site === null ? null : { file: site.file, line: site.line, column: site.column, functionName: site.functionName },
      size: entries,
      max: null,
      maxSize: this.#maxSize,
      bytes,
      hits: c[HITS],
      misses: c[MISSES],
      hitRate: lookups === 0 ? null : c[HITS] / lookups,
      evictions,
      inflight: 0,
    };
  }

  /** What one entry costs in bytes: key bytes + value bytes + this per-entry overhead. */
  static get entryOverhead() {
    return off.entryOverhead;
  }

  /** Every OffHeapCache store of the process: { stores, entries, bytes }. */
  static processUsage() {
    const [stores, entries, bytes] = off.usage();
    return { stores, entries, bytes };
  }
}

OffHeapCache.prototype[Symbol.iterator] = OffHeapCache.prototype.entries;
Object.defineProperty(OffHeapCache.prototype, Symbol.toStringTag, {
  value: 'OffHeapCache',
  configurable: true,
});

/**
 * V8's count of externally allocated memory in this thread, which each thread
 * raises by the bytes of the stores it has open (tests; not public).
 */
function v8ExternalMemory() {
  return off.v8External();
}

module.exports = { OffHeapCache, v8ExternalMemory, OFFHEAP_OPTION_NAMES };
