'use strict';
// What subscribing to lru-cache's `lru-cache:metrics` diagnostics channel
// costs an application's own lru-cache: get and set operations per second
// with no subscriber and with one (a no-op, and leakguard's own), interleaved
// in one run. lru-cache builds a status object per operation only while the
// channel has a subscriber (docs/cache.md, "The application's lru-caches").
//
//   node bench/lru-cache-channel.js [rounds=7] [ops=200000]
const dc = require('node:diagnostics_channel');
const { LRUCache } = require('lru-cache');

const rounds = Number(process.argv[2]) || 7;
const ops = Number(process.argv[3]) || 200_000;
const cache = new LRUCache({ max: 10_000 });
for (let i = 0; i < 10_000; i++) cache.set(i, { i });

let sink = 0;
function run() {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) {
    const k = (i * 7919) % 20_000; // half hits, half misses then sets
    const v = cache.get(k);
    if (v === undefined) cache.set(k, { i });
    else sink += v.i & 1;
  }
  return (ops / Number(process.hrtime.bigint() - t0)) * 1e9;
}

const noop = () => {};
let appCaches = null;
try {
  appCaches = require('../lib/internal/app-caches');
} catch {
  // before the module exists
}
const modes = {
  none: [() => {}, () => {}],
  noopSubscriber: [() => dc.subscribe('lru-cache:metrics', noop), () => dc.unsubscribe('lru-cache:metrics', noop)],
};
if (appCaches !== null) modes.leakguard = [() => appCaches.subscribe(), () => appCaches.unsubscribe()];

const results = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
for (let r = 0; r < rounds + 1; r++) {
  for (const [name, [on, off]] of Object.entries(modes)) {
    on();
    const rate = run();
    off();
    if (r > 0) results[name].push(rate); // round 0 warms up
  }
}
const median = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
const base = median(results.none);
for (const [name, rates] of Object.entries(results)) {
  const m = median(rates);
  console.log(`${name.padEnd(16)} median ${(m / 1e6).toFixed(2)} M ops/s (min ${(Math.min(...rates) / 1e6).toFixed(2)}, max ${(Math.max(...rates) / 1e6).toFixed(2)}), ${((m / base) * 100).toFixed(0)}% of none`);
}
if (sink === -1) console.log(sink);
