'use strict';
// Model-based randomized test: LruCache against a small, obviously-correct
// reference (an array of entries in LRU order), on an injected clock, with
// sizes and ttls. Every operation's result, every dispose call, the iteration
// order and the counters must agree. Seeds are fixed (CI reproducible); set
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
  constructor({ max = Infinity, maxSize = Infinity, ttl = 0, updateAgeOnGet = false, sizeCalculation }) {
    this.max = max;
    this.maxSize = maxSize;
    this.ttl = ttl;
    this.updateAgeOnGet = updateAgeOnGet;
    this.sizeCalculation = sizeCalculation;
    this.entries = []; // LRU first: { key, value, exp, ttl, size, seq }
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

  // The expired entry that goes first: earliest expiry, earliest-assigned on ties.
  firstExpired() {
    let best = -1;
    this.entries.forEach((e, i) => {
      if (!this.expired(e)) return;
      const b = this.entries[best];
      if (best === -1 || e.exp < b.exp || (e.exp === b.exp && e.seq < b.seq)) best = i;
    });
    return best;
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
      events.push([e.value, e.key, 'evict']);
    }
  }

  expireAt(i) {
    const [e] = this.entries.splice(i, 1);
    this.stats.expirations++;
    this.events.push([e.value, e.key, 'expire']);
  }

  get(key) {
    const i = this.find(key);
    if (i === -1) {
      this.stats.misses++;
      return undefined;
    }
    const e = this.entries[i];
    if (this.expired(e)) {
      this.expireAt(i);
      this.stats.misses++;
      return undefined;
    }
    if (this.updateAgeOnGet && e.ttl > 0) {
      e.exp = this.now + e.ttl;
      e.seq = ++this.seq;
    }
    this.entries.splice(i, 1);
    this.entries.push(e);
    this.stats.hits++;
    return e.value;
  }

  has(key) {
    const i = this.find(key);
    if (i === -1) return false;
    if (this.expired(this.entries[i])) {
      this.expireAt(i);
      return false;
    }
    return true;
  }

  // Returns an error code when the set must be refused, else undefined.
  set(key, value, opts) {
    const ttl = opts && opts.ttl !== undefined ? opts.ttl : this.ttl;
    let size = 0;
    if (this.maxSize !== Infinity) {
      size = opts && opts.size !== undefined ? opts.size : this.sizeCalculation(value, key);
      if (!(size > 0) || size > this.maxSize) return 'ERR_LEAKGUARD_INVALID_SIZE';
    }
    if (key === 0) key = 0;
    this.stats.sets++;
    const events = [];
    const exp = ttl > 0 ? this.now + ttl : Infinity;
    const seq = ttl > 0 ? ++this.seq : 0;
    const i = this.find(key);
    if (i !== -1) {
      const e = this.entries[i];
      const old = e.value;
      Object.assign(e, { value, exp, ttl, size, seq });
      this.entries.splice(i, 1);
      this.entries.push(e);
      if (old !== value) events.push([old, e.key, 'set']);
    } else {
      while (this.entries.length >= this.max) this.evictOne(events);
      this.entries.push({ key, value, exp, ttl, size, seq });
    }
    while (this.calc() > this.maxSize) this.evictOne(events);
    this.events.push(...events);
    return undefined;
  }

  delete(key) {
    const i = this.find(key);
    if (i === -1) return false;
    const e = this.entries[i];
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
    for (const e of this.entries) this.events.push([e.value, e.key, 'clear']);
    this.entries = [];
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
    return this.entries.length;
  }

  resize(max) {
    this.max = max;
    const events = [];
    while (this.entries.length > max) this.evictOne(events);
    this.events.push(...events);
  }

  live() {
    return this.entries.filter((e) => !this.expired(e)).map((e) => [e.key, e.value]);
  }
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
];

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
    if (r < 0.3) {
      op = `get(${String(key)})`;
      assert.equal(cache.get(key), model.get(key), fail(i, 'get result'));
    } else if (r < 0.6) {
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
    } else if (r < 0.7) {
      op = `has(${String(key)})`;
      assert.equal(cache.has(key), model.has(key), fail(i, 'has result'));
    } else if (r < 0.78) {
      op = `delete(${String(key)})`;
      assert.equal(cache.delete(key), model.delete(key), fail(i, 'delete result'));
    } else if (r < 0.88) {
      op = 'advance clock';
      clock.t += Math.floor(rand() * 6);
      model.now = clock.t;
    } else if (r < 0.93) {
      op = 'iterate';
      assert.deepEqual([...cache], model.live(), fail(i, 'entries() order'));
      assert.deepEqual([...cache.keys()], model.live().map((e) => e[0]), fail(i, 'keys() order'));
    } else if (r < 0.96) {
      op = 'size';
      assert.equal(cache.size, model.size(), fail(i, 'size'));
    } else if (r < 0.975) {
      op = 'purgeStale';
      assert.equal(cache.purgeStale(), usesTtl ? model.purge() > 0 : false, fail(i, 'purgeStale'));
    } else if (r < 0.99) {
      const max = 1 + Math.floor(rand() * 12);
      if (config.opts.max !== undefined) {
        op = `resize(${max})`;
        cache.resize(max);
        model.resize(max);
      }
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
