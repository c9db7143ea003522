'use strict';
// OffHeapCache against lru-cache@11 and a Map: one million entries of
// 200-byte string values. For each variant a fresh child process (so heap and
// RSS figures are its own) builds the cache, then reports V8 heap used, RSS,
// forced full GC time, the longest GC pause under a churn workload, and get-hit
// and set ns/op (CPU time, so that time taken by other processes on a shared
// machine is not counted; GC figures are wall time). Variants are interleaved
// round by round; figures are medians.
//
//   node --expose-gc bench/offheap.js [rounds=5] [entries=1000000]
//
// The parent needs no flags; children are started with --expose-gc.

const { execFileSync } = require('node:child_process');
const os = require('node:os');

const VARIANTS = ['lru-cache', 'Map', 'OffHeapCache', 'empty'];
const VALUE_BYTES = 200;

function child(variant, entries) {
  const { PerformanceObserver } = require('node:perf_hooks');
  const gc = globalThis.gc;
  if (typeof gc !== 'function') throw new Error('run with --expose-gc');
  const now = () => Number(process.hrtime.bigint()) / 1e6;
  const cpuNow = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const value = flatValue();

  // Keys are made on the fly, as a server makes them from a request: a harness
  // array of a million key strings would itself cost the GC what we measure.
  const key = (i) => `user:${i}`;
  const order = new Uint32Array(entries);
  for (let i = 0, x = 12345; i < entries; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    order[i] = (x >>> 0) % entries;
  }

  let cache;
  let get;
  let set;
  let evictOldest = () => {};
  if (variant === 'lru-cache') {
    const { LRUCache } = require('lru-cache');
    cache = new LRUCache({ max: entries });
    get = (k) => cache.get(k);
    set = (k, v) => cache.set(k, v);
  } else if (variant === 'Map') {
    cache = new Map();
    get = (k) => cache.get(k);
    set = (k, v) => cache.set(k, v);
    evictOldest = (k) => cache.delete(k);
  } else if (variant === 'OffHeapCache') {
    const { OffHeapCache } = require('../lib/offheap');
    // Room for exactly `entries` entries like the others: key and value bytes + overhead.
    const perEntry = `user:${entries - 1}`.length + VALUE_BYTES + OffHeapCache.entryOverhead;
    cache = new OffHeapCache({ maxSize: perEntry * entries });
    get = (k) => cache.get(k);
    set = (k, v) => cache.set(k, v);
  } else {
    get = () => undefined;
    set = () => {};
  }

  gc();
  gc();
  const base = process.memoryUsage();
  for (let i = 0; i < entries; i++) set(key(i), value(i));
  gc();
  gc();
  const full = process.memoryUsage();

  const gcTimes = [];
  for (let i = 0; i < 5; i++) {
    const t = now();
    gc();
    gcTimes.push(now() - t);
  }

  // get-hit over the whole cache in random order.
  let sink = 0;
  let t = cpuNow();
  if (variant !== 'empty') for (let i = 0; i < entries; i++) sink += get(key(order[i])).length;
  const getNs = ((cpuNow() - t) * 1e6) / entries;

  // set: overwrite existing keys with fresh 200-byte strings.
  const fresh = new Array(100_000);
  for (let i = 0; i < fresh.length; i++) fresh[i] = value(i + 7);
  t = cpuNow();
  for (let i = 0; i < fresh.length; i++) set(key(order[i]), fresh[i]);
  const setNs = ((cpuNow() - t) * 1e6) / fresh.length;
  fresh.length = 0;

  // Churn: new keys (evicting the oldest) and gets, new garbage strings all along;
  // the longest GC pause seen while it runs.
  const pauses = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push(e.duration);
  });
  obs.observe({ entryTypes: ['gc'] });
  const churnOps = Math.min(entries, 500_000);
  t = now();
  for (let i = 0; i < churnOps; i++) {
    const k = `churn:${i}`;
    set(k, value(i));
    if (variant === 'Map') evictOldest(i < entries ? key(i) : `churn:${i - entries}`);
    const r = get(key(order[i]));
    if (r !== undefined) sink += r.length;
  }
  const churnMs = now() - t;
  return new Promise((resolve) => {
    setTimeout(() => {
      obs.disconnect();
      resolve({
        variant,
        heapUsedMB: (full.heapUsed - base.heapUsed) / 1048576,
        rssMB: (full.rss - base.rss) / 1048576,
        fullGcMs: median(gcTimes),
        maxPauseMs: pauses.length ? Math.max(...pauses) : 0,
        getNs,
        setNs,
        churnMs,
        sink: sink > 0,
      });
    }, 50);
  });
}

/** 200-byte values as flat one-byte strings (as JSON or network text would be), no cons strings. */
function flatValue() {
  const tpl = Buffer.alloc(VALUE_BYTES, 'v');
  return (i) => {
    tpl.write(String(i).padStart(10, '0'), VALUE_BYTES - 10, 'latin1');
    return tpl.toString('latin1');
  };
}

/**
 * Hot-cache speed in this one process: 10 000 entries, interleaved rounds,
 * ns/op medians for get-hit and set (overwrite).
 */
function hotSpeed(rounds) {
  const { LRUCache } = require('lru-cache');
  const { OffHeapCache } = require('../lib/offheap');
  const N = 10_000;
  const OPS = 1_000_000;
  const value = flatValue();
  const keys = Array.from({ length: N }, (_, i) => `user:${i}`);
  const values = keys.map((_, i) => value(i));
  const caches = {
    'lru-cache': new LRUCache({ max: N }),
    Map: new Map(),
    OffHeapCache: new OffHeapCache({ maxSize: 64 << 20 }),
  };
  for (const c of Object.values(caches)) for (let i = 0; i < N; i++) c.set(keys[i], values[i]);
  const res = Object.fromEntries(Object.keys(caches).map((k) => [k, { get: [], set: [] }]));
  // One loop function per cache (new Function: separate type feedback), so no
  // call site sees more than one cache class.
  const loops = {};
  for (const name of Object.keys(caches)) {
    loops[name] = {
      get: new Function('c', 'keys', 'N', 'OPS', 'let s = 0; for (let i = 0; i < OPS; i++) s += c.get(keys[(i * 7919) % N]).length; return s;'),
      set: new Function('c', 'keys', 'values', 'N', 'OPS', 'for (let i = 0; i < OPS; i++) c.set(keys[(i * 7919) % N], values[(i * 31) % N]);'),
    };
  }
  let sink = 0;
  for (let r = 0; r < rounds + 1; r++) {
    for (const [name, c] of Object.entries(caches)) {
      let t = cpuMicros();
      sink += loops[name].get(c, keys, N, OPS);
      const g = ((cpuMicros() - t) * 1000) / OPS;
      t = cpuMicros();
      loops[name].set(c, keys, values, N, OPS / 4);
      const st = ((cpuMicros() - t) * 1000) / (OPS / 4);
      if (r > 0) {
        res[name].get.push(g);
        res[name].set.push(st);
      }
    }
  }
  caches.OffHeapCache.close();
  const table = {};
  for (const [name, x] of Object.entries(res)) table[name] = { getHitNs: Math.round(median(x.get)), setNs: Math.round(median(x.set)) };
  return { table, sink: sink > 0 };
}

/** CPU time of this process in µs: ns/op figures use it, so time lost to other processes on a shared machine is not counted. */
function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main() {
  if (process.argv[2] === '--child') {
    const r = await child(process.argv[3], Number(process.argv[4]));
    process.stdout.write(JSON.stringify(r));
    return;
  }
  const rounds = Number(process.argv[2] ?? 5);
  const entries = Number(process.argv[3] ?? 1_000_000);
  console.log(`node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`${entries} entries of ${VALUE_BYTES}-byte string values, ${rounds} interleaved rounds, medians`);
  const results = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  for (let r = 0; r < rounds; r++) {
    for (const v of VARIANTS) {
      const out = execFileSync(process.execPath, ['--expose-gc', __filename, '--child', v, String(entries)], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      });
      results[v].push(JSON.parse(out));
    }
    process.stderr.write(`round ${r + 1}/${rounds} done\n`);
  }
  const fields = ['heapUsedMB', 'rssMB', 'fullGcMs', 'maxPauseMs', 'getNs', 'setNs'];
  const table = {};
  for (const v of VARIANTS) {
    table[v] = {};
    for (const f of fields) table[v][f] = Number(median(results[v].map((x) => x[f])).toFixed(f.endsWith('Ns') ? 0 : 1));
  }
  console.table(table);
  const l = table['lru-cache'];
  const o = table.OffHeapCache;
  console.log(`heap: ${((1 - o.heapUsedMB / l.heapUsedMB) * 100).toFixed(2)}% smaller than lru-cache (goal >= 99%)`);
  console.log(`full GC: ${(l.fullGcMs / o.fullGcMs).toFixed(1)}x shorter than lru-cache (goal >= 6x)`);
  console.log(`get-hit, 1M entries, random keys: ${(o.getNs / l.getNs).toFixed(2)}x lru-cache's time (goal <= 3x)`);
  const hot = hotSpeed(rounds).table;
  console.log('hot cache, 10 000 entries, one process:');
  console.table(hot);
  console.log(`hot get-hit: ${(hot.OffHeapCache.getHitNs / hot['lru-cache'].getHitNs).toFixed(2)}x lru-cache's time`);
  console.log(`load after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
