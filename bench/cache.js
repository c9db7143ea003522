'use strict';
// Benchmark: leakguard LruCache (counting stats) against lru-cache@11,
// quick-lru, mnemonist LRUMap and a plain Map. One process, interleaved
// rounds (every implementation runs once per round, order rotating), medians
// of ns/op. Each (implementation, workload) pair gets its own compiled loop so
// no call site sees more than one cache class.
//
//   node bench/cache.js            # full run (~1 min)
//   ROUNDS=5 node bench/cache.js   # quicker
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
};

function compile(impl, workload, tag) {
  // A distinct source text per pair gives each its own feedback and code.
   
  return new Function('c', 'K', 'v', 'S', 'OPS', `// ${impl} ${workload} ${tag}\n${WORKLOADS[workload]}`);
}

function fill(cache, keys) {
  for (const k of keys.present) cache.set(k, { id: k });
  return cache;
}

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
}

function runMatrix(title, impls, workloads, keyKinds) {
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
      const v = { id: 1, name: 'value' };
      for (let round = 0; round < ROUNDS + 2; round++) {
        for (let k = 0; k < setups.length; k++) {
          const s = setups[(k + round) % setups.length];
          const t0 = process.hrtime.bigint();
          s.fn(s.cache, K, v, s.state, OPS);
          const ns = Number(process.hrtime.bigint() - t0) / OPS;
          if (round >= 2) s.samples.push(ns); // two warm-up rounds
        }
      }
      const byName = Object.fromEntries(setups.map((s) => [s.name, median(s.samples)]));
      rows.push({ workload: `${workload} (${keyKind} keys)`, byName });
    }
  }
  const names = impls.map(([n]) => n);
  const ref = names.includes('lru-cache@11') ? 'lru-cache@11' : names[1];
  let out = `\n### ${title}\n\n| workload | ${names.join(' | ')} | leakguard vs ${ref} |\n|---|${names.map(() => '---:').join('|')}|---:|\n`;
  for (const r of rows) {
    const cells = names.map((n) => (r.byName[n] === undefined ? 'n/a' : r.byName[n].toFixed(1)));
    const ratio = r.byName.leakguard / r.byName[ref];
    out += `| ${r.workload} | ${cells.join(' | ')} | ${ratio.toFixed(2)}x |\n`;
  }
  return out;
}

async function main() {
  const { default: QuickLRU } = await import('quick-lru');
  const load0 = os.loadavg();
  const plain = [
    ['leakguard', () => new LruCache({ max: MAX })],
    ['lru-cache@11', () => new LRUCache({ max: MAX })],
    ['quick-lru', () => new QuickLRU({ maxSize: MAX })],
    ['mnemonist LRUMap', () => new LRUMap(MAX)],
    ['Map (unbounded)', () => new Map()],
  ];
  let out = `ns/op, median of ${ROUNDS} interleaved rounds of ${OPS} ops; max ${MAX}; object values; leakguard counts stats.\n`;
  out += runMatrix('No TTL', plain, selected(Object.keys(WORKLOADS)), ['string', 'number']);
  const TTL = 60_000;
  const ttl = [
    ['leakguard', () => new LruCache({ max: MAX, ttl: TTL, ttlAutopurge: true })],
    ['lru-cache@11', () => new LRUCache({ max: MAX, ttl: TTL, ttlAutopurge: true })],
  ];
  out += runMatrix(`ttl ${TTL} ms + ttlAutopurge`, ttl, selected(['set-with-eviction', 'get-hit']), ['string', 'number']);
  const load1 = os.loadavg();
  out += `\nnode ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0].model}); load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${load1.map((x) => x.toFixed(2)).join(' ')}\n`;
  process.stdout.write(out);
  // lru-cache's ttlAutopurge holds a ref'd timer per entry: leave promptly.
  process.exit(0);
}

main();
