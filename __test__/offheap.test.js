'use strict';
// OffHeapCache: the Map-like surface, value types, byte bound, TTL, bad input,
// sharing by name within a thread, the stats row, external-memory reporting,
// and release of the store on close() and on garbage collection.

const test = require('node:test');
const assert = require('node:assert/strict');
const v8 = require('node:v8');
const vm = require('node:vm');
const { OffHeapCache, v8ExternalMemory } = require('../lib/offheap');
const { CELLS, statsTable } = require('../lib/internal/stats');
const leakguard = require('..');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const OVERHEAD = OffHeapCache.entryOverhead;

async function collect() {
  for (let i = 0; i < 6; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test('is the public OffHeapCache', () => {
  assert.equal(leakguard.OffHeapCache, OffHeapCache);
  const c = new OffHeapCache({ maxSize: 1000 });
  assert.equal(Object.prototype.toString.call(c), '[object OffHeapCache]');
  assert.equal(c[Symbol.iterator], c.entries);
  c.close();
});

test('get returns the type that was stored', () => {
  const c = new OffHeapCache({ maxSize: 1 << 20 });
  c.set('s', 'hello').set('u', 'h\u00e9\u20ac\uD800x').set('b', Buffer.from('buf')).set('a', new Uint8Array([1, 2, 3]));
  c.set('empty', '').set('eb', Buffer.alloc(0));
  assert.equal(c.get('s'), 'hello');
  assert.equal(c.get('u'), 'h\u00e9\u20ac\uD800x');
  const b = c.get('b');
  assert.ok(Buffer.isBuffer(b));
  assert.equal(b.toString(), 'buf');
  const a = c.get('a');
  assert.ok(a instanceof Uint8Array && !Buffer.isBuffer(a));
  assert.deepEqual([...a], [1, 2, 3]);
  assert.equal(c.get('empty'), '');
  assert.equal(c.get('eb').length, 0);
  c.close();
});

test('values are copies: changing the source or the result changes nothing stored', () => {
  const c = new OffHeapCache({ maxSize: 1 << 20 });
  const src = Buffer.from('abc');
  c.set('k', src);
  src[0] = 0x7a;
  const out = c.get('k');
  assert.equal(out.toString(), 'abc');
  out[1] = 0x7a;
  assert.equal(c.get('k').toString(), 'abc');
  const view = Buffer.from('0123456789').subarray(2, 5);
  c.set('view', view);
  assert.equal(c.get('view').toString(), '234', 'only the view, not its whole ArrayBuffer');
  c.close();
});

test('values larger than the scratch buffer round-trip', () => {
  const c = new OffHeapCache({ maxSize: 8 << 20 });
  const big = Buffer.alloc(300_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  c.set('big', big).set('bigu8', new Uint8Array(big)).set('bigs', 'x\u20ac'.repeat(100_000));
  assert.ok(c.get('big').equals(big));
  const u8 = c.get('bigu8');
  assert.ok(!Buffer.isBuffer(u8) && Buffer.from(u8).equals(big));
  assert.equal(c.get('bigs'), 'x\u20ac'.repeat(100_000));
  c.close();
});

test('a second loaded copy of the module (a reset module registry) reads byte values correctly', () => {
  const file = require.resolve('../lib/offheap');
  const saved = require.cache[file];
  delete require.cache[file];
  const again = require('../lib/offheap');
  require.cache[file] = saved;
  assert.notEqual(again.OffHeapCache, OffHeapCache);
  const a = new OffHeapCache({ maxSize: 10_000 });
  const b = new again.OffHeapCache({ maxSize: 10_000 });
  a.set('k', Buffer.from('from the first copy'));
  b.set('k', Buffer.from('from the second copy'));
  assert.equal(b.get('k').toString(), 'from the second copy');
  assert.equal(a.get('k').toString(), 'from the first copy');
  a.close();
  b.close();
});

test('keys: numbers and strings differ, -0 is 0, UTF-16 keys never collide', () => {
  const c = new OffHeapCache({ maxSize: 1 << 20 });
  c.set(1, 'number').set('1', 'string').set(-0, 'zero').set(NaN, 'nan');
  c.set('k\uD800', 'high').set('k\uDC00', 'low').set('k\uFFFD', 'replacement');
  assert.equal(c.get(1), 'number');
  assert.equal(c.get('1'), 'string');
  assert.equal(c.get(0), 'zero');
  assert.equal(c.get(NaN), 'nan');
  assert.equal(c.get('k\uD800'), 'high');
  assert.equal(c.get('k\uDC00'), 'low');
  assert.equal(c.get('k\uFFFD'), 'replacement');
  assert.equal(c.size, 7);
  assert.ok(Object.is([...c.keys()].find((k) => k === 0), 0));
  assert.equal(c.get({}), undefined, 'an unusable key is simply absent');
  assert.equal(c.has(Symbol('s')), false);
  assert.equal(c.delete(null), false);
  c.close();
});

test('the Map-like surface', () => {
  const c = new OffHeapCache({ maxSize: 1 << 20 }, [
    ['a', '1'],
    ['b', '2'],
  ]);
  assert.equal(c.size, 2);
  assert.equal(c.has('a'), true);
  assert.equal(c.delete('a'), true);
  assert.equal(c.delete('a'), false);
  c.set('c', '3').set('d', '4');
  c.get('b');
  assert.deepEqual([...c.keys()], ['c', 'd', 'b'], 'least recently used first');
  assert.deepEqual([...c.values()], ['3', '4', '2']);
  assert.deepEqual([...c.entries()], [
    ['c', '3'],
    ['d', '4'],
    ['b', '2'],
  ]);
  const seen = [];
  const self = {};
  c.forEach(function (value, key, map) {
    seen.push([key, value, map === c, this === self]);
  }, self);
  assert.deepEqual(seen, [
    ['c', '3', true, true],
    ['d', '4', true, true],
    ['b', '2', true, true],
  ]);
  for (const key of c.keys()) c.delete(key); // mutation during iteration is safe
  assert.equal(c.size, 0);
  c.set('x', 'y');
  c.clear();
  assert.equal(c.size, 0);
  assert.equal(c.get('x'), undefined);
  assert.equal(c.stats().calculatedSize, 0);
  c.close();
});

test('maxSize bounds the real bytes and evicts least recently used', () => {
  const entry = 1 + 100 + OVERHEAD; // one-byte key, 100 Latin-1 chars
  const c = new OffHeapCache({ maxSize: entry * 3 });
  c.set('a', 'a'.repeat(100)).set('b', 'b'.repeat(100)).set('c', 'c'.repeat(100));
  assert.equal(c.stats().calculatedSize, entry * 3);
  c.get('a');
  c.set('d', 'd'.repeat(100));
  assert.deepEqual([...c.keys()], ['c', 'a', 'd']);
  assert.equal(c.stats().evictions, 1);
  c.set('e', 'é'.repeat(100)); // still one byte per char
  assert.equal(c.stats().calculatedSize, entry * 3);
  c.set('f', '\u20ac'.repeat(50)); // two bytes per UTF-16 unit
  assert.equal(c.stats().calculatedSize, entry * 3);
  assert.equal(c.size, 3);
  c.close();
});

test('bad values and oversized entries are refused and leave the cache unchanged', () => {
  const c = new OffHeapCache({ maxSize: 500 });
  c.set('keep', 'value');
  const before = c.stats();
  for (const value of [{}, 42, null, undefined, true, [1], new Float32Array(2), new DataView(new ArrayBuffer(2)), new ArrayBuffer(4), Symbol('v')]) {
    assert.throws(() => c.set('keep', value), { name: 'TypeError', code: 'ERR_LEAKGUARD_INVALID_VALUE' });
  }
  for (const key of [{}, null, undefined, Symbol('k'), 1n]) {
    assert.throws(() => c.set(key, 'v'), { name: 'TypeError', code: 'ERR_LEAKGUARD_INVALID_VALUE' });
  }
  assert.throws(() => c.set('keep', 'x'.repeat(500)), { name: 'RangeError', code: 'ERR_LEAKGUARD_INVALID_SIZE' });
  assert.throws(() => c.set('other', Buffer.alloc(500)), { name: 'RangeError', code: 'ERR_LEAKGUARD_INVALID_SIZE' });
  assert.equal(c.get('keep'), 'value');
  assert.deepEqual({ ...c.stats(), hits: before.hits }, before);
  c.close();
});

test('options are validated with codes that name the option', () => {
  const bad = (options, code, name) => assert.throws(() => new OffHeapCache(options), { code, name });
  bad(undefined, 'ERR_LEAKGUARD_UNBOUNDED', 'TypeError');
  bad({}, 'ERR_LEAKGUARD_UNBOUNDED', 'TypeError');
  bad({ ttl: 10 }, 'ERR_LEAKGUARD_UNBOUNDED', 'TypeError');
  bad(null, 'ERR_LEAKGUARD_INVALID_OPTION', 'TypeError');
  bad(5, 'ERR_LEAKGUARD_INVALID_OPTION', 'TypeError');
  for (const maxSize of [0, -1, 1.5, Infinity]) bad({ maxSize }, 'ERR_LEAKGUARD_INVALID_OPTION', 'RangeError');
  for (const maxSize of [NaN, '100', null]) bad({ maxSize }, 'ERR_LEAKGUARD_INVALID_OPTION', 'TypeError');
  for (const ttl of [-1, Infinity]) bad({ maxSize: 100, ttl }, 'ERR_LEAKGUARD_INVALID_OPTION', 'RangeError');
  for (const ttl of [NaN, '10']) bad({ maxSize: 100, ttl }, 'ERR_LEAKGUARD_INVALID_OPTION', 'TypeError');
  bad({ maxSize: 100, name: 5 }, 'ERR_LEAKGUARD_INVALID_OPTION', 'TypeError');
  bad({ maxSize: 100, name: '' }, 'ERR_LEAKGUARD_INVALID_OPTION', 'TypeError');
  bad({ maxSize: 100, clock: {} }, 'ERR_LEAKGUARD_INVALID_OPTION', 'TypeError');
  bad({ maxSize: 100, max: 10 }, 'ERR_LEAKGUARD_INVALID_OPTION', 'TypeError');
  const err = (() => {
    try {
      new OffHeapCache({ maxSize: -1 });
    } catch (e) {
      return e;
    }
  })();
  assert.match(err.message, /maxSize/);
});

test('ttl on an injected clock: expired entries are never returned and go before live ones', () => {
  let now = 0;
  const entry = 2 + 10 + OVERHEAD;
  const c = new OffHeapCache({ maxSize: entry * 3, ttl: 100, clock: { now: () => now } });
  c.set('k0', 'x'.repeat(10));
  now = 50;
  c.set('k1', 'x'.repeat(10)).set('k2', 'x'.repeat(10));
  c.get('k0'); // most recently used, but it will expire first
  now = 120;
  c.set('k3', 'x'.repeat(10));
  assert.deepEqual([...c.keys()], ['k1', 'k2', 'k3'], 'the expired k0 went, not the least recently used k1');
  assert.deepEqual([c.stats().evictions, c.stats().expirations], [0, 1]);
  now = 149;
  assert.equal(c.get('k1'), 'x'.repeat(10));
  now = 150;
  assert.equal(c.get('k1'), undefined);
  assert.equal(c.has('k2'), false);
  assert.equal(c.size, 1);
  now = 1000;
  assert.equal(c.purgeStale(), true);
  assert.equal(c.size, 0);
  c.close();
});

test('ttl on the store clock', async () => {
  const c = new OffHeapCache({ maxSize: 10_000, ttl: 20 });
  c.set('k', 'v');
  assert.equal(c.get('k'), 'v');
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(c.get('k'), undefined);
  c.close();
});

test('caches with the same name share one store; different options are refused', () => {
  const a = new OffHeapCache({ name: 'offheap-test-shared', maxSize: 100_000, ttl: 0 });
  const b = new OffHeapCache({ name: 'offheap-test-shared', maxSize: 100_000 });
  a.set('k', 'from a');
  assert.equal(b.get('k'), 'from a');
  b.delete('k');
  assert.equal(a.has('k'), false);
  assert.throws(() => new OffHeapCache({ name: 'offheap-test-shared', maxSize: 99_999 }), {
    code: 'ERR_LEAKGUARD_CACHE_MISMATCH',
  });
  assert.throws(() => new OffHeapCache({ name: 'offheap-test-shared', maxSize: 100_000, ttl: 5 }), {
    code: 'ERR_LEAKGUARD_CACHE_MISMATCH',
  });
  const stores = OffHeapCache.processUsage().stores;
  a.set('k', 'again');
  a.close();
  assert.equal(b.get('k'), 'again', 'the store lives while a handle does');
  b.close();
  assert.equal(OffHeapCache.processUsage().stores, stores - 1, 'and is freed with the last one');
  const c = new OffHeapCache({ name: 'offheap-test-shared', maxSize: 5 });
  assert.equal(c.size, 0, 'a later opener gets a fresh store with its own options');
  c.close();
});

test('stats: this handle counts hits, misses, sets and deletes; the store counts the rest; the row is live', () => {
  const c = new OffHeapCache({ name: 'offheap-test-stats', maxSize: 2 * (1 + 3 + OVERHEAD) });
  c.set('a', 'aaa').set('b', 'bbb').set('c', 'ccc');
  c.get('c');
  c.get('a');
  c.delete('b');
  c.delete('b');
  const s = c.stats();
  assert.deepEqual(s, {
    hits: 1,
    misses: 1,
    sets: 3,
    deletes: 1,
    evictions: 1,
    expirations: 0,
    size: 1,
    calculatedSize: 1 + 3 + OVERHEAD,
    maxSize: 2 * (1 + 3 + OVERHEAD),
    ttl: 0,
    name: 'offheap-test-stats',
  });
  const row = statsTable()
    .snapshot()
    .find((r) => r.meta.detail === 'OffHeapCache' && r.meta.name === 'offheap-test-stats');
  assert.ok(row, 'a cache row is registered');
  assert.equal(row.meta.kind, 'cache');
  assert.equal(row.meta.maxSize, 2 * (1 + 3 + OVERHEAD));
  assert.equal(row.meta.site.file, __filename);
  assert.equal(row.cells[CELLS.cache.HITS], 1);
  assert.equal(row.cells[CELLS.cache.SIZE], 1, 'store figures are written without a stats() call');
  assert.equal(row.cells[CELLS.cache.CALCULATED_SIZE], 1 + 3 + OVERHEAD);
  assert.equal(row.cells[CELLS.cache.EVICTIONS], 1);
  c.close();
  assert.equal(
    statsTable()
      .snapshot()
      .find((r) => r.meta.name === 'offheap-test-stats'),
    undefined,
    'close() gives the row back',
  );
});

test('close() is idempotent and later calls throw ERR_LEAKGUARD_NATIVE', () => {
  const c = new OffHeapCache({ maxSize: 1000 });
  c.set('k', 'v');
  c.close();
  c.close();
  for (const call of [() => c.get('k'), () => c.set('k', 'v'), () => c.has('k'), () => c.size, () => [...c], () => c.stats()]) {
    assert.throws(call, { code: 'ERR_LEAKGUARD_NATIVE' });
  }
});

// V8's external-memory counter (moved by napi_adjust_external_memory, read
// back through it): what V8's GC heuristics see. On Node 20 it is not part of
// process.memoryUsage().external, which V8 11 fills with ArrayBuffer stores only.
test('V8 is told about the stored bytes, and untold when they go', () => {
  gc(); // earlier tests' Buffers (ArrayBuffer memory counts here too) go first
  const base = v8ExternalMemory();
  const c = new OffHeapCache({ maxSize: 64 << 20 });
  const value = 'v'.repeat(10_000);
  for (let i = 0; i < 2000; i++) c.set(`key:${i}`, value);
  const stored = c.stats().calculatedSize;
  assert.ok(stored > 20e6);
  const full = v8ExternalMemory();
  assert.ok(Math.abs(full - base - stored) < 1e6, `V8's external memory rose by ${full - base}, stored ${stored}`);
  for (let i = 0; i < 1000; i++) c.delete(`key:${i}`);
  const half = v8ExternalMemory();
  assert.ok(Math.abs(full - half - stored / 2) < 1e6, `fell by ${full - half} after deleting half of ${stored}`);
  c.clear();
  assert.ok(Math.abs(v8ExternalMemory() - base) < 1e6, 'back to the baseline after clear()');
  for (let i = 0; i < 1000; i++) c.set(`key:${i}`, value);
  assert.ok(v8ExternalMemory() - base > 9e6);
  c.close();
  assert.ok(Math.abs(v8ExternalMemory() - base) < 1e6, 'and after close()');
});

test('a second handle in the same thread does not report the store twice', () => {
  gc(); // earlier tests' Buffers (ArrayBuffer memory counts here too) go first
  const base = v8ExternalMemory();
  const a = new OffHeapCache({ name: 'offheap-test-report', maxSize: 64 << 20 });
  const b = new OffHeapCache({ name: 'offheap-test-report', maxSize: 64 << 20 });
  for (let i = 0; i < 1000; i++) a.set(i, 'v'.repeat(10_000));
  b.set(-1, 'x');
  const rise = v8ExternalMemory() - base;
  const stored = a.stats().calculatedSize;
  assert.ok(Math.abs(rise - stored) < 1e6, `rose by ${rise} for ${stored} stored`);
  a.close();
  assert.ok(v8ExternalMemory() - base > 9e6, 'still reported while b has it open');
  b.close();
  assert.ok(Math.abs(v8ExternalMemory() - base) < 1e6);
});

test('a garbage-collected cache frees its store and its row', async () => {
  const before = OffHeapCache.processUsage();
  (() => {
    const c = new OffHeapCache({ name: 'offheap-test-gc', maxSize: 8 << 20 });
    for (let i = 0; i < 500; i++) c.set(i, Buffer.alloc(1000, i));
  })();
  assert.equal(OffHeapCache.processUsage().stores, before.stores + 1);
  assert.ok(OffHeapCache.processUsage().bytes >= before.bytes + 500_000);
  await collect();
  assert.deepEqual(OffHeapCache.processUsage(), before);
  assert.equal(
    statsTable()
      .snapshot()
      .find((r) => r.meta.name === 'offheap-test-gc'),
    undefined,
  );
});

test('set(key, value, { ttl }) gives one entry its own time to live; 0 = never', () => {
  let now = 0;
  const c = new OffHeapCache({ maxSize: 1 << 16, clock: { now: () => now } });
  c.set('session', 'a', { ttl: 100 }).set('token', 'b', { ttl: 10 }).set('forever', 'c');
  assert.equal(c.nextExpiry(), 10);
  now = 10;
  assert.equal(c.get('token'), undefined);
  assert.equal(c.get('session'), 'a');
  now = 100;
  assert.equal(c.has('session'), false);
  assert.equal(c.get('forever'), 'c');
  const d = new OffHeapCache({ maxSize: 1 << 16, ttl: 50, clock: { now: () => now } });
  d.set('kept', 'x', { ttl: 0 }).set('default', 'y');
  now = 1000;
  assert.deepEqual([...d.keys()], ['kept']);
  assert.throws(() => d.set('k', 'v', { ttl: -1 }), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => d.set('k', 'v', { ttl: 1.5 }), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => d.set('k', 'v', { size: 1 }), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  c.close();
  d.close();
});

test('dispose and disposeAfter receive each removed entry with its reason, as stored', () => {
  let now = 0;
  const calls = [];
  const c = new OffHeapCache({
    maxSize: 3 * (OVERHEAD + 2 + 3),
    clock: { now: () => now },
    dispose: (value, key, reason) => calls.push(['dispose', key, value, reason]),
    disposeAfter: (value, key, reason) => calls.push(['after', key, reason]),
  });
  c.set('k1', 'one').set('k2', Buffer.from('two')).set('k3', Uint8Array.from([1, 2, 3]), { ttl: 5 });
  c.set('k1', 'uno'); // replaced: reason set, k1 most recent
  c.set('k4', 'fou'); // full: k2 is the least recently used
  now = 5;
  assert.equal(c.get('k3'), undefined); // expired
  assert.equal(c.delete('k4'), true);
  c.clear();
  const disposed = calls.filter((x) => x[0] === 'dispose');
  assert.deepEqual(
    disposed.map((x) => [x[1], x[3]]),
    [
      ['k1', 'set'],
      ['k2', 'evict'],
      ['k3', 'expire'],
      ['k4', 'delete'],
      ['k1', 'clear'],
    ],
  );
  assert.equal(disposed[0][2], 'one');
  assert.ok(Buffer.isBuffer(disposed[1][2]) && disposed[1][2].toString() === 'two', 'a Buffer comes back as a Buffer');
  assert.ok(!Buffer.isBuffer(disposed[2][2]) && disposed[2][2] instanceof Uint8Array, 'a Uint8Array as a Uint8Array');
  // disposeAfter runs after every dispose of the same call.
  assert.deepEqual(calls.slice(0, 2).map((x) => x[0]), ['dispose', 'after']);
  c.close();
});

test('a throwing dispose never corrupts the store', async () => {
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    const c = new OffHeapCache({
      maxSize: 2 * (OVERHEAD + 1 + 1),
      dispose: () => {
        throw new Error('dispose boom');
      },
    });
    for (const k of ['a', 'b', 'c', 'd']) c.set(k, k);
    assert.deepEqual([...c.keys()], ['c', 'd']);
    assert.equal(c.stats().evictions, 2);
    assert.equal(c.get('d'), 'd');
    c.close();
    await new Promise(setImmediate);
    assert.ok(warnings.some((w) => /dispose boom/.test(w.message)));
  } finally {
    process.off('warning', onWarning);
  }
});

test('ttlAutopurge drops expired entries from the shared timer, with no call on the cache', async () => {
  const gone = [];
  const c = new OffHeapCache({ maxSize: 1 << 16, ttlAutopurge: true, dispose: (v, k, reason) => gone.push([k, reason]) });
  c.set('short', 'x', { ttl: 1 });
  c.set('long', 'y', { ttl: 3_600_000 });
  // Waits for the timer (however late it runs on a loaded machine).
  for (let i = 0; i < 2000 && gone.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(gone, [['short', 'expire']]);
  assert.equal(c.stats().size, 1);
  c.close();
});

test('a string that can never fit is refused before it is copied: peak RSS stays put', () => {
  // Reading a string into the store costs ~3 times its length (UTF-16 units,
  // then their encoding); a 100 MB string offered to a 1 kB cache raised the
  // peak RSS by ~290 MB before the refusal. Run apart so that this process's
  // own peak does not hide the rise.
  const { spawnSync } = require('node:child_process');
  const script = `
    const { OffHeapCache } = require(${JSON.stringify(require.resolve('../lib/offheap'))});
    const c = new OffHeapCache({ maxSize: 1000 });
    const value = Buffer.alloc(1e8, 'x').toString('latin1');
    const key = Buffer.alloc(1e8, 'k').toString('latin1');
    const before = process.resourceUsage().maxRSS;
    const codes = [];
    for (const [k, v] of [['k', value], [key, 'v']]) {
      try { c.set(k, v); } catch (e) { codes.push(e.code + ' ' + e.name); }
    }
    const grew = (process.resourceUsage().maxRSS - before) * 1024;
    console.log(JSON.stringify({ codes, grew, size: c.size }));
  `;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout);
  assert.deepEqual(out.codes, ['ERR_LEAKGUARD_INVALID_SIZE RangeError', 'ERR_LEAKGUARD_INVALID_SIZE RangeError']);
  assert.equal(out.size, 0);
  // One copy of either string would be 100 MB; none was made.
  assert.ok(out.grew < 50e6, `peak RSS rose by ${out.grew} bytes`);
});

test('the early size refusal never refuses an entry that fits', () => {
  const c = new OffHeapCache({ maxSize: 100 + OVERHEAD });
  c.set('k'.repeat(40), 'v'.repeat(60));
  assert.equal(c.get('k'.repeat(40)), 'v'.repeat(60));
  c.set(7, 'v'.repeat(92)); // a number key takes 8 bytes (and evicts the first)
  assert.equal(c.get(7), 'v'.repeat(92));
  assert.throws(() => c.set('k'.repeat(40), 'v'.repeat(61)), { name: 'RangeError', code: 'ERR_LEAKGUARD_INVALID_SIZE' });
  assert.throws(() => c.set(7, 'v'.repeat(93)), { name: 'RangeError', code: 'ERR_LEAKGUARD_INVALID_SIZE' });
  c.close();
});
