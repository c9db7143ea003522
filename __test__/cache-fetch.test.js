'use strict';
// LruCache.fetch and the lru-cache-style read options, one behaviour per test
// (the randomized cross-check is in cache-model.test.js), and the leak view of
// caches: report().caches lists live caches without keeping them alive.
const test = require('node:test');
const assert = require('node:assert/strict');
const { LruCache } = require('../lib/cache');
const { liveCaches } = require('../lib/internal/live');
const { OffHeapCache } = require('../lib/offheap');
const sampler = require('../lib/sampler');

require('node:v8').setFlagsFromString('--expose-gc');
const gc = require('node:vm').runInNewContext('gc');

const manualClock = (t = 0) => ({ t, now() { return this.t; } });

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function controlledLoader() {
  const calls = [];
  const fetchMethod = (key, stale, { signal, context }) => {
    const d = deferred();
    calls.push({ key, stale, signal, context, ...d });
    return d.promise;
  };
  return { calls, fetchMethod };
}

test('concurrent fetches of one key share one load and one promise', async () => {
  const { calls, fetchMethod } = controlledLoader();
  const c = new LruCache({ max: 10, fetchMethod });
  const a = c.fetch('k', { context: 'first' });
  const b = c.fetch('k');
  assert.equal(a, b, 'the same promise');
  assert.equal(calls.length, 1, 'one load');
  assert.equal(calls[0].context, 'first');
  assert.equal(c.has('k'), false, 'a load in flight is not an entry');
  assert.equal(c.get('k'), undefined);
  assert.equal(c.size, 0);
  assert.equal(c.stats().inflight, 1);
  calls[0].resolve('v');
  assert.deepEqual(await Promise.all([a, b]), ['v', 'v']);
  assert.equal(c.get('k'), 'v');
  assert.equal(await c.fetch('k'), 'v', 'a hit loads nothing');
  assert.equal(calls.length, 1);
  assert.equal(c.stats().inflight, 0);
});

test('in-flight loads count toward max: a cache of promises never grows past it', async () => {
  const { calls, fetchMethod } = controlledLoader();
  const c = new LruCache({ max: 3, fetchMethod });
  const promises = [];
  for (let i = 0; i < 10; i++) promises.push(c.fetch(`k${i}`));
  assert.equal(c.stats().inflight, 3);
  const outcomes = await Promise.allSettled(promises.slice(0, 7));
  for (const o of outcomes) {
    assert.equal(o.status, 'rejected');
    assert.equal(o.reason.name, 'AbortError', 'an evicted load is aborted');
  }
  for (const call of calls.slice(0, 7)) assert.equal(call.signal.aborted, true);
  for (const call of calls.slice(7)) assert.equal(call.signal.aborted, false);
  calls[0].resolve('late'); // an aborted load's value is dropped
  calls[9].resolve('v9');
  assert.equal(await promises[9], 'v9');
  assert.deepEqual([...c.keys()], ['k9']);
  assert.equal(c.has('k0'), false);
});

test('delete, set and clear abort a load in flight', async () => {
  const { calls, fetchMethod } = controlledLoader();
  const c = new LruCache({ max: 10, fetchMethod });
  const p1 = c.fetch('a');
  const p2 = c.fetch('b');
  const p3 = c.fetch('c');
  assert.equal(c.delete('a'), false, 'a load is not an entry');
  c.set('b', 'direct');
  c.clear();
  for (const p of [p1, p2, p3]) await assert.rejects(p, { name: 'AbortError' });
  assert.ok(calls.every((call) => call.signal.aborted));
  calls[1].resolve('loaded');
  await new Promise(setImmediate);
  assert.equal(c.size, 0, 'an aborted load stores nothing');
});

test("the caller's AbortSignal aborts the load; a rejected load leaves no entry", async () => {
  const { calls, fetchMethod } = controlledLoader();
  const c = new LruCache({ max: 10, fetchMethod });
  const ac = new AbortController();
  const p = c.fetch('k', { signal: ac.signal });
  ac.abort('stop');
  await assert.rejects(p, (err) => err === 'stop');
  assert.equal(calls[0].signal.aborted, true);
  assert.equal(c.stats().inflight, 0);
  const q = c.fetch('k');
  calls[1].reject(new Error('backend down'));
  await assert.rejects(q, /backend down/);
  assert.equal(c.has('k'), false);
  assert.equal(c.stats().inflight, 0);
  const pre = new AbortController();
  pre.abort('already');
  await assert.rejects(c.fetch('x', { signal: pre.signal }), (err) => err === 'already');
  assert.equal(calls.length, 2, 'an already-aborted signal starts no load');
});

test('a throwing fetchMethod rejects that fetch and leaves the cache whole', async () => {
  let n = 0;
  const c = new LruCache({
    max: 2,
    fetchMethod: (key) => {
      n++;
      if (key === 'bad') throw new Error('sync throw');
      return `v-${key}`;
    },
  });
  c.set('x', 1);
  await assert.rejects(c.fetch('bad'), /sync throw/);
  assert.deepEqual([...c], [['x', 1]]);
  assert.equal(await c.fetch('ok'), 'v-ok', 'a plain (non-promise) result is the value');
  assert.deepEqual([...c], [['x', 1], ['ok', 'v-ok']]);
  assert.equal(n, 2);
});

test('a fetchMethod that deletes its own key aborts its load; the caller sees the abort', async () => {
  let signal;
  const c = new LruCache({
    max: 4,
    fetchMethod: (key, stale, opts) => {
      signal = opts.signal;
      c.delete(key);
      return 'late';
    },
  });
  await assert.rejects(c.fetch('k'), { name: 'AbortError' });
  assert.equal(signal.aborted, true);
  assert.equal(c.has('k'), false);
  assert.equal(c.stats().inflight, 0);
});

test('allowStale: a stale value is served at once while one refresh runs (stale-while-revalidate)', async () => {
  const clock = manualClock();
  const { calls, fetchMethod } = controlledLoader();
  const disposed = [];
  const c = new LruCache({ max: 10, ttl: 100, clock, allowStale: true, fetchMethod, dispose: (v, k, r) => disposed.push([k, v, r]) });
  c.set('k', 'old');
  clock.t = 100;
  assert.equal(await c.fetch('k'), 'old', 'stale value at once');
  assert.equal(await c.fetch('k'), 'old', 'still stale, no second load');
  assert.equal(calls.length, 1);
  assert.equal(calls[0].stale, 'old', 'the loader sees the stale value');
  assert.equal(c.get('k'), 'old', 'get serves the stale value too (allowStale)');
  calls[0].resolve('new');
  await new Promise(setImmediate);
  assert.equal(c.get('k'), 'new');
  assert.equal(c.getRemainingTTL('k'), 100, 'the loaded value has a fresh ttl');
  assert.deepEqual(disposed, [['k', 'old', 'set']]);
});

test('allowStaleOnFetchRejection keeps the stale value when the refresh fails', async () => {
  const clock = manualClock();
  const { calls, fetchMethod } = controlledLoader();
  const c = new LruCache({ max: 10, ttl: 10, clock, fetchMethod, allowStaleOnFetchRejection: true });
  c.set('k', 'old');
  clock.t = 20;
  const p = c.fetch('k');
  calls[0].reject(new Error('down'));
  assert.equal(await p, 'old');
  assert.equal(c.get('k'), undefined, 'kept, but still expired');
  const d = new LruCache({ max: 10, ttl: 10, clock, fetchMethod });
  d.set('k', 'old');
  clock.t = 40;
  const q = d.fetch('k');
  calls[1].reject(new Error('down'));
  await assert.rejects(q, /down/);
  assert.equal(d.peek('k', { allowStale: true }), undefined, 'without the option, no entry is left');
});

test('forceRefresh loads even on a fresh hit; without a fetchMethod fetch is get', async () => {
  const { calls, fetchMethod } = controlledLoader();
  const c = new LruCache({ max: 10, fetchMethod });
  c.set('k', 1);
  assert.equal(await c.fetch('k'), 1);
  const p = c.fetch('k', { forceRefresh: true });
  assert.equal(calls.length, 1);
  calls[0].resolve(2);
  assert.equal(await p, 2);
  const plain = new LruCache({ max: 2 });
  plain.set('a', 'A');
  assert.equal(await plain.fetch('a'), 'A');
  assert.equal(await plain.fetch('b'), undefined);
});

test('a throwing dispose during fetch never corrupts the cache', async () => {
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    const c = new LruCache({
      max: 1,
      fetchMethod: async (k) => `v-${k}`,
      dispose: () => {
        throw new Error('dispose boom');
      },
    });
    assert.equal(await c.fetch('a'), 'v-a');
    assert.equal(await c.fetch('b'), 'v-b'); // evicts a: dispose throws
    assert.deepEqual([...c], [['b', 'v-b']]);
    await new Promise(setImmediate);
    assert.ok(warnings.some((w) => /dispose boom/.test(w.message)));
  } finally {
    process.off('warning', onWarning);
  }
});

test('peek, noDeleteOnStaleGet, updateAgeOnHas, info, getRemainingTTL/ttlOf', () => {
  const clock = manualClock();
  const c = new LruCache({ max: 3, ttl: 10, clock, noDeleteOnStaleGet: true, updateAgeOnHas: true });
  c.set('a', 1).set('b', 2);
  assert.equal(c.peek('a'), 1);
  c.set('c', 3).set('d', 4); // a was peeked, not used: it is evicted
  assert.equal(c.has('a'), false);
  clock.t = 5;
  assert.equal(c.has('b'), true); // restarts b's ttl
  assert.equal(c.getRemainingTTL('b'), 10);
  assert.equal(c.ttlOf, c.getRemainingTTL, 'ttlOf is an alias');
  const { start, ...info } = c.info('b');
  assert.deepEqual(info, { value: 2, ttl: 10, age: 0 });
  assert.equal(typeof start, 'number', 'the Date.now() time ttl counts from');
  clock.t = 12;
  assert.equal(c.info('c'), undefined, 'expired: no info');
  assert.equal(c.get('c'), undefined, 'expired');
  assert.equal(c.peek('c', { allowStale: true }), 3, 'kept (noDeleteOnStaleGet) and readable as stale');
  assert.throws(() => c.peek('c', { stale: true }), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => c.fetch('c', { refresh: true }), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => c.fetch('c', { signal: {} }), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
});

test('dump/load carries entries, order, sizes and the ttl left to a new cache', () => {
  const clock = manualClock(1000);
  const a = new LruCache({ max: 5, maxSize: 100, sizeCalculation: () => 3, ttl: 50, clock });
  a.set('x', 1).set('y', 2, { ttl: 0 }).set('z', 3, { size: 7 });
  clock.t = 1020;
  a.get('x');
  const dump = JSON.parse(JSON.stringify(a.dump()));
  const clock2 = manualClock(5);
  const b = new LruCache({ max: 5, maxSize: 100, sizeCalculation: () => 3, ttl: 50, clock: clock2 });
  b.set('gone', 0);
  b.load(dump);
  assert.deepEqual([...b], [['y', 2], ['z', 3], ['x', 1]]);
  assert.equal(b.calculatedSize, 13);
  assert.equal(b.getRemainingTTL('y'), Infinity);
  // What was left of x's ttl at dump() (30 ms), less the wall time between
  // dump() and load(): never more, and not yet gone.
  const left = b.getRemainingTTL('x');
  assert.ok(left > 0 && left <= 31, `x keeps at most the 30 ms it had left (${left})`);
  const before = [...b];
  assert.throws(() => b.load([['k', { value: 1, ttl: -1 }]]), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.deepEqual([...b], before, 'a rejected load changes nothing');
  b.load([['old', { value: 1, ttl: 10, start: Date.now() - 60_000 }]]);
  assert.equal(b.size, 0, 'an entry expired on the way is skipped');
});

test('report().caches lists live caches (lru and offheap) and never keeps one alive', async () => {
  const lru = new LruCache({ max: 4, name: 'report-lru', fetchMethod: () => new Promise(() => {}) });
  lru.set('a', 1);
  lru.get('a');
  lru.get('b');
  lru.fetch('pending').catch(() => {});
  const off = new OffHeapCache({ maxSize: 1 << 16 });
  off.set('k', 'v');
  off.get('k');
  const rows = sampler.report().caches;
  const row = rows.find((r) => r.name === 'report-lru');
  assert.deepEqual(
    { ...row, site: undefined },
    { name: 'report-lru', kind: 'lru', site: undefined, size: 1, max: 4, maxSize: null, bytes: null, hits: 1, misses: 2, hitRate: 1 / 3, evictions: 0, inflight: 1 },
  );
  assert.match(row.site.file, /cache-fetch\.test\.js$/);
  assert.deepEqual(Object.keys(row.site), ['file', 'line', 'column', 'functionName']);
  const offRow = rows.find((r) => r.kind === 'offheap' && r.hits === 1);
  assert.ok(offRow, 'the off-heap cache is listed');
  assert.equal(offRow.size, 1);
  assert.ok(offRow.bytes > 0);
  assert.equal(offRow.maxSize, 1 << 16);
  off.close();
  assert.equal(liveCaches().filter((r) => r.kind === 'offheap' && r.hits === 1).length, 0, 'a closed cache is not listed');

  // Weakly held: a dropped cache leaves the list once collected.
  (() => {
    const tmp = new LruCache({ max: 2, name: 'report-dropped' });
    tmp.set('x', 1);
  })();
  const ref = new WeakRef(lru);
  for (let i = 0; i < 10 && liveCaches().some((r) => r.name === 'report-dropped'); i++) {
    await new Promise(setImmediate);
    gc();
  }
  assert.equal(liveCaches().some((r) => r.name === 'report-dropped'), false);
  assert.ok(ref.deref() !== undefined);
});
