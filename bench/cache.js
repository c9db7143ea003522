'use strict';
// Benchmark: leakguard LruCache (counting stats) against lru-cache@11,
// quick-lru, mnemonist LRUMap and a plain Map. One process, interleaved
// rounds (every implementation runs once per round, order rotating), medians
// of ns/op. Each (implementation, workload) pair gets its own compiled loop so
// no call site sees more than one cache class.
//
//   node bench/cache.js            # full run (~2 min)
//   ROUNDS=5 node bench/cache.js   # quicker
//   BASE=/tmp/lg-base node bench/cache.js   # adds "leakguard@base": the
//       LruCache of another checkout (its lib/cache/index.js), interleaved
//       with this one, to check a change does not slow get/set down
//
// The "lru-cache API" table compares peek and fetch (hit; miss with a loader
// that returns an already-resolved promise, every miss evicting) with
// lru-cache's; fetch loops await each call. With BASE, an "OffHeapCache"
// table compares this checkout's OffHeapCache with BASE's (get-hit, peek,
// set-with-eviction; 64-byte string values).
//   SECTIONS=api,offheap node bench/cache.js   # only some tables
//   (sections: map, ttl, api, offheap); IMPLS=a,b keeps only those columns
//
// Prints a markdown table (ratios against lru-cache) and the machine load.

const os = require('node:os');
const { LruCache } = require('../lib/cache');
const { LRUCache } = require('lru-cache');
const { LRUMap } = require('mnemonist');

const MAX = 10_000;
const OPS = Number(process.env.OPS) || 200_000;
const ROUNDS = Number(process.env.ROUNDS) || 21;
// ONLY=get-hit,has runs a subset of the workloads.
const ONLY = process.env.ONLY ? process.env.ONLY.split(',') : null;
const selected = (names) => (ONLY === null ? names : names.filter((n) => ONLY.includes(n)));
const SECTIONS = process.env.SECTIONS ? process.env.SECTIONS.split(',') : ['map', 'ttl', 'api', 'offheap'];

function keySets(kind) {
  const make = kind === 'string' ? (n) => `user:${n}` : (n) => n;
  const present = [];
  for (let i = 0; i < MAX; i++) present.push(make(10_000 + i));
  // Hit order: a fixed pseudo-random permutation of the present keys.
  const hits = present.slice();
  let s = 12345;
  for (let i = hits.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) >>> 0;
    const j = s % (i + 1);
    [hits[i], hits[j]] = [hits[j], hits[i]];
  }
  const misses = [];
  for (let i = 0; i < MAX; i++) misses.push(make(90_000 + i));
  // Cycling through 2*MAX fresh keys keeps every set a miss that evicts.
  const churn = [];
  for (let i = 0; i < 2 * MAX; i++) churn.push(make(200_000 + i));
  // 90/10 mix: keys over 1.2*MAX, so some gets miss and sets evict.
  const mixKeys = [];
  const mixOps = [];
  for (let i = 0; i < 65_536; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    mixKeys.push(make(10_000 + (s % (MAX * 1.2))));
    mixOps.push(s % 10 === 0 ? 1 : 0);
  }
  return { present, hits, misses, churn, mixKeys, mixOps };
}

// Loop bodies; `c` is the cache, `K` the key arrays, `v` a value object.
const WORKLOADS = {
  'get-hit': 'const a = K.hits, n = a.length; let x; for (let i = 0; i < OPS; i++) x = c.get(a[i % n]); return x;',
  'get-miss': 'const a = K.misses, n = a.length; let x; for (let i = 0; i < OPS; i++) x = c.get(a[i % n]); return x;',
  'set-with-eviction':
    'const a = K.churn, n = a.length; for (let i = 0; i < OPS; i++) c.set(a[(S.j++) % n], v); return c;',
  has: 'const a = K.hits, n = a.length; let x; for (let i = 0; i < OPS; i++) x = c.has(a[i % n]); return x;',
  'mix 90/10':
    'const a = K.mixKeys, o = K.mixOps, m = 65535; let x; for (let i = 0; i < OPS; i++) { const j = (S.j++) & m; if (o[j] === 1) c.set(a[j], v); else x = c.get(a[j]); } return x;',
  peek: 'const a = K.hits, n = a.length; let x; for (let i = 0; i < OPS; i++) x = c.peek(a[i % n]); return x;',
  'fetch-hit': 'const a = K.hits, n = a.length; let x; for (let i = 0; i < OPS; i++) x = await c.fetch(a[i % n]); return x;',
  'fetch-miss':
    'const a = K.churn, n = a.length; let x; for (let i = 0; i < OPS; i++) x = await c.fetch(a[(S.j++) % n]); return x;',
};

const AsyncFunction = (async () => {}).constructor;

function compile(impl, workload, tag) {
  // A distinct source text per pair gives each its own feedback and code.
  const Ctor = workload.startsWith('fetch') ? AsyncFunction : Function;
  return new Ctor('c', 'K', 'v', 'S', 'OPS', `// ${impl} ${workload} ${tag}\n${WORKLOADS[workload]}`);
}

function fill(cache, keys) {
  const offheap = cache.constructor.name === 'OffHeapCache';
  for (const k of keys.present) cache.set(k, offheap ? `value:${k}`.padEnd(64, '.') : { id: k });
  return cache;
}

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
}

function spread(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return [q(0.25), q(0.75)];
}

// IMPLS=leakguard,leakguard@base keeps only the named implementations.
const IMPLS = process.env.IMPLS ? process.env.IMPLS.split(',') : null;

async function runMatrix(title, allImpls, workloads, keyKinds, ops = OPS, value = { id: 1, name: 'value' }) {
  const impls = IMPLS === null ? allImpls : allImpls.filter(([name]) => IMPLS.includes(name));
  const rows = [];
  for (const keyKind of keyKinds) {
    const K = keySets(keyKind);
    for (const workload of workloads) {
      const setups = impls.map(([name, make]) => ({
        name,
        fn: compile(name, workload, keyKind),
        cache: fill(make(), K),
        state: { j: 0 },
        samples: [],
      }));
      const v = value;
      for (let round = 0; round < ROUNDS + 2; round++) {
        for (let k = 0; k < setups.length; k++) {
          const s = setups[(k + round) % setups.length];
          const t0 = process.hrtime.bigint();
          await s.fn(s.cache, K, v, s.state, ops);
          const ns = Number(process.hrtime.bigint() - t0) / ops;
          if (round >= 2) s.samples.push(ns); // two warm-up rounds
        }
      }
      const byName = Object.fromEntries(setups.map((s) => [s.name, median(s.samples)]));
      const iqr = Object.fromEntries(setups.map((s) => [s.name, spread(s.samples)]));
      rows.push({ workload: `${workload} (${keyKind} keys)`, byName, iqr });
    }
  }
  const names = impls.map(([n]) => n);
  const ref = names.includes('lru-cache@11') ? 'lru-cache@11' : names[1];
  const lead = names[0];
  let out = `\n### ${title}\n\n| workload | ${names.join(' | ')} | ${lead} vs ${ref} |\n|---|${names.map(() => '---:').join('|')}|---:|\n`;
  for (const r of rows) {
    const cells = names.map((n) =>
      r.byName[n] === undefined ? 'n/a' : `${r.byName[n].toFixed(1)} (${r.iqr[n][0].toFixed(1)}–${r.iqr[n][1].toFixed(1)})`,
    );
    const ratio = r.byName[lead] / r.byName[ref];
    out += `| ${r.workload} | ${cells.join(' | ')} | ${ratio.toFixed(2)}x |\n`;
  }
  return out;
}

async function main() {
  const { default: QuickLRU } = await import('quick-lru');
  const load0 = os.loadavg();
  const Base = process.env.BASE ? require(require('node:path').resolve(process.env.BASE, 'lib/cache')).LruCache : null;
  const withBase = (impls, opts) =>
    Base === null ? impls : [impls[0], ['leakguard@base', () => new Base(opts)], ...impls.slice(1)];
  const plain = withBase([
    ['leakguard', () => new LruCache({ max: MAX })],
    ['lru-cache@11', () => new LRUCache({ max: MAX })],
    ['quick-lru', () => new QuickLRU({ maxSize: MAX })],
    ['mnemonist LRUMap', () => new LRUMap(MAX)],
    ['Map (unbounded)', () => new Map()],
  ], { max: MAX });
  let out = `ns/op, median (interquartile range) of ${ROUNDS} interleaved rounds of ${OPS} ops; max ${MAX}; object values; leakguard counts stats.\n`;
  const mapWorkloads = ['get-hit', 'get-miss', 'set-with-eviction', 'has', 'mix 90/10'];
  if (SECTIONS.includes('map')) out += await runMatrix('No TTL', plain, selected(mapWorkloads), ['string', 'number']);
  const TTL = 60_000;
  const ttl = withBase([
    ['leakguard', () => new LruCache({ max: MAX, ttl: TTL, ttlAutopurge: true })],
    ['lru-cache@11', () => new LRUCache({ max: MAX, ttl: TTL, ttlAutopurge: true })],
  ], { max: MAX, ttl: TTL, ttlAutopurge: true });
  if (SECTIONS.includes('ttl')) {
    out += await runMatrix(`ttl ${TTL} ms + ttlAutopurge`, ttl, selected(['set-with-eviction', 'get-hit']), ['string', 'number']);
  }
  const loader = (k) => Promise.resolve({ id: k });
  const api = [
    ['leakguard', () => new LruCache({ max: MAX, fetchMethod: loader })],
    ['lru-cache@11', () => new LRUCache({ max: MAX, fetchMethod: loader })],
  ];
  if (SECTIONS.includes('api')) {
    out += await runMatrix('lru-cache API: peek, fetch (fetchMethod returns a resolved promise)', api, selected(['peek', 'fetch-hit', 'fetch-miss']), ['string'], Math.min(OPS, 50_000));
  }
  if (SECTIONS.includes('offheap') && process.env.BASE) {
    const { OffHeapCache } = require('../lib/offheap');
    const BaseOff = require(require('node:path').resolve(process.env.BASE, 'lib/offheap')).OffHeapCache;
    // Room for MAX entries of a 10-character key and a 64-byte value.
    const bytes = MAX * (OffHeapCache.entryOverhead + 10 + 64);
    const off = [
      ['OffHeapCache', () => new OffHeapCache({ maxSize: bytes })],
      ['OffHeapCache@base', () => new BaseOff({ maxSize: bytes })],
    ];
    out += await runMatrix('OffHeapCache: this checkout against BASE', off, selected(['get-hit', 'peek', 'set-with-eviction']), ['string'], Math.min(OPS, 50_000), 'v'.repeat(64));
  }
  const load1 = os.loadavg();
  out += `\nnode ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0].model}); load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${load1.map((x) => x.toFixed(2)).join(' ')}\n`;
  process.stdout.write(out);
  // lru-cache's ttlAutopurge holds a ref'd timer per entry: leave promptly.
  process.exit(0);
}

main();
