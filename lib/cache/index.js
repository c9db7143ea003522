'use strict';
// LruCache: a bounded, TTL-capable drop-in for a Map used as a cache. Owns the
// per-operation path (get/set/has/delete stay in JavaScript: a Node-API call
// per operation costs more than the whole operation) and writes its counters
// into a row of the shared stats table, which the Rust sampler reads without
// calling JS. It must never keep a reference the user did not give it, never
// throw out of a user callback, and never leave its structure half-updated.
//
// How it is laid out
//
//   map: key -> slot                 (a JS Map: SameValueZero for free)
//   keys[slot] vals[slot] born[slot] (parallel growable arrays, one slot per
//   prev[slot] next[slot]             stored entry; freed slots are reused;
//                                     the links are doubling Int32Arrays)
//
//        tail (LRU)                                   head (MRU)
//          [s3] --next--> [s0] --next--> [s7] --next--> [s2]
//               <--prev--      <--prev--      <--prev--
//
// Recency is a doubly linked list threaded through slot numbers, so "touch",
// "evict the LRU" and "unlink" are O(1) with no allocation, and memory grows
// only with the entries stored (nothing is sized to `max` up front).
//
// TTL (switched on only when a ttl is used; a cache without one never reads a
// clock): ExpiryLanes (lib/cache/expiry-lanes.js) keeps each slot's absolute expiry
// and answers "which entry expires first?" in O(1), updating in O(1) when the
// cache uses one ttl (O(log distinct ttls) otherwise). That is what lets a full
// cache drop an expired entry before the least-recently-used live one, and
// lets purging cost O(expired) instead of a scan.
//
// Iteration is least-recently-used first and is safe under any mutation: an
// iterator snapshots (slot, born) pairs when it starts and yields a pair only
// while that slot still holds the same-born entry; entries inserted meanwhile
// are picked up afterwards, as a Map's iterator does.
//
// fetch (switched on by a fetchMethod): a load in flight occupies its key's
// slot, holding a Pending record (the shared promise, its AbortController and
// the stale value it refreshes, if any) in place of a value. The slot counts
// toward `max` like any entry, so a cache of loads never grows past its bound;
// every way a slot leaves (evict, delete, set, clear) aborts its load. A
// pending slot is not an entry of the Map view: get/has/iteration/size skip
// it (get/peek may serve its stale value with allowStale). It has no expiry of
// its own: a stale value under refresh leaves the expiry lanes when it is
// reached, and goes back in (expired) if the load gives nothing.
//
// User callbacks (dispose, fetchMethod, abort listeners) run only after the
// cache's structure is complete; a throwing dispose becomes a process warning
// (callUser), a throwing fetchMethod a rejected fetch, never a half-done update.

const { callUser, invalidOption } = require('../internal/errors');
const { validateInteger, validateOptions, checkedClock } = require('../internal/options');
const { statsTable, CELLS } = require('../internal/stats');
const { captureSite } = require('../internal/callsite');
const {
  validateCacheOptions,
  validateSetOptions,
  validateFetchOptions,
  validatePeekOptions,
  validateTtl,
  validateEntrySize,
  missingSize,
} = require('./options');
const { defaultClock, autopurge, PURGE } = require('../internal/ttl-schedule');
const { ExpiryLanes } = require('./expiry-lanes');
const { track, DESCRIBE } = require('../internal/live');
const { inspect } = require('node:util');

const { HITS, MISSES, SETS, EVICTIONS, EXPIRATIONS, SIZE, CALCULATED_SIZE, DELETES } = CELLS.cache;

// A GC'd cache gives its stats row back. The held value is the row id only:
// holding the cache (or its cells) here would keep it alive forever.
const rows = new FinalizationRegistry((id) => statsTable().release(id));

const INITIAL_LINKS = 16;
const ITER_KEYS = 0;
const ITER_VALUES = 1;
const ITER_ENTRIES = 2;
const SKIP = Symbol('skip');
const SNAPSHOT = Symbol('snapshot');
const READ = Symbol('read');
const BORN_TICK = Symbol('bornTick');
// The lane of stale values put back after a load gave nothing: they are
// assigned expiry `now`, so this lane is appended to in time order.
const STALE_LANE = -1;

const ABORT_WORDS = { evict: 'evicted', delete: 'deleted', set: 'replaced', clear: 'cleared', expire: 'expired', fetch: 'dropped' };

/** A load in flight, held in its key's slot in place of a value. */
class Pending {
  constructor(stale, hasStale, staleTtl) {
    this.controller = new AbortController();
    this.stale = stale;
    this.hasStale = hasStale;
    this.staleTtl = staleTtl; // the stale value's lane (0: it had no ttl)
    this.done = false; // settled, aborted or failed: nothing more to do
    this.returned = false; // some caller holds the promise (it may reject)
    this.resolve = null;
    this.reject = null;
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.signal = undefined; // the caller's AbortSignal and our listener on it
    this.onAbort = null;
  }

  unlisten() {
    if (this.signal !== undefined) {
      this.signal.removeEventListener('abort', this.onAbort);
      this.signal = undefined;
      this.onAbort = null;
    }
  }

  /** Settles as failed: callers holding the promise see `err`, nobody else does. */
  fail(err) {
    if (this.returned) this.reject(err);
    else this.resolve(undefined);
  }
}

function rowMeta(name, captured, max, maxSize) {
  return {
    kind: 'cache',
    name: name ?? null,
    site: captured === null ? null : captured.site,
    stack: captured === null ? [] : captured.stack,
    max: max === Infinity ? null : max,
    maxSize: maxSize === Infinity ? null : maxSize,
    detail: 'LruCache',
  };
}

class LruCache {
  #map = new Map();
  #keys = [];
  #vals = [];
  #next = new Int32Array(INITIAL_LINKS);
  #prev = new Int32Array(INITIAL_LINKS);
  #born = [];
  #free = [];
  #head = -1;
  #tail = -1;
  #bornTick = 0;

  #max;
  #maxSize;
  #sized;
  #sizes = null;
  #calc = 0;
  #sizeCalculation;

  #ttl;
  #ttlOn = false;
  #lanes = null; // ExpiryLanes once a ttl is used
  #clock;
  #updateAgeOnGet;
  #updateAgeOnHas;
  #allowStale;
  #noDeleteOnStaleGet;
  #autopurge;

  #fetchMethod;
  #fetchOn = false;
  #allowStaleOnFetchRejection;
  #pendingCount = 0;

  #dispose; // the user's dispose, or the wrapper that also aborts loads
  #userDispose;
  #simple; // true: the plain fast set path applies (no ttl, no sizes, no fetch)
  #slow = false; // true: get/has/delete check expiry or pending loads
  #name;
  #site;
  #stack;
  #rowId;
  #cells;

  /**
   * @param {object} options { max, maxSize, sizeCalculation, ttl, updateAgeOnGet,
   *   ttlAutopurge, clock, dispose, name } — at least one of max/maxSize.
   * @param {Iterable<[any, any]>} [entries] initial entries, as `new Map(entries)`.
   */
  constructor(options, entries) {
    const o = validateCacheOptions(options);
    this.#max = o.max;
    this.#maxSize = o.maxSize;
    this.#sized = o.maxSize !== Infinity;
    if (this.#sized) this.#sizes = [];
    this.#sizeCalculation = o.sizeCalculation;
    this.#ttl = o.ttl;
    // An injected clock is read through checkedClock: a reading that is not a
    // finite number >= 0 throws ERR_LEAKGUARD_INVALID_CLOCK, and every
    // operation reads the clock before it changes anything.
    this.#clock = o.clock === undefined ? defaultClock : checkedClock(o.clock, 'LruCache');
    this.#updateAgeOnGet = o.updateAgeOnGet;
    this.#updateAgeOnHas = o.updateAgeOnHas;
    this.#allowStale = o.allowStale;
    this.#noDeleteOnStaleGet = o.noDeleteOnStaleGet;
    this.#autopurge = o.ttlAutopurge;
    this.#userDispose = o.dispose;
    this.#dispose = o.dispose;
    this.#fetchMethod = o.fetchMethod;
    this.#allowStaleOnFetchRejection = o.allowStaleOnFetchRejection;
    if (o.fetchMethod !== undefined) {
      this.#fetchOn = true;
      this.#slow = true;
      this.#dispose = (value, key, reason) => this.#release(value, key, reason);
    }
    this.#name = o.name;
    this.#simple = !this.#sized && !this.#fetchOn;
    if (o.ttl > 0) this.#enableTtl();
    if (this.#autopurge) autopurge.add(this);

    const captured = captureSite(LruCache);
    this.#site = captured === null ? null : captured.site;
    const row = statsTable().acquire(rowMeta(o.name, captured, o.max, o.maxSize));
    this.#rowId = row.id;
    this.#cells = row.cells;
    this.#stack = captured === null ? [] : captured.stack;
    rows.register(this, row.id, this);
    track(this);

    if (entries !== undefined && entries !== null) {
      for (const entry of entries) {
        if (entry === null || (typeof entry !== 'object' && typeof entry !== 'function')) {
          throw new TypeError(`leakguard: iterator value ${String(entry)} is not an entry object`);
        }
        this.set(entry[0], entry[1]);
      }
    }
  }

  // ---- the Map contract -------------------------------------------------

  get(key) {
    const i = this.#map.get(key);
    if (i === undefined) {
      this.#cells[MISSES]++;
      return undefined;
    }
    if (this.#slow) return this.#getFull(i);
    if (i !== this.#head) this.#toHead(i);
    this.#cells[HITS]++;
    return this.#vals[i];
  }

  // get with ttl and/or fetch: an expired entry is a miss (served as stale
  // with allowStale; kept with noDeleteOnStaleGet), a pending load a miss.
  #getFull(i) {
    const v = this.#vals[i];
    if (this.#fetchOn && v instanceof Pending) {
      this.#cells[MISSES]++;
      return this.#allowStale && v.hasStale ? v.stale : undefined;
    }
    if (this.#ttlOn) {
      const now = this.#clock.now();
      if (this.#lanes.exp[i] <= now) {
        this.#cells[MISSES]++;
        if (!this.#noDeleteOnStaleGet) this.#expireOne(i);
        return this.#allowStale ? v : undefined;
      }
      if (this.#updateAgeOnGet) this.#lanes.refresh(i, now);
    }
    if (i !== this.#head) this.#toHead(i);
    this.#cells[HITS]++;
    return v;
  }

  has(key) {
    const i = this.#map.get(key);
    if (i === undefined) return false;
    if (this.#slow) return this.#hasFull(i);
    return true;
  }

  #hasFull(i) {
    if (this.#fetchOn && this.#vals[i] instanceof Pending) return false;
    if (this.#ttlOn) {
      const now = this.#clock.now();
      if (this.#lanes.exp[i] <= now) {
        if (!this.#noDeleteOnStaleGet) this.#expireOne(i);
        return false;
      }
      if (this.#updateAgeOnHas) this.#lanes.refresh(i, now);
    }
    return true;
  }

  set(key, value, options) {
    if (options !== undefined || !this.#simple) return this.#setFull(key, value, options);
    const cells = this.#cells;
    cells[SETS]++;
    let i = this.#map.get(key);
    if (i !== undefined) {
      const old = this.#vals[i];
      this.#vals[i] = value;
      if (i !== this.#head) this.#toHead(i);
      if (this.#dispose !== undefined && old !== value) {
        callUser('LruCache dispose', this.#dispose, undefined, old, this.#keys[i], 'set');
      }
      return this;
    }
    if (key === 0) key = 0; // -0 is stored as +0, as a Map does
    const map = this.#map;
    if (map.size >= this.#max) {
      // Full: the least-recently-used slot is unlinked and reused in place.
      i = this.#tail;
      const oldKey = this.#keys[i];
      const oldVal = this.#vals[i];
      map.delete(oldKey);
      const n = this.#next[i];
      if (n === -1) {
        this.#head = -1;
        this.#tail = -1;
      } else {
        this.#prev[n] = -1;
        this.#tail = n;
      }
      this.#keys[i] = key;
      this.#vals[i] = value;
      this.#born[i] = ++this.#bornTick;
      map.set(key, i);
      this.#linkHead(i);
      cells[EVICTIONS]++;
      if (this.#dispose !== undefined) callUser('LruCache dispose', this.#dispose, undefined, oldVal, oldKey, 'evict');
      return this;
    }
    i = this.#alloc(key, value);
    map.set(key, i);
    this.#linkHead(i);
    cells[SIZE] = map.size;
    return this;
  }

  // Every set that has options, sizes or ttl. Validates everything first: a
  // rejected set leaves the cache untouched.
  #setFull(key, value, options) {
    const o = validateSetOptions(options);
    let ttl = this.#ttl;
    if (o !== undefined && o.ttl !== undefined) ttl = o.ttl;
    let size = 0;
    if (this.#sized) {
      if (o !== undefined && o.size !== undefined) size = validateEntrySize(o.size, this.#maxSize, 'size');
      else if (this.#sizeCalculation !== undefined) {
        size = validateEntrySize(this.#sizeCalculation(value, key), this.#maxSize, 'sizeCalculation');
      } else throw missingSize();
    } else if (o !== undefined && o.size !== undefined) {
      validateEntrySize(o.size, Infinity, 'size');
    }
    this.#store(key, value, ttl, size);
    this.#cells[SETS]++;
    return this;
  }

  // Stores a validated entry: replaces the key's value or inserts it as the
  // most recently used, evicting expired then least-recently-used entries to
  // stay within the bounds. Only the clock reading can throw (an injected
  // clock gone bad), and it comes before anything changes.
  #store(key, value, ttl, size) {
    const ttlOn = this.#ttlOn || ttl > 0;
    const now = ttlOn ? this.#clock.now() : 0;
    if (ttlOn && !this.#ttlOn) this.#enableTtl();
    const cells = this.#cells;
    const pending = this.#dispose === undefined ? null : [];
    const map = this.#map;
    let i = map.get(key);
    if (i !== undefined) {
      const old = this.#vals[i];
      this.#vals[i] = value;
      if (ttlOn) this.#setExpiry(i, ttl, now);
      if (this.#sized) {
        this.#calc += size - this.#sizes[i];
        this.#sizes[i] = size;
      }
      if (i !== this.#head) this.#toHead(i);
      if (this.#fetchOn && old instanceof Pending) {
        this.#pendingCount--;
        // The load's stale value stays (it is the new value): only abort.
        if (old.hasStale && old.stale === value) old.hasStale = false;
        pending.push(old, this.#keys[i], 'set');
      } else if (pending !== null && old !== value) pending.push(old, this.#keys[i], 'set');
      if (this.#fetchOn && value instanceof Pending) this.#pendingCount++;
    } else {
      if (key === 0) key = 0;
      while (map.size >= this.#max) this.#evictOne(now, pending);
      i = this.#alloc(key, value);
      map.set(key, i);
      this.#linkHead(i);
      if (ttlOn) this.#setExpiry(i, ttl, now);
      if (this.#sized) {
        this.#sizes[i] = size;
        this.#calc += size;
      }
      if (this.#fetchOn && value instanceof Pending) this.#pendingCount++;
    }
    if (this.#sized) {
      // The new entry is the head and fits in maxSize, so this stops before it.
      while (this.#calc > this.#maxSize) this.#evictOne(now, pending);
      cells[CALCULATED_SIZE] = this.#calc;
    }
    cells[SIZE] = map.size;
    if (pending !== null) this.#flush(pending);
  }

  delete(key) {
    const i = this.#map.get(key);
    if (i === undefined) return false;
    if (this.#slow) {
      const v = this.#vals[i];
      if (this.#fetchOn && v instanceof Pending) {
        // Not an entry (has() is false), but its load is dropped and aborted.
        const k = this.#keys[i];
        this.#remove(i);
        callUser('LruCache dispose', this.#dispose, undefined, v, k, 'delete');
        return false;
      }
      if (this.#ttlOn && this.#lanes.exp[i] <= this.#clock.now()) {
        this.#expireOne(i);
        return false;
      }
    }
    const value = this.#vals[i];
    const k = this.#keys[i];
    this.#remove(i);
    this.#cells[DELETES]++;
    if (this.#dispose !== undefined) callUser('LruCache dispose', this.#dispose, undefined, value, k, 'delete');
    return true;
  }

  clear() {
    let pending = null;
    if (this.#dispose !== undefined) {
      pending = [];
      for (let i = this.#tail; i !== -1; i = this.#next[i]) pending.push(this.#vals[i], this.#keys[i], 'clear');
    }
    this.#map.clear();
    this.#keys = [];
    this.#vals = [];
    this.#next = new Int32Array(INITIAL_LINKS);
    this.#prev = new Int32Array(INITIAL_LINKS);
    this.#born = [];
    this.#free = [];
    this.#head = -1;
    this.#tail = -1;
    this.#pendingCount = 0;
    if (this.#sized) this.#sizes = [];
    this.#calc = 0;
    if (this.#ttlOn) this.#lanes = new ExpiryLanes();
    this.#cells[SIZE] = 0;
    this.#cells[CALCULATED_SIZE] = 0;
    if (pending !== null) this.#flush(pending);
  }

  /** Live entries (expired ones are dropped first; loads in flight are not entries). */
  get size() {
    if (this.#ttlOn) this.#purge(this.#clock.now());
    return this.#map.size - this.#pendingCount;
  }

  keys() {
    return new LruCacheIterator(this, ITER_KEYS);
  }

  values() {
    return new LruCacheIterator(this, ITER_VALUES);
  }

  entries() {
    return new LruCacheIterator(this, ITER_ENTRIES);
  }

  forEach(callback, thisArg) {
    if (typeof callback !== 'function') {
      throw new TypeError(`leakguard: LruCache.prototype.forEach callback must be a function; received ${typeof callback}`);
    }
    const it = new LruCacheIterator(this, ITER_ENTRIES);
    for (let r = it.next(); !r.done; r = it.next()) callback.call(thisArg, r.value[1], r.value[0], this);
  }

  // ---- beyond Map ---------------------------------------------------------

  /** The entry bound (Infinity when only maxSize bounds the cache). */
  get max() {
    return this.#max;
  }

  /** The total-size bound (Infinity when only max bounds the cache). */
  get maxSize() {
    return this.#maxSize;
  }

  /** Sum of the sizes of the stored entries (0 for a cache without maxSize). */
  get calculatedSize() {
    return this.#calc;
  }

  get name() {
    return this.#name;
  }

  /** Where the cache was created: { file, line, column, functionName } or null. */
  get site() {
    return this.#site;
  }

  /** Changes the entry bound; evicts (expired first, then LRU) down to it. */
  resize(max) {
    if (max === undefined) throw invalidOption('max', 'an integer from 1', max);
    validateInteger('max', max, { min: 1 });
    const now = this.#ttlOn ? this.#clock.now() : 0;
    this.#max = max;
    const pending = this.#dispose === undefined ? null : [];
    while (this.#map.size > max) this.#evictOne(now, pending);
    this.#cells[SIZE] = this.#map.size;
    this.#cells[CALCULATED_SIZE] = this.#calc;
    // The registry's meta carries the bound: re-register under the new one,
    // carrying the counters over.
    const table = statsTable();
    const row = table.acquire(rowMeta(this.#name, { site: this.#site, stack: this.#stack }, max, this.#maxSize));
    row.cells.set(this.#cells);
    rows.unregister(this);
    table.release(this.#rowId);
    this.#rowId = row.id;
    this.#cells = row.cells;
    rows.register(this, row.id, this);
    if (pending !== null) this.#flush(pending);
  }

  /** Drops every expired entry now; true when any was dropped. */
  purgeStale() {
    if (!this.#ttlOn) return false;
    return this.#purge(this.#clock.now()) > 0;
  }

  /**
   * Milliseconds until `key` expires on the cache's clock; Infinity when it
   * never does, 0 when absent, expired or a load in flight. `ttlOf` is an alias.
   */
  getRemainingTTL(key) {
    const i = this.#map.get(key);
    if (i === undefined) return 0;
    if (this.#fetchOn && this.#vals[i] instanceof Pending) return 0;
    if (!this.#ttlOn || this.#lanes.exp[i] === Infinity) return Infinity;
    return Math.max(0, this.#lanes.exp[i] - this.#clock.now());
  }

  /**
   * The value of `key` without touching recency, ttl or counters. An expired
   * entry (or a load in flight) gives undefined, or its stale value with
   * allowStale; it is never removed here.
   */
  peek(key, options) {
    const allowStale = options === undefined ? this.#allowStale : (validatePeekOptions(options) ?? this.#allowStale);
    const i = this.#map.get(key);
    if (i === undefined) return undefined;
    const v = this.#vals[i];
    if (!this.#slow) return v;
    if (this.#fetchOn && v instanceof Pending) return allowStale && v.hasStale ? v.stale : undefined;
    if (this.#ttlOn && this.#lanes.exp[i] <= this.#clock.now()) return allowStale ? v : undefined;
    return v;
  }

  /**
   * What the cache knows of `key`'s entry, without touching it: { value,
   * size? (sized caches), ttl, start, age (entries with a ttl: remaining ms,
   * Date.now() when `ttl` counts from, ms since the entry's ttl started) }, or
   * undefined when absent, expired or a load in flight.
   */
  info(key) {
    const i = this.#map.get(key);
    if (i === undefined) return undefined;
    const value = this.#vals[i];
    if (this.#fetchOn && value instanceof Pending) return undefined;
    const entry = { value };
    if (this.#ttlOn && this.#lanes.exp[i] !== Infinity) {
      const now = this.#clock.now();
      const exp = this.#lanes.exp[i];
      if (exp <= now) return undefined;
      entry.ttl = exp - now;
      entry.start = Date.now();
      entry.age = this.#lanes.ttl[i] - entry.ttl;
    }
    if (this.#sized) entry.size = this.#sizes[i];
    return entry;
  }

  /**
   * The live entries, least recently used first, as [key, { value, ttl?,
   * start?, size? }] pairs for load(): `ttl` is the entry's full ttl and
   * `start` the Date.now() time it started from, so a dump survives a restart.
   * Loads in flight and expired entries are left out.
   */
  dump() {
    const out = [];
    const now = this.#ttlOn ? this.#clock.now() : 0;
    const wall = Date.now();
    for (let i = this.#tail; i !== -1; i = this.#next[i]) {
      const value = this.#vals[i];
      if (this.#fetchOn && value instanceof Pending) continue;
      const entry = { value };
      if (this.#ttlOn) {
        // ttl 0 says "never expires" (load would give it the default ttl).
        const exp = this.#lanes.exp[i];
        const ttl = this.#lanes.ttl[i];
        if (exp <= now) continue;
        entry.ttl = exp === Infinity ? 0 : ttl;
        if (exp !== Infinity) entry.start = wall - (now - (exp - ttl));
      }
      if (this.#sized) entry.size = this.#sizes[i];
      out.push([this.#keys[i], entry]);
    }
    return out;
  }

  /**
   * Replaces the contents with a dump() (this or another process's): clears
   * the cache, then stores each entry in order (the last becomes the most
   * recently used) with the ttl left of it; entries already expired are
   * skipped. Validates every entry first: a rejected load changes nothing.
   */
  load(entries) {
    if (entries === null || typeof entries !== 'object' || typeof entries[Symbol.iterator] !== 'function') {
      throw invalidOption('entries', 'an iterable of [key, { value, ttl?, start?, size? }] pairs (from dump())', entries);
    }
    const wall = Date.now();
    const items = [];
    for (const pair of entries) {
      if (pair === null || typeof pair !== 'object') {
        throw invalidOption('entries', 'made of [key, { value, ttl?, start?, size? }] pairs', pair);
      }
      const e = validateOptions(pair[1], 'entry');
      const ttl = validateTtl('ttl', e.ttl) ?? this.#ttl;
      const start = e.start;
      if (start !== undefined && (typeof start !== 'number' || !Number.isFinite(start))) {
        throw invalidOption('start', 'a finite Date.now() time in ms', start);
      }
      let size = 0;
      if (this.#sized) {
        if (e.size !== undefined) size = validateEntrySize(e.size, this.#maxSize, 'size');
        else if (this.#sizeCalculation !== undefined) {
          size = validateEntrySize(this.#sizeCalculation(e.value, pair[0]), this.#maxSize, 'sizeCalculation');
        } else throw missingSize();
      }
      // Time already spent of the ttl, on the wall clock (never negative).
      const age = ttl > 0 && start !== undefined ? Math.max(0, wall - start) : 0;
      if (ttl > 0 && age >= ttl) continue;
      items.push({ key: pair[0], value: e.value, ttl, age, size });
    }
    this.clear();
    for (const it of items) {
      this.#cells[SETS]++;
      this.#store(it.key, it.value, 0, it.size);
    }
    // Expiries go in last and in ascending order, so each lane stays sorted.
    const last = new Map();
    for (const it of items) last.set(it.key === 0 ? 0 : it.key, it); // a key given twice: the last wins
    const sorted = [...last.values()].filter((it) => it.ttl > 0 && this.#map.has(it.key));
    if (sorted.length === 0) return;
    sorted.sort((a, b) => a.ttl - a.age - (b.ttl - b.age));
    if (!this.#ttlOn) this.#enableTtl();
    const now = this.#clock.now();
    for (const it of sorted) {
      const i = this.#map.get(it.key);
      if (this.#lanes.assign(i, it.ttl, now + it.ttl - it.age) && this.#autopurge) autopurge.wake(it.ttl - it.age);
    }
  }

  /**
   * The value of `key`, loading it with the cache's fetchMethod when absent,
   * expired or `forceRefresh`. Concurrent fetches of one key share one load
   * (and one promise); with allowStale a stale value is returned at once
   * while the load refreshes it. Without a fetchMethod it is get(key).
   */
  fetch(key, options) {
    const o = validateFetchOptions(options);
    if (!this.#fetchOn) return Promise.resolve(this.get(key));
    const allowStale = o.allowStale ?? this.#allowStale;
    const cells = this.#cells;
    const i = this.#map.get(key);
    if (i !== undefined) {
      const v = this.#vals[i];
      if (v instanceof Pending) {
        cells[MISSES]++;
        if (allowStale && v.hasStale) return Promise.resolve(v.stale);
        v.returned = true;
        return v.promise;
      }
      let fresh = true;
      if (this.#ttlOn) {
        const now = this.#clock.now();
        fresh = this.#lanes.exp[i] > now;
        if (fresh && !o.forceRefresh && this.#updateAgeOnGet) this.#lanes.refresh(i, now);
      }
      if (fresh && !o.forceRefresh) {
        if (i !== this.#head) this.#toHead(i);
        cells[HITS]++;
        return Promise.resolve(v);
      }
      cells[MISSES]++;
      if (o.signal !== undefined && o.signal.aborted) return Promise.reject(o.signal.reason);
      const p = this.#startFetch(key, i, v, o, !allowStale);
      return allowStale ? Promise.resolve(v) : p.promise;
    }
    cells[MISSES]++;
    if (o.signal !== undefined && o.signal.aborted) return Promise.reject(o.signal.reason);
    return this.#startFetch(key, undefined, undefined, o, true).promise;
  }

  // Puts a Pending in the key's slot (over the stale value at slot `i`, or in
  // a new slot), then calls the fetchMethod. `returned`: the caller is handed
  // the promise (set first: the fetchMethod may abort the load synchronously).
  #startFetch(key, i, stale, o, returned) {
    let p;
    if (i === undefined) {
      p = new Pending(undefined, false, 0);
      p.returned = returned;
      if (key === 0) key = 0;
      // A new load takes a slot (size 1 in a sized cache), evicting as a set does.
      this.#store(key, p, 0, this.#sized ? 1 : 0);
    } else {
      let staleTtl = 0;
      if (this.#ttlOn) {
        staleTtl = this.#lanes.ttl[i];
        // An expired stale value leaves the lanes now; a fresh one (forceRefresh)
        // stays there until it is reached.
        if (this.#lanes.exp[i] <= this.#clock.now()) this.#lanes.remove(i);
      }
      p = new Pending(stale, true, staleTtl);
      p.returned = returned;
      this.#vals[i] = p; // recency and size unchanged: it has not been used
      this.#pendingCount++;
    }
    const signal = o.signal;
    if (signal !== undefined) {
      p.signal = signal;
      p.onAbort = () => this.#fetchFailed(key, p, signal.reason, true);
      signal.addEventListener('abort', p.onAbort, { once: true });
    }
    const fetchOptions = {
      signal: p.controller.signal,
      options: { ttl: o.ttl ?? this.#ttl, allowStale: o.allowStale ?? this.#allowStale, forceRefresh: o.forceRefresh },
      context: o.context,
    };
    let result;
    try {
      result = this.#fetchMethod(key, stale, fetchOptions);
    } catch (err) {
      result = Promise.reject(err);
    }
    Promise.resolve(result).then(
      (value) => this.#fetchDone(key, p, value, o.ttl ?? this.#ttl),
      (err) => this.#fetchFailed(key, p, err, false),
    );
    return p;
  }

  // The slot of `key` if it still holds `p`, else -1.
  #slotOf(key, p) {
    const i = this.#map.get(key);
    return i !== undefined && this.#vals[i] === p ? i : -1;
  }

  #fetchDone(key, p, value, ttl) {
    if (p.done) return;
    if (value === undefined) {
      // Nothing loaded: the stale value goes back, or the slot goes.
      p.done = true;
      p.unlisten();
      const i = this.#slotOf(key, p);
      if (i !== -1) {
        if (p.hasStale) this.#restore(i, p);
        else this.#dropPending(i, p);
      }
      p.resolve(undefined);
      return;
    }
    let size = 0;
    if (this.#sized) {
      if (this.#sizeCalculation === undefined) {
        this.#fetchFailed(key, p, missingSize(), false);
        return;
      }
      try {
        size = validateEntrySize(this.#sizeCalculation(value, key), this.#maxSize, 'sizeCalculation');
      } catch (err) {
        this.#fetchFailed(key, p, err, false);
        return;
      }
    }
    p.done = true;
    p.unlisten();
    if (this.#slotOf(key, p) !== -1) {
      this.#cells[SETS]++;
      this.#store(key, value, ttl, size);
    }
    p.resolve(value);
  }

  // A rejected (or, `aborted`, signal-aborted) load: the stale value stays
  // with allowStaleOnFetchRejection, else the slot goes.
  #fetchFailed(key, p, err, aborted) {
    if (p.done) return;
    p.done = true;
    p.unlisten();
    if (aborted) callUser('LruCache fetch abort listener', () => p.controller.abort(err), undefined);
    const i = this.#slotOf(key, p);
    if (this.#allowStaleOnFetchRejection && p.hasStale) {
      if (i !== -1) this.#restore(i, p);
      p.resolve(p.stale);
      return;
    }
    if (i !== -1) this.#dropPending(i, p);
    p.fail(err);
  }

  #dropPending(i, p) {
    const k = this.#keys[i];
    this.#remove(i);
    callUser('LruCache dispose', this.#dispose, undefined, p, k, 'fetch');
  }

  // The stale value of `p` goes back into slot `i` with its expiry: still in
  // the lanes when not yet reached, else expired now.
  #restore(i, p) {
    this.#vals[i] = p.stale;
    this.#pendingCount--;
    if (this.#ttlOn && p.staleTtl !== 0 && this.#lanes.lane[i] === -1) {
      if (this.#lanes.assign(i, STALE_LANE, this.#clock.now()) && this.#autopurge) autopurge.wake(0);
    }
  }

  // Every value leaving a fetch-enabled cache passes here: a Pending is
  // aborted and its stale value (if any) disposed; a value is disposed.
  #release(value, key, reason) {
    const dispose = this.#userDispose;
    if (value instanceof Pending) {
      if (!value.done) {
        value.done = true;
        value.unlisten();
        const err = new DOMException(`leakguard: the fetch was aborted: its entry was ${ABORT_WORDS[reason]}`, 'AbortError');
        callUser('LruCache fetch abort listener', () => value.controller.abort(err), undefined);
        value.fail(err);
      }
      if (value.hasStale && dispose !== undefined) callUser('LruCache dispose', dispose, undefined, value.stale, key, reason);
    } else if (dispose !== undefined) {
      callUser('LruCache dispose', dispose, undefined, value, key, reason);
    }
  }

  /** Counters since creation, read from the shared stats row. */
  stats() {
    const c = this.#cells;
    return {
      name: this.#name ?? null,
      inflight: this.#pendingCount,
      hits: c[HITS],
      misses: c[MISSES],
      sets: c[SETS],
      deletes: c[DELETES],
      evictions: c[EVICTIONS],
      expirations: c[EXPIRATIONS],
      size: this.#map.size - this.#pendingCount,
      calculatedSize: this.#calc,
      max: this.#max,
      maxSize: this.#maxSize,
    };
  }

  // ---- internals -----------------------------------------------------------

  #alloc(key, value) {
    const id = ++this.#bornTick;
    if (this.#free.length > 0) {
      const i = this.#free.pop();
      this.#keys[i] = key;
      this.#vals[i] = value;
      this.#born[i] = id;
      return i;
    }
    const i = this.#keys.length;
    this.#keys.push(key);
    this.#vals.push(value);
    if (i === this.#next.length) this.#growLinks();
    this.#born.push(id);
    if (this.#ttlOn) this.#lanes.grow(i);
    if (this.#sized) this.#sizes.push(0);
    return i;
  }

  // Links live in Int32Arrays (4 bytes a slot, half a plain array's 8); they
  // double as the cache fills, never beyond 2x the slots in use.
  #growLinks() {
    const cap = this.#next.length * 2;
    const next = new Int32Array(cap);
    next.set(this.#next);
    this.#next = next;
    const prev = new Int32Array(cap);
    prev.set(this.#prev);
    this.#prev = prev;
  }

  #linkHead(i) {
    const h = this.#head;
    this.#prev[i] = h;
    this.#next[i] = -1;
    if (h === -1) this.#tail = i;
    else this.#next[h] = i;
    this.#head = i;
  }

  // Moves slot i (not the head) to the head.
  #toHead(i) {
    const next = this.#next;
    const prev = this.#prev;
    const p = prev[i];
    const n = next[i];
    if (p === -1) this.#tail = n;
    else next[p] = n;
    prev[n] = p;
    const h = this.#head;
    prev[i] = h;
    next[i] = -1;
    next[h] = i;
    this.#head = i;
  }

  #unlink(i) {
    const p = this.#prev[i];
    const n = this.#next[i];
    if (p === -1) this.#tail = n;
    else this.#next[p] = n;
    if (n === -1) this.#head = p;
    else this.#prev[n] = p;
  }

  // Takes slot i out of every structure and frees it. No callbacks.
  #remove(i) {
    if (this.#fetchOn && this.#vals[i] instanceof Pending) this.#pendingCount--;
    this.#map.delete(this.#keys[i]);
    this.#unlink(i);
    if (this.#ttlOn) this.#lanes.remove(i);
    if (this.#sized) {
      this.#calc -= this.#sizes[i];
      if (this.#map.size === 0) this.#calc = 0; // no float drift on an empty cache
      this.#cells[CALCULATED_SIZE] = this.#calc;
    }
    this.#keys[i] = undefined;
    this.#vals[i] = undefined;
    this.#born[i] = 0;
    this.#free.push(i);
    this.#cells[SIZE] = this.#map.size;
  }

  // Makes room for one entry: an expired one if any, else the LRU one.
  #evictOne(now, pending) {
    let i;
    let reason;
    const first = this.#ttlOn ? this.#firstExpired(now) : -1;
    if (first !== -1) {
      i = first;
      reason = 'expire';
      this.#cells[EXPIRATIONS]++;
    } else {
      i = this.#tail;
      reason = 'evict';
      this.#cells[EVICTIONS]++;
    }
    if (pending !== null) pending.push(this.#vals[i], this.#keys[i], reason);
    this.#remove(i);
  }

  #expireOne(i) {
    const value = this.#vals[i];
    const key = this.#keys[i];
    this.#remove(i);
    this.#cells[EXPIRATIONS]++;
    if (this.#dispose !== undefined) callUser('LruCache dispose', this.#dispose, undefined, value, key, 'expire');
  }

  // The earliest entry expired at `now`, or -1. A pending load reached in the
  // lanes (its stale value's expiry) leaves them: loads do not expire.
  #firstExpired(now) {
    const lanes = this.#lanes;
    for (;;) {
      const i = lanes.earliest();
      if (i === -1 || lanes.exp[i] > now) return -1;
      if (!this.#fetchOn || !(this.#vals[i] instanceof Pending)) return i;
      lanes.remove(i);
    }
  }

  // Drops every entry expired at `now`; returns how many.
  #purge(now) {
    let i = this.#firstExpired(now);
    if (i === -1) return 0;
    const pending = this.#dispose === undefined ? null : [];
    let n = 0;
    for (; i !== -1; i = this.#firstExpired(now)) {
      if (pending !== null) pending.push(this.#vals[i], this.#keys[i], 'expire');
      this.#remove(i);
      this.#cells[EXPIRATIONS]++;
      n++;
    }
    if (pending !== null) this.#flush(pending);
    return n;
  }

  #flush(pending) {
    const dispose = this.#dispose;
    for (let k = 0; k < pending.length; k += 3) {
      callUser('LruCache dispose', dispose, undefined, pending[k], pending[k + 1], pending[k + 2]);
    }
  }

  #enableTtl() {
    this.#lanes = new ExpiryLanes();
    if (this.#keys.length > 0) this.#lanes.grow(this.#keys.length - 1);
    this.#ttlOn = true;
    this.#simple = false;
    this.#slow = true;
  }

  #setExpiry(i, ttl, now) {
    if (this.#lanes.set(i, ttl, now) && this.#autopurge) autopurge.wake(ttl);
  }

  // Called by the shared autopurge timer: drop what expired, say when next.
  [PURGE]() {
    if (!this.#ttlOn) return Infinity;
    const now = this.#clock.now();
    this.#purge(now);
    const first = this.#lanes.earliest();
    return first === -1 ? Infinity : this.#lanes.exp[first] - now;
  }

  // Slots and born ids, LRU first, of the entries born after `after`.
  [SNAPSHOT](after) {
    const n = this.#map.size;
    const slots = new Int32Array(n);
    const borns = new Float64Array(n);
    let len = 0;
    const born = this.#born;
    for (let i = this.#tail; i !== -1; i = this.#next[i]) {
      if (born[i] > after) {
        slots[len] = i;
        borns[len] = born[i];
        len++;
      }
    }
    return { slots, borns, len };
  }

  [BORN_TICK]() {
    return this.#bornTick;
  }

  // The item an iterator yields for (slot, born), or SKIP when that entry is
  // gone (deleted, evicted, slot reused) or expired.
  [READ](i, b, kind) {
    if (this.#born[i] !== b) return SKIP;
    if (this.#fetchOn && this.#vals[i] instanceof Pending) return SKIP;
    if (this.#ttlOn && this.#lanes.exp[i] <= this.#clock.now()) return SKIP;
    if (kind === ITER_KEYS) return this.#keys[i];
    if (kind === ITER_VALUES) return this.#vals[i];
    return [this.#keys[i], this.#vals[i]];
  }

  // The cache's row of report().caches (see lib/internal/live.js). Reads only.
  [DESCRIBE]() {
    const c = this.#cells;
    const lookups = c[HITS] + c[MISSES];
    const site = this.#site;
    return {
      name: this.#name ?? null,
      kind: 'lru',
      site: site === null ? null : { file: site.file, line: site.line, column: site.column, functionName: site.functionName },
      size: this.#map.size - this.#pendingCount,
      max: this.#max === Infinity ? null : this.#max,
      maxSize: this.#maxSize === Infinity ? null : this.#maxSize,
      bytes: null,
      hits: c[HITS],
      misses: c[MISSES],
      hitRate: lookups === 0 ? null : c[HITS] / lookups,
      evictions: c[EVICTIONS],
      inflight: this.#pendingCount,
    };
  }

  // Looking at a cache never changes it: no purge, no recency update.
  [inspect.custom](depth, options, inspectFn) {
    let live = 0;
    const inner = [];
    const opts = { ...options, depth: options.depth === null ? null : options.depth - 1 };
    const it = this.entries();
    for (let r = it.next(); !r.done; r = it.next()) {
      live++;
      if (depth < 0) continue;
      if (inner.length === 100) inner.push('...');
      if (inner.length > 100) continue;
      inner.push(`${inspectFn(r.value[0], opts)} => ${inspectFn(r.value[1], opts)}`);
    }
    const name = `LruCache(${live})`;
    if (depth < 0) return `[${name}]`;
    return inner.length === 0 ? `${name} {}` : `${name} { ${inner.join(', ')} }`;
  }
}

Object.defineProperty(LruCache.prototype, 'ttlOf', {
  value: LruCache.prototype.getRemainingTTL,
  writable: true,
  configurable: true,
  enumerable: false,
});
Object.defineProperty(LruCache.prototype, Symbol.iterator, {
  value: LruCache.prototype.entries,
  writable: true,
  configurable: true,
  enumerable: false,
});
Object.defineProperty(LruCache.prototype, Symbol.toStringTag, {
  value: 'LruCache',
  configurable: true,
});

/**
 * An iterator over an LruCache, least-recently-used first. It snapshots the
 * (slot, born) pairs on its first next() and yields each one still holding the
 * same entry; then it takes the entries inserted meanwhile, until none are new.
 */
class LruCacheIterator {
  #cache;
  #kind;
  #slots = null;
  #borns = null;
  #pos = 0;
  #len = 0;
  #after = -1;
  #done = false;

  constructor(cache, kind) {
    this.#cache = cache;
    this.#kind = kind;
  }

  next() {
    if (this.#done) return { value: undefined, done: true };
    const cache = this.#cache;
    for (;;) {
      while (this.#pos < this.#len) {
        const p = this.#pos++;
        const r = cache[READ](this.#slots[p], this.#borns[p], this.#kind);
        if (r !== SKIP) return { value: r, done: false };
      }
      const tick = cache[BORN_TICK]();
      if (tick === this.#after) {
        this.#done = true;
        this.#cache = null;
        this.#slots = null;
        this.#borns = null;
        return { value: undefined, done: true };
      }
      const snap = cache[SNAPSHOT](this.#after);
      this.#after = tick;
      this.#slots = snap.slots;
      this.#borns = snap.borns;
      this.#pos = 0;
      this.#len = snap.len;
    }
  }

  [Symbol.iterator]() {
    return this;
  }
}

// Inherit %IteratorPrototype%, so iterator helpers (Node 22+: .map, .filter,
// .take, .toArray) work on keys()/values()/entries() as on a Map's iterators.
Object.setPrototypeOf(LruCacheIterator.prototype, Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())));
Object.defineProperty(LruCacheIterator.prototype, Symbol.toStringTag, {
  value: 'LruCache Iterator',
  configurable: true,
});

module.exports = { LruCache };
