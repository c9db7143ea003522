'use strict';
// Model-based randomized test: LruCache against a small, obviously-correct
// reference (an array of entries in LRU order), on an injected clock, with
// sizes and ttls, stale reads (allowStale, noDeleteOnStaleGet), peek, info,
// getRemainingTTL, dump/load, and fetch: concurrent callers sharing a load,
// loads settled in random order (value, nothing, rejection), aborted by the
// caller's signal or by eviction/delete/set/clear. Every operation's result,
// every fetch caller's outcome, every dispose call, the iteration order and
// the counters must agree. Seeds are fixed (CI reproducible); set
// CACHE_MODEL_SEED=<n> to explore another seed. A failure prints its seed and
// the operation number.
const test = require('node:test');
const assert = require('node:assert/strict');
const { LruCache } = require('../lib/cache');

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sameKey = (a, b) => a === b || (a !== a && b !== b); // SameValueZero

class Model {
  constructor(opts) {
    const { max = Infinity, maxSize = Infinity, ttl = 0, updateAgeOnGet = false, sizeCalculation } = opts;
    this.max = max;
    this.maxSize = maxSize;
    this.ttl = ttl;
    this.updateAgeOnGet = updateAgeOnGet;
    this.updateAgeOnHas = opts.updateAgeOnHas ?? false;
    this.allowStale = opts.allowStale ?? false;
    this.noDeleteOnStaleGet = opts.noDeleteOnStaleGet ?? false;
    this.allowStaleOnFetchRejection = opts.allowStaleOnFetchRejection ?? false;
    this.sizeCalculation = sizeCalculation;
    // LRU first: { key, value, exp, ttl, size, seq, load }. `load` is null or
    // the load in flight in this slot (then `value` is its stale value, if
    // load.hasStale, and exp/ttl/seq the stale value's expiry).
    this.entries = [];
    this.now = 0;
    this.seq = 0; // counts expiry assignments: ties expire in assignment order
    this.events = [];
    this.stats = { hits: 0, misses: 0, sets: 0, deletes: 0, evictions: 0, expirations: 0 };
  }

  find(key) {
    return this.entries.findIndex((e) => sameKey(e.key, key));
  }

  expired(e) {
    return e.exp <= this.now;
  }

  calc() {
    return this.entries.reduce((s, e) => s + e.size, 0);
  }

  // The expired entry that goes first: earliest expiry, earliest-assigned on
  // ties. Loads in flight never expire.
  firstExpired() {
    let best = -1;
    this.entries.forEach((e, i) => {
      if (e.load !== null || !this.expired(e)) return;
      const b = this.entries[best];
      if (best === -1 || e.exp < b.exp || (e.exp === b.exp && e.seq < b.seq)) best = i;
    });
    return best;
  }

  // What leaving the cache does to an entry: a load is aborted, a (stale) value disposed.
  leave(e, reason, events) {
    if (e.load !== null) {
      abortLoad(e.load);
      if (e.load.hasStale) events.push([e.load.stale, e.key, reason]);
    } else events.push([e.value, e.key, reason]);
  }

  evictOne(events) {
    const x = this.firstExpired();
    if (x !== -1) {
      const [e] = this.entries.splice(x, 1);
      this.stats.expirations++;
      events.push([e.value, e.key, 'expire']);
    } else {
      const [e] = this.entries.splice(0, 1);
      this.stats.evictions++;
      this.leave(e, 'evict', events);
    }
  }

  expireAt(i) {
    const [e] = this.entries.splice(i, 1);
    this.stats.expirations++;
    this.events.push([e.value, e.key, 'expire']);
  }

  refresh(e) {
    if (e.ttl > 0) {
      e.exp = this.now + e.ttl;
      e.seq = ++this.seq;
    }
  }

  get(key) {
    const i = this.find(key);
    if (i === -1) {
      this.stats.misses++;
      return undefined;
    }
    const e = this.entries[i];
    if (e.load !== null) {
      this.stats.misses++;
      return this.allowStale && e.load.hasStale ? e.load.stale : undefined;
    }
    if (this.expired(e)) {
      this.stats.misses++;
      if (!this.noDeleteOnStaleGet) this.expireAt(i);
      return this.allowStale ? e.value : undefined;
    }
    if (this.updateAgeOnGet) this.refresh(e);
    this.entries.splice(i, 1);
    this.entries.push(e);
    this.stats.hits++;
    return e.value;
  }

  peek(key) {
    const i = this.find(key);
    if (i === -1) return undefined;
    const e = this.entries[i];
    if (e.load !== null) return this.allowStale && e.load.hasStale ? e.load.stale : undefined;
    if (this.expired(e)) return this.allowStale ? e.value : undefined;
    return e.value;
  }

  has(key) {
    const i = this.find(key);
    if (i === -1) return false;
    const e = this.entries[i];
    if (e.load !== null) return false;
    if (this.expired(e)) {
      if (!this.noDeleteOnStaleGet) this.expireAt(i);
      return false;
    }
    if (this.updateAgeOnHas) this.refresh(e);
    return true;
  }

  remainingTtl(key) {
    const i = this.find(key);
    if (i === -1 || this.entries[i].load !== null) return 0;
    const e = this.entries[i];
    return e.exp === Infinity ? Infinity : Math.max(0, e.exp - this.now);
  }

  // Returns an error code when the set must be refused, else undefined.
  set(key, value, opts) {
    const ttl = opts && opts.ttl !== undefined ? opts.ttl : this.ttl;
    let size = 0;
    if (this.maxSize !== Infinity) {
      size = opts && opts.size !== undefined ? opts.size : this.sizeCalculation(value, key);
      if (!(size > 0) || size > this.maxSize) return 'ERR_LEAKGUARD_INVALID_SIZE';
    }
    this.stats.sets++;
    this.store(key, value, ttl, size);
    return undefined;
  }

  store(key, value, ttl, size, load = null) {
    if (key === 0) key = 0;
    const events = [];
    const exp = ttl > 0 ? this.now + ttl : Infinity;
    const seq = ttl > 0 ? ++this.seq : 0;
    const i = this.find(key);
    if (i !== -1) {
      const e = this.entries[i];
      if (e.load !== null) {
        abortLoad(e.load);
        if (e.load.hasStale && e.load.stale !== value) events.push([e.load.stale, e.key, 'set']);
      } else if (e.value !== value) events.push([e.value, e.key, 'set']);
      Object.assign(e, { value, exp, ttl, size, seq, load });
      this.entries.splice(i, 1);
      this.entries.push(e);
    } else {
      while (this.entries.length >= this.max) this.evictOne(events);
      this.entries.push({ key, value, exp, ttl, size, seq, load });
    }
    while (this.calc() > this.maxSize) this.evictOne(events);
    this.events.push(...events);
  }

  delete(key) {
    const i = this.find(key);
    if (i === -1) return false;
    const e = this.entries[i];
    if (e.load !== null) {
      this.entries.splice(i, 1);
      this.leave(e, 'delete', this.events);
      return false;
    }
    if (this.expired(e)) {
      this.expireAt(i);
      return false;
    }
    this.entries.splice(i, 1);
    this.stats.deletes++;
    this.events.push([e.value, e.key, 'delete']);
    return true;
  }

  clear() {
    const events = [];
    for (const e of this.entries) this.leave(e, 'clear', events);
    this.entries = [];
    this.events.push(...events);
  }

  purge() {
    let n = 0;
    for (let x = this.firstExpired(); x !== -1; x = this.firstExpired()) {
      this.expireAt(x);
      n++;
    }
    return n;
  }

  size() {
    this.purge();
    return this.entries.filter((e) => e.load === null).length;
  }

  resize(max) {
    this.max = max;
    const events = [];
    while (this.entries.length > max) this.evictOne(events);
    this.events.push(...events);
  }

  live() {
    return this.entries.filter((e) => e.load === null && !this.expired(e)).map((e) => [e.key, e.value]);
  }

  // ---- fetch ----

  // A fetch call: returns { value } when answered at once, or { load } joined.
  fetch(key, { forceRefresh = false, allowStale = this.allowStale, ttl } = {}, newLoad) {
    const i = this.find(key);
    if (i !== -1) {
      const e = this.entries[i];
      if (e.load !== null) {
        this.stats.misses++;
        if (allowStale && e.load.hasStale) return { value: e.load.stale };
        e.load.returned = true;
        return { load: e.load };
      }
      const fresh = !this.expired(e);
      if (fresh && !forceRefresh) {
        if (this.updateAgeOnGet) this.refresh(e);
        this.entries.splice(i, 1);
        this.entries.push(e);
        this.stats.hits++;
        return { value: e.value };
      }
      this.stats.misses++;
      const load = newLoad(key, e.value, true, ttl);
      e.load = load;
      if (allowStale) return { value: e.value };
      load.returned = true;
      return { load };
    }
    this.stats.misses++;
    const load = newLoad(key, undefined, false, ttl);
    this.store(key, undefined, 0, this.maxSize === Infinity ? 0 : 1, load);
    load.returned = true;
    return { load };
  }

  slotOf(load) {
    return this.entries.findIndex((e) => e.load === load);
  }

  // The stale value goes back, expired now unless its expiry is still ahead.
  restore(i) {
    const e = this.entries[i];
    e.value = e.load.stale;
    e.load = null;
    if (e.ttl !== 0 && e.exp <= this.now) {
      e.exp = this.now;
      e.seq = ++this.seq;
      e.ttl = -1;
    }
  }

  loadDone(load, value) {
    if (load.done) return;
    if (value === undefined) {
      load.done = true;
      const i = this.slotOf(load);
      if (i !== -1) {
        if (load.hasStale) this.restore(i);
        else this.entries.splice(i, 1);
      }
      settle(load, { value: undefined });
      return;
    }
    load.done = true;
    if (this.slotOf(load) !== -1) {
      this.stats.sets++;
      const size = this.maxSize === Infinity ? 0 : this.sizeCalculation(value, load.key);
      this.store(load.key, value, load.ttl ?? this.ttl, size);
    }
    settle(load, { value });
  }

  loadFailed(load, error) {
    if (load.done) return;
    load.done = true;
    const i = this.slotOf(load);
    if (this.allowStaleOnFetchRejection && load.hasStale) {
      if (i !== -1) this.restore(i);
      settle(load, { value: load.stale });
      return;
    }
    if (i !== -1) {
      const [e] = this.entries.splice(i, 1);
      if (load.hasStale) this.events.push([load.stale, e.key, 'fetch']);
    }
    settle(load, load.returned ? { error } : { value: undefined });
  }

  dump() {
    return this.live().map(([key]) => {
      const e = this.entries[this.find(key)];
      const entry = { value: e.value };
      if (e.exp !== Infinity && e.ttl > 0) entry.ttl = e.ttl;
      if (this.maxSize !== Infinity) entry.size = e.size;
      return [key, entry];
    });
  }
}

function abortLoad(load) {
  if (load.done) return;
  load.done = true;
  settle(load, load.returned ? { error: 'AbortError' } : { value: undefined });
}

function settle(load, outcome) {
  load.outcome = outcome;
}

const KEYS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 0, -0, 1, '1', NaN, null, undefined, true];
for (let k = 0; k < 22; k++) KEYS.push(`k${k}`);

const CONFIGS = [
  { label: 'max only', opts: { max: 8 } },
  { label: 'max + ttl', opts: { max: 8, ttl: 20 } },
  { label: 'max + ttl + updateAgeOnGet', opts: { max: 6, ttl: 15, updateAgeOnGet: true } },
  { label: 'maxSize + sizeCalculation', opts: { maxSize: 40, sizeCalculation: (v) => (v === undefined ? 1 : (v % 9) + 1) } },
  {
    label: 'max + maxSize + ttl + per-set sizes',
    opts: { max: 10, maxSize: 30, ttl: 25, sizeCalculation: (v) => (v === undefined ? 2 : (v % 5) + 1) },
  },
  { label: 'max, per-set ttl only', opts: { max: 7 } },
  { label: 'max + ttl + allowStale + noDeleteOnStaleGet + updateAgeOnHas', opts: { max: 8, ttl: 12, allowStale: true, noDeleteOnStaleGet: true, updateAgeOnHas: true } },
];

const errorName = (e) => (typeof e === 'string' ? e : e && e.name === 'AbortError' ? 'AbortError' : e.message);

function runModel(seed, config, ops) {
  const rand = mulberry32(seed);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const clock = { t: 0, now: () => clock.t };
  const cacheEvents = [];
  const model = new Model(config.opts);
  const cache = new LruCache({
    ...config.opts,
    clock,
    dispose: (value, key, reason) => cacheEvents.push([value, key, reason]),
  });
  const sized = config.opts.maxSize !== undefined;
  const usesTtl = config.opts.ttl !== undefined || config.label.includes('per-set ttl');
  let nextValue = 0;
  let op = '';
  const fail = (i, what) => `seed ${seed} (${config.label}), op #${i} ${op}: ${what}. Re-run with CACHE_MODEL_SEED=${seed}`;

  for (let i = 0; i < ops; i++) {
    const r = rand();
    const key = pick(KEYS);
    if (r < 0.25) {
      op = `get(${String(key)})`;
      assert.equal(cache.get(key), model.get(key), fail(i, 'get result'));
    } else if (r < 0.55) {
      const value = rand() < 0.05 ? undefined : rand() < 0.1 ? nextValue : ++nextValue;
      let opts;
      if (usesTtl && rand() < 0.3) opts = { ttl: Math.floor(rand() * 30) };
      if (sized && rand() < 0.3) {
        opts = { ...opts, size: rand() < 0.05 ? pick([0, -1, 1000, NaN]) : 1 + Math.floor(rand() * 12) };
      }
      op = `set(${String(key)}, ${String(value)}, ${JSON.stringify(opts)})`;
      const code = model.set(key, value, opts);
      if (code === undefined) assert.equal(cache.set(key, value, opts), cache, fail(i, 'set returns the cache'));
      else assert.throws(() => cache.set(key, value, opts), { code }, fail(i, 'bad size refused'));
    } else if (r < 0.63) {
      op = `has(${String(key)})`;
      assert.equal(cache.has(key), model.has(key), fail(i, 'has result'));
    } else if (r < 0.67) {
      op = `peek(${String(key)})`;
      assert.equal(cache.peek(key), model.peek(key), fail(i, 'peek result'));
    } else if (r < 0.69) {
      op = `getRemainingTTL(${String(key)})`;
      assert.equal(cache.getRemainingTTL(key), model.remainingTtl(key), fail(i, 'getRemainingTTL'));
      const info = cache.info(key);
      const live = model.live().find((e) => sameKey(e[0], key));
      assert.equal(info === undefined ? undefined : info.value, live === undefined ? undefined : live[1], fail(i, 'info value'));
    } else if (r < 0.75) {
      op = `delete(${String(key)})`;
      assert.equal(cache.delete(key), model.delete(key), fail(i, 'delete result'));
    } else if (r < 0.85) {
      op = 'advance clock';
      clock.t += Math.floor(rand() * 6);
      model.now = clock.t;
    } else if (r < 0.9) {
      op = 'iterate';
      assert.deepEqual([...cache], model.live(), fail(i, 'entries() order'));
      assert.deepEqual([...cache.keys()], model.live().map((e) => e[0]), fail(i, 'keys() order'));
    } else if (r < 0.93) {
      op = 'size';
      assert.equal(cache.size, model.size(), fail(i, 'size'));
    } else if (r < 0.945) {
      op = 'purgeStale';
      assert.equal(cache.purgeStale(), usesTtl ? model.purge() > 0 : false, fail(i, 'purgeStale'));
    } else if (r < 0.96) {
      const max = 1 + Math.floor(rand() * 12);
      if (config.opts.max !== undefined) {
        op = `resize(${max})`;
        cache.resize(max);
        model.resize(max);
      }
    } else if (r < 0.99) {
      // A warm restart: dump, then load into the same cache (same clock).
      op = 'dump/load';
      // Wall-clock time is frozen across dump and load so that the age load
      // computes is exactly the one dump recorded.
      const realDateNow = Date.now;
      const frozen = realDateNow();
      Date.now = () => frozen;
      let dump;
      try {
        dump = cache.dump();
        assert.deepEqual(
          dump.map(([k, e]) => [k, e.value, e.ttl || 0, e.size]),
          model.dump().map(([k, e]) => [k, e.value, e.ttl || 0, e.size]),
          fail(i, 'dump'),
        );
        const remaining = model.live().map(([k]) => model.remainingTtl(k));
        cache.load(dump);
        assert.deepEqual([...cache], model.live(), fail(i, 'entries after load'));
        const after = [...cache.keys()].map((k) => cache.getRemainingTTL(k));
        assert.deepEqual(after, remaining, fail(i, 'ttls kept by load'));
      } finally {
        Date.now = realDateNow;
      }
      // The model takes the cache's state (expiry times re-based by load).
      cacheEvents.length = 0; // load's clear disposes every entry
      model.events.length = 0;
      model.clear();
      model.events.length = 0;
      for (const [k, e] of dump) {
        const t = cache.getRemainingTTL(k);
        model.entries.push({ key: k, value: e.value, exp: t === Infinity ? Infinity : model.now + t, ttl: e.ttl ?? 0, size: e.size ?? 0, seq: 0, load: null });
        model.stats.sets++;
      }
      // Loaded expiries were assigned in ascending order.
      [...model.entries].filter((e) => e.exp !== Infinity).sort((a, b) => a.exp - b.exp).forEach((e) => (e.seq = ++model.seq));
    } else {
      op = 'clear';
      cache.clear();
      model.clear();
    }
    assert.deepEqual(cacheEvents, model.events, fail(i, 'dispose calls'));
    cacheEvents.length = 0;
    model.events.length = 0;
    const s = cache.stats();
    const { hits, misses, sets, deletes, evictions, expirations } = s;
    assert.deepEqual({ hits, misses, sets, deletes, evictions, expirations }, model.stats, fail(i, 'stats'));
    if (sized) assert.equal(cache.calculatedSize, model.calc(), fail(i, 'calculatedSize'));
  }
}

const seedFromEnv = process.env.CACHE_MODEL_SEED;
const OPS_PER_CONFIG = 40_000;

for (const [n, config] of CONFIGS.entries()) {
  test(`model: ${config.label} (${OPS_PER_CONFIG} ops)`, () => {
    const seed = seedFromEnv === undefined ? 0x5eed + n * 7919 : Number(seedFromEnv);
    runModel(seed, config, OPS_PER_CONFIG);
  });
}

test('model: many short runs from different seeds', () => {
  const base = seedFromEnv === undefined ? 1000 : Number(seedFromEnv);
  for (let s = 0; s < 40; s++) {
    for (const config of CONFIGS) runModel(base + s, config, 500);
  }
});

// ---- fetch -----------------------------------------------------------------

const FETCH_CONFIGS = [
  { label: 'fetch, max only', opts: { max: 6 } },
  { label: 'fetch, max + ttl + allowStale (stale-while-revalidate)', opts: { max: 6, ttl: 10, allowStale: true } },
  { label: 'fetch, max + ttl + allowStaleOnFetchRejection + updateAgeOnGet', opts: { max: 5, ttl: 8, allowStaleOnFetchRejection: true, updateAgeOnGet: true } },
  {
    label: 'fetch, maxSize + sizeCalculation + ttl',
    opts: { maxSize: 20, ttl: 12, sizeCalculation: (v) => (typeof v === 'number' ? (v % 4) + 1 : 1) },
  },
];

const FETCH_KEYS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 0, 1, NaN];
const flush = () => new Promise((resolve) => setImmediate(resolve));

async function runFetchModel(seed, config, ops) {
  const rand = mulberry32(seed);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const clock = { t: 0, now: () => clock.t };
  const cacheEvents = [];
  const model = new Model(config.opts);
  let nextValue = 0;
  let nextLoad = 0;
  // Each load: the test's handle on the cache's fetchMethod call and the model's record.
  const loads = []; // { id, key, stale, hasStale, ttl, done, returned, outcome, resolve, reject, settledByTest, sync }
  let syncMode = null; // how the next fetchMethod call answers: null (later), ['value', v], ['throw', err]
  const byCall = []; // the fetchMethod calls in order, matched to model loads
  const cache = new LruCache({
    ...config.opts,
    clock,
    dispose: (value, key, reason) => cacheEvents.push([value, key, reason]),
    fetchMethod: (key, stale, { signal, context }) => {
      assert.ok(signal instanceof AbortSignal);
      const call = { key, stale, context };
      byCall.push(call);
      if (syncMode !== null && syncMode[0] === 'throw') throw syncMode[1];
      if (syncMode !== null) return syncMode[1];
      return new Promise((resolve, reject) => {
        call.resolve = resolve;
        call.reject = reject;
      });
    },
  });
  const newLoad = (key, stale, hasStale, ttl) => {
    const load = { id: nextLoad++, key, stale, hasStale, ttl, done: false, returned: false, outcome: null };
    loads.push(load);
    return load;
  };
  const callers = []; // { load, outcome (actual), expectImmediate }
  const signals = []; // { controller, load }
  let op = '';
  const fail = (i, what) => `seed ${seed} (${config.label}), op #${i} ${op}: ${what}. Re-run with CACHE_MODEL_SEED=${seed}`;

  const checkCallers = (i) => {
    for (let c = 0; c < callers.length; c++) {
      const call = callers[c];
      const expected = call.load === null ? call.expected : call.load.outcome;
      if (expected === null) continue; // still in flight
      assert.ok(call.actual !== null, fail(i, `fetch caller #${call.n} settled (expected ${JSON.stringify(expected)})`));
      assert.deepEqual(call.actual, expected, fail(i, `fetch caller #${call.n} outcome`));
      callers.splice(c--, 1);
    }
  };

  for (let i = 0; i < ops; i++) {
    const r = rand();
    const key = pick(FETCH_KEYS);
    let settleAfter = false;
    if (r < 0.3) {
      const opts = {};
      if (rand() < 0.15) opts.forceRefresh = true;
      if (rand() < 0.15) opts.allowStale = rand() < 0.5;
      if (rand() < 0.1) opts.ttl = 1 + Math.floor(rand() * 15);
      let controller = null;
      if (rand() < 0.25) {
        controller = new AbortController();
        opts.signal = controller.signal;
      }
      opts.context = i;
      const mode = rand();
      syncMode = mode < 0.05 ? ['throw', new Error(`sync-fail-${i}`)] : mode < 0.1 ? ['value', ++nextValue] : null;
      op = `fetch(${String(key)}, ${JSON.stringify({ ...opts, signal: controller !== null })}) sync=${JSON.stringify(syncMode)}`;
      const callsBefore = byCall.length;
      const loadsBefore = loads.length;
      const answer = model.fetch(key, opts, newLoad);
      const promise = cache.fetch(key, opts);
      assert.ok(promise instanceof Promise, fail(i, 'fetch returns a promise'));
      assert.equal(byCall.length - callsBefore, loads.length - loadsBefore, fail(i, 'fetchMethod called once per new load'));
      if (loads.length > loadsBefore) {
        const load = loads[loads.length - 1];
        const call = byCall[byCall.length - 1];
        assert.ok(sameKey(call.key, key), fail(i, 'fetchMethod key'));
        assert.equal(call.stale, load.stale, fail(i, 'fetchMethod stale value'));
        assert.equal(call.context, i, fail(i, 'fetchMethod context'));
        load.call = call;
        if (controller !== null) signals.push({ controller, load });
        if (syncMode !== null) {
          if (syncMode[0] === 'throw') model.loadFailed(load, syncMode[1].message);
          else model.loadDone(load, syncMode[1]);
          load.settledByTest = true;
          settleAfter = true;
        }
      }
      syncMode = null;
      const caller = { n: i, load: answer.load ?? null, expected: answer.load ? null : { value: answer.value }, actual: null };
      promise.then(
        (value) => (caller.actual = { value }),
        (err) => (caller.actual = { error: errorName(err) }),
      );
      callers.push(caller);
      if (answer.load === undefined) settleAfter = true;
    } else if (r < 0.45) {
      const open = loads.filter((l) => !l.settledByTest && l.call && l.call.resolve);
      if (open.length > 0) {
        const load = pick(open);
        load.settledByTest = true;
        const how = rand();
        if (how < 0.6) {
          const value = ++nextValue;
          op = `load #${load.id} (${String(load.key)}) resolves ${value}`;
          load.call.resolve(value);
          model.loadDone(load, value);
        } else if (how < 0.75) {
          op = `load #${load.id} (${String(load.key)}) resolves undefined`;
          load.call.resolve(undefined);
          model.loadDone(load, undefined);
        } else {
          op = `load #${load.id} (${String(load.key)}) rejects`;
          load.call.reject(new Error(`fail-${load.id}`));
          model.loadFailed(load, `fail-${load.id}`);
        }
        settleAfter = true;
      }
    } else if (r < 0.5) {
      const live = signals.filter((s) => !s.controller.signal.aborted);
      if (live.length > 0) {
        const s = pick(live);
        op = `abort the signal of load #${s.load.id} (${String(s.load.key)})`;
        s.controller.abort(`abort-${i}`);
        model.loadFailed(s.load, `abort-${i}`);
        settleAfter = true;
      }
    } else if (r < 0.62) {
      op = `get(${String(key)})`;
      assert.equal(cache.get(key), model.get(key), fail(i, 'get result'));
    } else if (r < 0.67) {
      op = `peek(${String(key)})`;
      assert.equal(cache.peek(key), model.peek(key), fail(i, 'peek result'));
    } else if (r < 0.72) {
      op = `has(${String(key)})`;
      assert.equal(cache.has(key), model.has(key), fail(i, 'has result'));
    } else if (r < 0.78) {
      const value = ++nextValue;
      op = `set(${String(key)}, ${value})`;
      model.set(key, value);
      cache.set(key, value);
      settleAfter = true;
    } else if (r < 0.83) {
      op = `delete(${String(key)})`;
      assert.equal(cache.delete(key), model.delete(key), fail(i, 'delete result'));
      settleAfter = true;
    } else if (r < 0.93) {
      op = 'advance clock';
      clock.t += Math.floor(rand() * 4);
      model.now = clock.t;
    } else if (r < 0.96) {
      op = 'iterate + size';
      assert.deepEqual([...cache], model.live(), fail(i, 'entries() order'));
      assert.equal(cache.size, model.size(), fail(i, 'size'));
    } else if (r < 0.98) {
      op = 'purgeStale';
      assert.equal(cache.purgeStale(), model.purge() > 0, fail(i, 'purgeStale'));
    } else if (r < 0.99) {
      op = 'getRemainingTTL';
      assert.equal(cache.getRemainingTTL(key), model.remainingTtl(key), fail(i, 'getRemainingTTL'));
    } else {
      op = 'clear';
      cache.clear();
      model.clear();
      settleAfter = true;
    }
    if (settleAfter) await flush();
    assert.deepEqual(cacheEvents, model.events, fail(i, 'dispose calls'));
    cacheEvents.length = 0;
    model.events.length = 0;
    if (settleAfter) checkCallers(i);
    const s = cache.stats();
    const { hits, misses, sets, deletes, evictions, expirations } = s;
    assert.deepEqual({ hits, misses, sets, deletes, evictions, expirations }, model.stats, fail(i, 'stats'));
    const inflight = model.entries.filter((e) => e.load !== null).length;
    assert.equal(s.inflight, inflight, fail(i, 'in-flight loads'));
    if (config.opts.max !== undefined) assert.ok(model.entries.length <= model.max, fail(i, 'loads count toward max'));
    if (config.opts.maxSize !== undefined) assert.equal(cache.calculatedSize, model.calc(), fail(i, 'calculatedSize'));
  }
  // Everything left in flight settles: no caller is left hanging on an aborted load.
  cache.clear();
  model.clear();
  await flush();
  checkCallers(ops);
  assert.equal(callers.filter((c) => c.load !== null && c.load.outcome === null).length, 0);
}

const FETCH_OPS = 30_000;
for (const [n, config] of FETCH_CONFIGS.entries()) {
  test(`model: ${config.label} (${FETCH_OPS} ops)`, async () => {
    const seed = seedFromEnv === undefined ? 0xfe7c + n * 104729 : Number(seedFromEnv);
    await runFetchModel(seed, config, FETCH_OPS);
  });
}

test('model: fetch, many short runs from different seeds', async () => {
  const base = seedFromEnv === undefined ? 2000 : Number(seedFromEnv);
  for (let s = 0; s < 25; s++) {
    for (const config of FETCH_CONFIGS) await runFetchModel(base + s, config, 400);
  }
});
