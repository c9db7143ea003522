'use strict';
// What checking an injected clock costs (lib/internal/options.js
// checkedClock): a cache with ttl reads its clock on every get, and an
// injected clock is read through a wrapper that refuses a reading that is not
// a finite number >= 0. The default clocks are never wrapped.
//
// Variants run interleaved, in rotating order, in one process: every round
// runs each variant once; 2 warm-up rounds, then the median and the range
// (min–max) of ROUNDS rounds of OPS operations, in ns per operation.
//
//   node bench/clock-check.js [other-checkout]
//
// With a path to another built checkout of leakguard (for example one made by
// `git archive <commit> | tar -x -C /tmp/lg-before` plus its binding.js and
// .node), its caches with the same injected clock run in the same rounds,
// and the default-clock variants are left out: each cache class then sees one
// clock object at its call sites in both checkouts, as in a real program.

const path = require('node:path');
const { LruCache, OffHeapCache } = require('..');

const ROUNDS = Number(process.env.ROUNDS) || 15;
const OPS = Number(process.env.OPS) || 1_000_000;
const KEYS = 1000;

const keys = Array.from({ length: KEYS }, (_, i) => `user:${i}`);
let t = 1;
const plainClock = { now: () => t };

function lru(clock) {
  const c = new LruCache({ max: KEYS, ttl: 60_000, clock });
  for (const k of keys) c.set(k, { k });
  return c;
}

function offheap(clock) {
  const c = new OffHeapCache({ maxSize: 1 << 20, ttl: 60_000, clock });
  for (const k of keys) c.set(k, 'v');
  return c;
}

// Each variant has its own loop (its own type feedback).
const variants = {
  'LruCache get-hit, ttl, default clock': (() => {
    const c = lru(undefined);
    return () => {
      let n = 0;
      for (let i = 0; i < OPS; i++) if (c.get(keys[i % KEYS]) !== undefined) n++;
      return n;
    };
  })(),
  'LruCache get-hit, ttl, injected clock (checked)': (() => {
    const c = lru(plainClock);
    return () => {
      let n = 0;
      for (let i = 0; i < OPS; i++) if (c.get(keys[i % KEYS]) !== undefined) n++;
      return n;
    };
  })(),
  'OffHeapCache get-hit, ttl, default clock': (() => {
    const c = offheap(undefined);
    return () => {
      let n = 0;
      for (let i = 0; i < OPS; i++) if (c.get(keys[i % KEYS]) !== undefined) n++;
      return n;
    };
  })(),
  'OffHeapCache get-hit, ttl, injected clock (checked)': (() => {
    const c = offheap(plainClock);
    return () => {
      let n = 0;
      for (let i = 0; i < OPS; i++) if (c.get(keys[i % KEYS]) !== undefined) n++;
      return n;
    };
  })(),
};

const other = process.argv[2];
if (other !== undefined) {
  for (const name of Object.keys(variants)) if (name.includes('default clock')) delete variants[name];
  const old = require(path.resolve(other));
  const oldLru = new old.LruCache({ max: KEYS, ttl: 60_000, clock: plainClock });
  for (const k of keys) oldLru.set(k, { k });
  const oldOff = new old.OffHeapCache({ maxSize: 1 << 20, ttl: 60_000, clock: plainClock });
  for (const k of keys) oldOff.set(k, 'v');
  variants['LruCache get-hit, ttl, injected clock, other checkout'] = () => {
    let n = 0;
    for (let i = 0; i < OPS; i++) if (oldLru.get(keys[i % KEYS]) !== undefined) n++;
    return n;
  };
  variants['OffHeapCache get-hit, ttl, injected clock, other checkout'] = () => {
    let n = 0;
    for (let i = 0; i < OPS; i++) if (oldOff.get(keys[i % KEYS]) !== undefined) n++;
    return n;
  };
}

const names = Object.keys(variants);
const samples = Object.fromEntries(names.map((n) => [n, []]));
let sink = 0;
for (let round = 0; round < ROUNDS + 2; round++) {
  for (let j = 0; j < names.length; j++) {
    const name = names[(round + j) % names.length];
    const start = process.hrtime.bigint();
    sink += variants[name]();
    const ns = Number(process.hrtime.bigint() - start) / OPS;
    if (round >= 2) samples[name].push(ns);
  }
}

const median = (a) => {
  const s = a.slice().sort((x, y) => x - y);
  return s[s.length >> 1];
};
console.log(`node ${process.version}, ${ROUNDS} rounds of ${OPS} ops (median, min–max ns/op)`);
for (const name of names) {
  const a = samples[name];
  console.log(`${name.padEnd(52)} ${median(a).toFixed(1).padStart(7)}   ${Math.min(...a).toFixed(1)}–${Math.max(...a).toFixed(1)}`);
}
if (sink === -1) console.log(sink);
