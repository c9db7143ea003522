'use strict';
// Soak: a million sets of high-cardinality keys into max 1000 must leave the
// heap where it was after the first fill (measured after forced full GCs).
const test = require('node:test');
const assert = require('node:assert/strict');
const v8 = require('node:v8');
const { LruCache } = require('../lib/cache');

v8.setFlagsFromString('--expose-gc');
const gc = require('node:vm').runInNewContext('gc');

function heapAfterGc() {
  gc();
  gc();
  return v8.getHeapStatistics().used_heap_size;
}

function soak(cache, label, { clock } = {}) {
  const value = (i) => ({ id: i, payload: `value-${i}-${'x'.repeat(64)}` });
  for (let i = 0; i < 10_000; i++) cache.set(`${label}:warm:${i}`, value(i));
  const base = heapAfterGc();
  const samples = [];
  for (let round = 0; round < 10; round++) {
    for (let i = 0; i < 100_000; i++) {
      const n = round * 100_000 + i;
      cache.set(`${label}:user:${n}:${(n * 2654435761) >>> 0}`, value(n));
      if ((i & 7) === 0) cache.get(`${label}:user:${n - 500}:${((n - 500) * 2654435761) >>> 0}`);
      if (clock !== undefined && (i & 1023) === 0) clock.t++;
    }
    samples.push(heapAfterGc() - base);
  }
  return samples;
}

test('one million sets into max 1000: the heap plateaus', () => {
  const cache = new LruCache({ max: 1000 });
  const growth = soak(cache, 'plain');
  assert.equal(cache.size, 1000);
  assert.equal(cache.stats().sets, 1_010_000);
  // Generous: a leak of even 1% of the entries (10 000 * ~200 B) would show.
  assert.ok(Math.max(...growth) < 2 * 1024 * 1024, `heap growth after GC per round: ${growth.join(', ')}`);
  assert.ok(growth.at(-1) - growth[2] < 1024 * 1024, `still growing: ${growth.join(', ')}`);
});

test('with ttl, sizes and per-set ttls: the heap plateaus too', () => {
  const clock = { t: 0, now() { return this.t; } };
  const cache = new LruCache({ max: 1000, maxSize: 1e9, sizeCalculation: (v) => v.payload.length, ttl: 50, clock });
  const growth = soak(cache, 'ttl', { clock });
  assert.ok(cache.size <= 1000);
  assert.ok(Math.max(...growth) < 2 * 1024 * 1024, `heap growth after GC per round: ${growth.join(', ')}`);
  assert.ok(growth.at(-1) - growth[2] < 1024 * 1024, `still growing: ${growth.join(', ')}`);
});
