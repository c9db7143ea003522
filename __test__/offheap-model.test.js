'use strict';
// Model-based randomized test of OffHeapCache: seeded random operations run
// against the cache and against a small reference model of the documented
// semantics (LRU by bytes, a default ttl and per-entry ttls on an injected
// clock, expired entries removed before any live one is evicted, and every
// removed entry handed to dispose and then disposeAfter with its reason). Any
// divergence fails with the seed and the operation number, so it can be
// replayed.

const test = require('node:test');
const assert = require('node:assert/strict');
const { OffHeapCache } = require('../lib/offheap');

const OVERHEAD = OffHeapCache.entryOverhead;

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

function stringBytes(s) {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) return s.length * 2;
  return s.length;
}

function entrySize(key, value) {
  const k = typeof key === 'number' ? 8 : stringBytes(key);
  const v = typeof value === 'string' ? stringBytes(value) : value.byteLength;
  return k + v + OVERHEAD;
}

/** The documented semantics, written the obvious way. */
class Model {
  constructor(maxSize, ttl) {
    this.maxSize = maxSize;
    this.ttl = ttl;
    this.map = new Map(); // insertion order = LRU first
    this.bytes = 0;
    this.evictions = 0;
    this.expirations = 0;
    this.events = []; // [value, key, reason] of every removed entry
  }
  expired(e, now) {
    return now >= e.expires;
  }
  remove(key, reason) {
    const e = this.map.get(key);
    this.map.delete(key);
    this.bytes -= e.size;
    this.events.push([e.value, key, reason]);
  }
  purge(now) {
    for (const [key, e] of [...this.map]) {
      if (this.expired(e, now)) {
        this.remove(key, 'expire');
        this.expirations++;
      }
    }
  }
  lookup(key, now, touch) {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (this.expired(e, now)) {
      this.remove(key, 'expire');
      this.expirations++;
      return undefined;
    }
    if (touch) {
      this.map.delete(key);
      this.map.set(key, e);
    }
    return e;
  }
  // ttl: undefined = the default, 0 = never expires, else ms.
  set(key, value, now, ttl) {
    const size = entrySize(key, value);
    if (size > this.maxSize) return 'too big';
    if (this.map.has(key)) this.remove(key, 'set');
    const t = ttl === undefined ? this.ttl : ttl;
    this.map.set(key, { value, size, expires: t > 0 ? now + t : Infinity });
    this.bytes += size;
    if (this.bytes > this.maxSize) {
      this.purge(now);
      for (const [k] of this.map) {
        if (this.bytes <= this.maxSize) break;
        this.remove(k, 'evict');
        this.evictions++;
      }
    }
    return 'ok';
  }
  clear() {
    for (const key of [...this.map.keys()]) this.remove(key, 'clear');
  }
  delete(key, now) {
    const e = this.map.get(key);
    if (e === undefined) return false;
    this.remove(key, this.expired(e, now) ? 'expire' : 'delete');
    if (this.expired(e, now)) {
      this.expirations++;
      return false;
    }
    return true;
  }
}

function keySpace() {
  const keys = [0, -1, 1, '1', '0', 1.5, NaN, 'k\uD800', 'k\uDC00', 'é', '€uro', ''];
  for (let i = 0; i < 40; i++) keys.push(i % 2 === 0 ? `user:${i}` : 1000 + i);
  return keys;
}

function randomValue(rnd) {
  const len = Math.floor(rnd() * (rnd() < 0.1 ? 900 : 220));
  const r = rnd();
  if (r < 0.25) return Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
  if (r < 0.4) return Uint8Array.from({ length: len }, () => Math.floor(rnd() * 256));
  const alphabet = r < 0.8 ? 'abcdefghij' : r < 0.9 ? 'aé\u00ff' : 'a€\uD800\uDC00\uDFFF';
  let s = '';
  for (let i = 0; i < len; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
  return s;
}

function sameValue(actual, expected, where) {
  if (typeof expected === 'string') {
    assert.equal(actual, expected, where);
    return;
  }
  assert.ok(actual instanceof Uint8Array, `${where}: a byte value comes back as bytes`);
  assert.equal(Buffer.isBuffer(actual), Buffer.isBuffer(expected), `${where}: Buffer stays Buffer, Uint8Array stays Uint8Array`);
  assert.deepEqual(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength), Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength), where);
}

// A removed entry as a comparable string: removals from different shards come
// in shard order, so each operation's calls are compared as a multiset.
function eventKey([value, key, reason]) {
  const v =
    typeof value === 'string'
      ? `s:${value}`
      : `${Buffer.isBuffer(value) ? 'B' : 'u8'}:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  return `${typeof key}:${String(key)}|${reason}|${v}`;
}

function run(seed, ops, ttl, { perEntry = false, dispose = false } = {}) {
  const rnd = mulberry32(seed);
  const keys = keySpace();
  const maxSize = 30 * (OVERHEAD + 120);
  let now = 1000;
  const clock = { now: () => now };
  const disposed = [];
  const after = [];
  const cache = new OffHeapCache({
    maxSize,
    ttl,
    clock,
    ...(dispose
      ? {
          dispose: (value, key, reason) => disposed.push([value, key, reason]),
          disposeAfter: (value, key, reason) => {
            assert.equal(disposed.length > after.length, true, 'disposeAfter runs after dispose');
            after.push([value, key, reason]);
          },
        }
      : {}),
  });
  const model = new Model(maxSize, ttl);
  const counts = { hits: 0, misses: 0, sets: 0, deletes: 0 };
  const advances = ttl > 0 || perEntry;
  const span = ttl > 0 ? ttl : 500;
  try {
    for (let op = 0; op < ops; op++) {
      const where = `seed ${seed}, ttl ${ttl}, perEntry ${perEntry}, op ${op}`;
      const key = keys[Math.floor(rnd() * keys.length)];
      const r = rnd();
      if (advances && rnd() < 0.2) now += Math.floor(rnd() * span * 0.3);
      if (r < 0.35) {
        const value = rnd() < 0.005 ? 'x'.repeat(maxSize) : randomValue(rnd);
        let options;
        if (perEntry && rnd() < 0.6) options = { ttl: [0, 1, 50, 200, 500, 1000, ttl][Math.floor(rnd() * 7)] };
        const expect = model.set(key, value, now, options === undefined ? undefined : options.ttl);
        if (expect === 'too big') {
          assert.throws(() => cache.set(key, value, options), { code: 'ERR_LEAKGUARD_INVALID_SIZE', name: 'RangeError' }, where);
        } else {
          assert.equal(cache.set(key, value, options), cache, where);
          counts.sets++;
        }
      } else if (r < 0.65) {
        const e = model.lookup(key, now, true);
        const got = cache.get(key);
        if (e === undefined) {
          assert.equal(got, undefined, where);
          counts.misses++;
        } else {
          sameValue(got, e.value, where);
          counts.hits++;
        }
      } else if (r < 0.72) {
        const e = model.lookup(key, now, false);
        const got = cache.peek(key);
        if (e === undefined) assert.equal(got, undefined, where);
        else sameValue(got, e.value, where);
      } else if (r < 0.8) {
        assert.equal(cache.has(key), model.lookup(key, now, false) !== undefined, where);
      } else if (r < 0.9) {
        const expect = model.delete(key, now);
        assert.equal(cache.delete(key), expect, where);
        if (expect) counts.deletes++;
      } else if (r < 0.93) {
        model.purge(now);
        assert.equal(cache.size, model.map.size, where);
      } else if (r < 0.95) {
        model.purge(now);
        assert.deepEqual([...cache.keys()], [...model.map.keys()], `${where}: keys, least recently used first`);
      } else if (r < 0.96) {
        model.purge(now);
        const got = [...cache];
        const expect = [...model.map].map(([k, e]) => [k, e.value]);
        assert.equal(got.length, expect.length, where);
        for (let i = 0; i < got.length; i++) {
          assert.ok(Object.is(got[i][0], expect[i][0]) || (got[i][0] === 0 && expect[i][0] === 0), where);
          sameValue(got[i][1], expect[i][1], where);
        }
      } else if (r < 0.962) {
        cache.clear();
        model.clear();
      } else if (r < 0.965) {
        model.purge(now);
        assert.equal(cache.purgeStale(), model.events.length > 0, where);
      } else {
        const s = cache.stats();
        assert.deepEqual(
          {
            hits: s.hits,
            misses: s.misses,
            sets: s.sets,
            deletes: s.deletes,
            evictions: s.evictions,
            expirations: s.expirations,
            size: s.size,
            calculatedSize: s.calculatedSize,
          },
          { ...counts, evictions: model.evictions, expirations: model.expirations, size: model.map.size, calculatedSize: model.bytes },
          where,
        );
        assert.ok(s.calculatedSize <= maxSize, where);
      }
      if (dispose) {
        const want = model.events.map(eventKey).sort();
        assert.deepEqual(disposed.map(eventKey).sort(), want, `${where}: dispose calls`);
        assert.deepEqual(after.map(eventKey).sort(), want, `${where}: disposeAfter calls`);
        disposed.length = 0;
        after.length = 0;
      }
      model.events.length = 0;
    }
  } finally {
    cache.close();
  }
  return model;
}

test('100 000+ random operations without ttl match the model', () => {
  for (const seed of [1, 2, 3]) {
    const model = run(seed, 20_000, 0);
    assert.ok(model.evictions > 100, 'the workload does evict');
  }
});

test('100 000+ random operations with ttl on an injected clock match the model', () => {
  for (const seed of [11, 12, 13]) {
    const model = run(seed, 20_000, 500);
    assert.ok(model.expirations > 100, 'the workload does expire entries');
    assert.ok(model.evictions > 10, 'and still evicts live ones when full');
  }
});

test('100 000+ random operations with per-entry ttls, dispose and disposeAfter match the model', () => {
  for (const [seed, ttl] of [
    [21, 0],
    [22, 500],
    [23, 0],
    [24, 300],
    [25, 0],
  ]) {
    const model = run(seed, 20_000, ttl, { perEntry: true, dispose: true });
    assert.ok(model.expirations > 100, 'entries expire');
    assert.ok(model.evictions > 10, 'and live ones are evicted when full');
  }
});
