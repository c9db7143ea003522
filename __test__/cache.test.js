'use strict';
// LruCache beyond the Map contract: eviction order, TTL (expired before live),
// dispose reasons, stats and registration, bad input codes, resize, the shared
// autopurge timer, and unregistration on GC.
const test = require('node:test');
const { captureWarnings } = require('./support/warnings');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { LruCache } = require('../lib/cache');
const { statsTable, CELLS } = require('../lib/internal/stats');
const { validateCacheOptions } = require('../lib/cache/options');

require('node:v8').setFlagsFromString('--expose-gc');
const gc = require('node:vm').runInNewContext('gc');

const manualClock = (t = 0) => ({ t, now() { return this.t; } });

function recorder() {
  const calls = [];
  const dispose = (value, key, reason) => calls.push([key, value, reason]);
  return { calls, dispose };
}

test('evicts the least recently used; get refreshes, has does not', () => {
  const c = new LruCache({ max: 3 });
  c.set('a', 1).set('b', 2).set('c', 3);
  c.get('a'); // order now b, c, a
  c.has('b'); // no refresh
  c.set('d', 4);
  assert.deepEqual([...c.keys()], ['c', 'a', 'd']);
  c.set('c', 30); // overwrite refreshes
  c.set('e', 5);
  assert.deepEqual([...c.keys()], ['d', 'c', 'e']);
  assert.equal(c.size, 3);
});

test('initial entries beyond max keep the last max', () => {
  const c = new LruCache({ max: 2 }, [
    ['a', 1],
    ['b', 2],
    ['c', 3],
  ]);
  assert.deepEqual([...c], [
    ['b', 2],
    ['c', 3],
  ]);
});

test('maxSize evicts LRU entries until the new one fits', () => {
  const { calls, dispose } = recorder();
  const c = new LruCache({ maxSize: 10, sizeCalculation: (v) => v.length, dispose });
  c.set('a', 'xxxx').set('b', 'xxxx');
  assert.equal(c.calculatedSize, 8);
  c.set('c', 'xxxxxx');
  assert.deepEqual([...c.keys()], ['b', 'c']);
  assert.equal(c.calculatedSize, 10);
  c.set('d', 'x', { size: 9 }); // per-set size wins over sizeCalculation
  assert.deepEqual([...c.keys()], ['d']);
  assert.equal(c.calculatedSize, 9);
  assert.deepEqual(calls.map((x) => [x[0], x[2]]), [
    ['a', 'evict'],
    ['b', 'evict'],
    ['c', 'evict'],
  ]);
});

test('an expired entry is never returned, by any read', () => {
  const clock = manualClock();
  const c = new LruCache({ max: 10, ttl: 100, clock });
  c.set('a', 1);
  clock.t = 99;
  assert.equal(c.get('a'), 1);
  assert.equal(c.ttlOf('a'), 1);
  clock.t = 100;
  assert.equal(c.has('a'), false);
  assert.equal(c.get('a'), undefined);
  c.set('b', 2);
  clock.t = 200;
  assert.deepEqual([...c], []);
  assert.equal(c.size, 0);
  c.set('c', 3, { ttl: 0 }); // ttl 0: never expires
  clock.t = 1e12;
  assert.equal(c.get('c'), 3);
  assert.equal(c.ttlOf('c'), Infinity);
});

test('expired entries go before the least-recently-used live one', () => {
  const clock = manualClock();
  const { calls, dispose } = recorder();
  const c = new LruCache({ max: 3, clock, dispose });
  c.set('old', 1); // LRU, no ttl
  c.set('mid', 2);
  c.set('short', 3, { ttl: 10 }); // most recently used, but expires
  clock.t = 10;
  c.set('new', 4);
  assert.deepEqual([...c.keys()], ['old', 'mid', 'new']);
  assert.deepEqual(calls, [['short', 3, 'expire']]);
  const s = c.stats();
  assert.equal(s.expirations, 1);
  assert.equal(s.evictions, 0);
  c.set('next', 5); // nothing expired now: the LRU goes
  assert.deepEqual(calls.at(-1), ['old', 1, 'evict']);
});

test('expired entries go first when shrinking with resize', () => {
  const clock = manualClock();
  const c = new LruCache({ max: 4, clock });
  c.set('a', 1).set('b', 2).set('c', 3, { ttl: 5 }).set('d', 4);
  clock.t = 5;
  c.resize(2);
  assert.deepEqual([...c.keys()], ['b', 'd']);
  assert.equal(c.max, 2);
  c.resize(3);
  c.set('e', 5);
  assert.equal(c.size, 3);
});

test('updateAgeOnGet extends the life of a read entry', () => {
  const clock = manualClock();
  const c = new LruCache({ max: 10, ttl: 10, updateAgeOnGet: true, clock });
  c.set('a', 1).set('b', 2);
  clock.t = 8;
  assert.equal(c.get('a'), 1);
  clock.t = 15;
  assert.equal(c.get('a'), 1, 'read at 8 gave it until 18');
  assert.equal(c.get('b'), undefined, 'b was never read');
});

test('dispose gets every reason, after the cache is consistent', () => {
  const clock = manualClock();
  const { calls, dispose } = recorder();
  const c = new LruCache({ max: 2, clock, dispose });
  c.set('a', 1).set('a', 2); // set
  c.set('a', 2); // same value: no dispose
  c.set('b', 3).set('c', 4); // evict a
  c.delete('b'); // delete
  c.set('t', 5, { ttl: 1 });
  clock.t = 1;
  c.get('t'); // expire
  c.set('x', 6);
  c.clear(); // clear
  assert.deepEqual(calls, [
    ['a', 1, 'set'],
    ['a', 2, 'evict'],
    ['b', 3, 'delete'],
    ['t', 5, 'expire'],
    ['c', 4, 'clear'],
    ['x', 6, 'clear'],
  ]);
});

test('a throwing dispose becomes a warning; the cache stays consistent', async () => {
  const { warnings, restore } = captureWarnings();
  try {
    const c = new LruCache({
      max: 2,
      dispose() {
        throw new Error('dispose failed');
      },
    });
    c.set('a', 1).set('b', 2);
    assert.equal(c.set('c', 3), c, 'set still returns the cache');
    assert.equal(c.delete('b'), true);
    assert.deepEqual([...c], [['c', 3]]);
    assert.equal(c.size, 1);
    c.set('d', 4).set('e', 5);
    assert.deepEqual([...c.keys()], ['d', 'e']);
    c.clear();
    assert.equal(c.size, 0);
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(warnings.length >= 3);
    assert.equal(warnings[0].code, 'LEAKGUARD_CALLBACK_THREW');
    assert.match(warnings[0].message, /dispose failed/);
  } finally {
    await restore();
  }
});

test('dispose may use the cache re-entrantly', () => {
  const c = new LruCache({
    max: 2,
    dispose(value, key, reason) {
      if (reason === 'evict' && key === 'a') c.set('again', value);
    },
  });
  c.set('a', 1).set('b', 2).set('c', 3);
  assert.equal(c.size, 2);
  assert.equal(c.get('again'), 1);
  assert.deepEqual([...c.keys()], ['c', 'again'], 'b was evicted to make room for the re-added entry');
});

test('stats count hits, misses, sets, deletes, evictions, expirations, sizes', () => {
  const clock = manualClock();
  const c = new LruCache({ max: 2, maxSize: 100, sizeCalculation: () => 7, clock, name: 'stats-test' });
  c.set('a', 1).set('b', 2, { ttl: 5 });
  c.get('a');
  c.get('zz');
  clock.t = 5;
  c.get('b'); // expired: a miss and an expiration
  c.set('c', 3).set('d', 4); // evicts a
  c.delete('c');
  assert.deepEqual(c.stats(), {
    name: 'stats-test',
    inflight: 0,
    hits: 1,
    misses: 2,
    sets: 4,
    deletes: 1,
    evictions: 1,
    expirations: 1,
    size: 1,
    calculatedSize: 7,
    max: 2,
    maxSize: 100,
  });
});

test('the cache registers a stats row with its name, site and bounds; the sampler sees live counters', () => {
  const c = new LruCache({ max: 5, name: 'registered' }); const line = Number(/:(\d+):\d+\)?$/.exec(new Error().stack.split('\n')[1])[1]);
  c.set('k', 1);
  c.get('k');
  c.get('nope');
  const row = statsTable()
    .snapshot()
    .find((r) => r.meta.name === 'registered');
  assert.ok(row, 'row registered');
  assert.equal(row.meta.kind, 'cache');
  assert.equal(row.meta.detail, 'LruCache');
  assert.equal(row.meta.max, 5);
  assert.equal(row.meta.site.file, __filename);
  assert.equal(row.meta.site.line, line);
  assert.equal(row.cells[CELLS.cache.HITS], 1);
  assert.equal(row.cells[CELLS.cache.MISSES], 1);
  assert.equal(row.cells[CELLS.cache.SETS], 1);
  assert.equal(row.cells[CELLS.cache.SIZE], 1);
  assert.deepEqual(c.site, { ...row.meta.site, functionName: c.site.functionName });
  c.resize(9);
  const after = statsTable()
    .snapshot()
    .filter((r) => r.meta.name === 'registered');
  assert.equal(after.length, 1, 'resize re-registers, never duplicates');
  assert.equal(after[0].meta.max, 9);
  assert.equal(after[0].cells[CELLS.cache.HITS], 1, 'counters carried over');
});

test('a garbage-collected cache releases its row', async () => {
  (() => {
    const c = new LruCache({ max: 5, name: 'collected' });
    c.set('k', { big: 'x'.repeat(100) });
  })();
  const registered = () => statsTable().snapshot().some((r) => r.meta.name === 'collected');
  assert.equal(registered(), true);
  for (let i = 0; i < 50 && registered(); i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(registered(), false);
});

test('bad options are refused with a code naming the option', () => {
  const U = { code: 'ERR_LEAKGUARD_UNBOUNDED', name: 'TypeError' };
  assert.throws(() => new LruCache(), U);
  assert.throws(() => new LruCache({}), U);
  assert.throws(() => new LruCache({ ttl: 10 }), U);
  for (const name of ['max', 'maxSize', 'ttl']) {
    const base = name === 'max' ? {} : { max: 10 };
    for (const bad of [-1, 1.5, NaN, Infinity, '10', null]) {
      assert.throws(
        () => new LruCache({ ...base, [name]: bad }),
        (err) => err.code === 'ERR_LEAKGUARD_INVALID_OPTION' && err.message.includes(`"${name}"`),
        `${name}: ${String(bad)}`,
      );
    }
  }
  assert.throws(() => new LruCache({ max: 0 }), { code: 'ERR_LEAKGUARD_INVALID_OPTION', name: 'RangeError' });
  assert.throws(() => new LruCache({ max: 1, maxAge: 5 }), { code: 'ERR_LEAKGUARD_INVALID_OPTION' }, 'unknown option');
  assert.throws(() => new LruCache({ max: 1, dispose: 1 }), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => new LruCache({ max: 1, clock: {} }), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => new LruCache({ max: 1, sizeCalculation: () => 1 }), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => new LruCache({ max: 1, name: 5 }), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => new LruCache([['a', 1]]), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
});

test('a refused set leaves the cache unchanged', () => {
  const { calls, dispose } = recorder();
  const c = new LruCache({ max: 3, maxSize: 10, sizeCalculation: (v) => v, dispose });
  c.set('a', 4).set('b', 4);
  const before = () => [[...c], c.calculatedSize, c.stats()];
  const snapshot = before();
  for (const bad of [0, -1, NaN, Infinity, '3', undefined]) {
    assert.throws(() => c.set('a', bad), { code: 'ERR_LEAKGUARD_INVALID_SIZE', name: 'TypeError' }, String(bad));
  }
  assert.throws(() => c.set('a', 11), { code: 'ERR_LEAKGUARD_INVALID_SIZE', name: 'RangeError' });
  assert.throws(() => c.set('c', 1, { size: 50 }), { code: 'ERR_LEAKGUARD_INVALID_SIZE', name: 'RangeError' });
  assert.throws(() => c.set('c', 1, { ttl: -5 }), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => c.set('c', 1, { ttl: 1.5 }), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => c.set('c', 1, { nope: 1 }), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => c.set('c', 1, 'ttl'), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.deepEqual(before(), snapshot);
  assert.deepEqual(calls, []);
  const noCalc = new LruCache({ maxSize: 10 });
  assert.throws(() => noCalc.set('a', 1), { code: 'ERR_LEAKGUARD_INVALID_SIZE' });
  noCalc.set('a', 1, { size: 3 });
  assert.equal(noCalc.calculatedSize, 3);
  assert.throws(() => c.resize(0), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => c.resize(), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => c.resize(2.5), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
});

test('validateCacheOptions normalises options for other caches', () => {
  const o = validateCacheOptions({ max: 3 });
  assert.equal(o.max, 3);
  assert.equal(o.maxSize, Infinity);
  assert.equal(o.ttl, 0);
  assert.throws(() => validateCacheOptions({ max: 3, ttl: 5 }, { what: 'X', allowed: ['max'] }), {
    code: 'ERR_LEAKGUARD_INVALID_OPTION',
  });
});

test('a huge max costs nothing up front', () => {
  gc();
  const before = process.memoryUsage();
  const c = new LruCache({ max: 50_000_000 });
  c.set('a', 1);
  const after = process.memoryUsage();
  assert.ok(after.heapUsed - before.heapUsed < 4 * 1024 * 1024, `heap grew ${after.heapUsed - before.heapUsed}`);
  assert.ok(after.arrayBuffers - before.arrayBuffers < 1024 * 1024);
  assert.equal(c.max, 50_000_000);
});

test('ttlAutopurge drops expired entries without any access, from one shared timer', async () => {
  const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timeouts();
  const { calls, dispose } = recorder();
  const caches = [];
  for (let i = 0; i < 20; i++) {
    const c = new LruCache({ max: 100, ttl: 20, ttlAutopurge: true, dispose });
    for (let k = 0; k < 10; k++) c.set(k, k);
    caches.push(c);
  }
  assert.ok(timeouts() - before <= 2, `timers added: ${timeouts() - before} (the shared purge timer and clock reset)`);
  for (let i = 0; i < 300 && calls.length < 200; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(calls.length, 200);
  assert.ok(calls.every((x) => x[2] === 'expire'));
  assert.equal(caches[0].stats().expirations, 10);
  assert.equal(caches[0].stats().size, 0);
});

test('the shared autopurge timer never keeps the process alive', () => {
  const script = `
    const { LruCache } = require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'cache', 'index.js'))});
    const c = new LruCache({ max: 10, ttl: 3600000, ttlAutopurge: true });
    c.set('a', 1);
    globalThis.keep = c;
  `;
  const r = spawnSync(process.execPath, ['-e', script], { timeout: 20_000, encoding: 'utf8' });
  assert.equal(r.error, undefined, 'child exited on its own');
  assert.equal(r.status, 0, r.stderr);
});

test('util.inspect shows the entries like a Map', () => {
  const c = new LruCache({ max: 3 }, [['a', 1]]);
  assert.equal(require('node:util').inspect(c), "LruCache(1) { 'a' => 1 }");
  const clock = manualClock();
  const { calls, dispose } = recorder();
  const t = new LruCache({ max: 3, ttl: 5, clock, dispose }, [['x', 1]]);
  t.set('y', 2, { ttl: 0 });
  clock.t = 5;
  assert.equal(require('node:util').inspect(t), "LruCache(1) { 'y' => 2 }", 'expired entries are not shown');
  assert.deepEqual(calls, [], 'and looking does not dispose them');
  assert.deepEqual([...t.keys()], ['y'], 'nor reorder anything');
});

test('the autopurge schedule never keeps a cache alive', async () => {
  let collected = false;
  const watcher = new FinalizationRegistry(() => {
    collected = true;
  });
  (() => {
    const c = new LruCache({ max: 10, ttl: 3_600_000, ttlAutopurge: true, name: 'autopurge-collected' });
    c.set('a', { payload: 'x'.repeat(100) });
    watcher.register(c, 0);
  })();
  for (let i = 0; i < 50 && !collected; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(collected, true);
  assert.equal(statsTable().snapshot().some((r) => r.meta.name === 'autopurge-collected'), false);
});

test('many distinct ttls and a clock that jumps back never return an expired entry', () => {
  const clock = manualClock(1000);
  const c = new LruCache({ max: 50, clock });
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
  const expiry = new Map();
  for (let i = 0; i < 5000; i++) {
    const key = `k${Math.floor(rand() * 80)}`;
    if (rand() < 0.5) {
      const ttl = 1 + Math.floor(rand() * 40);
      c.set(key, i, { ttl });
      expiry.set(key, clock.t + ttl);
    } else {
      const v = c.get(key);
      if (v !== undefined) assert.ok(clock.t < expiry.get(key), `${key} returned after its expiry`);
    }
    clock.t += rand() < 0.05 ? -Math.floor(rand() * 20) : Math.floor(rand() * 3);
    if (i % 500 === 0) {
      for (const [k] of c) assert.ok(clock.t < expiry.get(k), `${k} iterated after its expiry`);
    }
  }
  assert.ok(c.size <= 50);
});
