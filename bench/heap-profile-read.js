'use strict';
// The cost of one read of V8's sampling heap profile, both ways leakguard
// reads it: the inspector's HeapProfiler.getSamplingProfile (a full GC first)
// and, where Node has it (26), v8.startHeapProfile()'s handle stop() plus the
// restart leakguard makes after it. Each is read on the same heap, the two
// interleaved, at each heap size; also the parse leakguard does after a read
// (JSON.parse for the handle's string, and profileSites). Prints a table and
// one `HEAP_PROFILE_READ <json>` line.
//
//   node bench/heap-profile-read.js [--sizes 50,150] [--rounds 5]
//
// Sampling runs at leakguard's default interval (512 KiB); each way starts it,
// does the same work (work() below) and reads it, the two ways interleaved, so
// a profile holds what was sampled since its start (the handle's, as
// leakguard's, holds that anyway). The inspector read's cost is its full GC,
// which grows with the heap.

const v8 = require('node:v8');
const inspector = require('node:inspector');
const { performance } = require('node:perf_hooks');
const { profileSites } = require('../lib/sampler/attribution');

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const sizes = arg('--sizes', '50,150').split(',').map(Number);
const rounds = Number(arg('--rounds', '5'));
const INTERVAL = 512 * 1024;
const hasHandle = typeof v8.startHeapProfile === 'function';

const session = new inspector.Session();
session.connect();
function post(method, params = {}) {
  let out;
  session.post(method, params, (err, result) => {
    if (err) throw err;
    out = result;
  });
  return out;
}

const heap = [];
function fillTo(mb) {
  // Objects of ~1 KB held in arrays of 1000, from a few functions, as a service's heap.
  const target = mb * 1024 * 1024;
  while (process.memoryUsage().heapUsed < target) {
    const chunk = new Array(1000);
    for (let i = 0; i < chunk.length; i++) chunk[i] = { id: i, tag: `item-${heap.length}-${i}`, data: new Array(100).fill(i) };
    heap.push(chunk);
  }
}

// Between a start and its read, as between two of leakguard's reads: 2 MB
// more kept and 20 MB of garbage, from a few call sites.
const kept = [];
function work() {
  let garbage = 0;
  for (let i = 0; i < 20_000; i++) garbage += JSON.stringify({ i, s: `t-${i}`, a: [i, i + 1, i + 2] }).length;
  const chunk = new Array(2000);
  for (let i = 0; i < chunk.length; i++) chunk[i] = { i, tag: `kept-${kept.length}-${i}`, data: new Array(100).fill(i) };
  kept.push(chunk);
  return garbage;
}

function inspectorRead() {
  post('HeapProfiler.startSampling', { samplingInterval: INTERVAL });
  work();
  const t0 = performance.now();
  const { profile } = post('HeapProfiler.getSamplingProfile');
  const read = performance.now() - t0;
  const t1 = performance.now();
  profileSites(profile);
  const parse = performance.now() - t1;
  post('HeapProfiler.stopSampling');
  return { read, parse };
}

function handleRead() {
  const handle = v8.startHeapProfile({ sampleInterval: INTERVAL });
  work();
  const t0 = performance.now();
  const json = handle.stop();
  const again = v8.startHeapProfile({ sampleInterval: INTERVAL });
  const read = performance.now() - t0;
  const t1 = performance.now();
  profileSites(JSON.parse(json));
  const parse = performance.now() - t1;
  again.stop();
  return { read, parse };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const results = [];
for (const mb of sizes) {
  fillTo(mb);
  const runs = { inspector: [], handle: [] };
  for (let r = 0; r < rounds; r++) {
    // Interleaved; sampling restarted for each, so each read sees the same heap.
    runs.inspector.push(inspectorRead());
    if (hasHandle) runs.handle.push(handleRead());
  }
  const row = { heapMB: Math.round(process.memoryUsage().heapUsed / 1048576) };
  for (const [way, xs] of Object.entries(runs)) {
    if (xs.length === 0) continue;
    row[way] = {
      readMs: { median: median(xs.map((x) => x.read)), min: Math.min(...xs.map((x) => x.read)), max: Math.max(...xs.map((x) => x.read)) },
      parseMs: median(xs.map((x) => x.parse)),
    };
  }
  results.push(row);
}

const fmt = (x) => x.toFixed(2);
console.log(`Node ${process.version}, ${rounds} interleaved reads per way and heap size; read = the read (for the handle: stop() and the restart); parse = JSON.parse and profileSites`);
for (const r of results) {
  const line = [`heap ${r.heapMB} MB`];
  for (const way of ['inspector', 'handle']) {
    if (r[way]) line.push(`${way === 'handle' ? 'v8.startHeapProfile' : 'inspector getSamplingProfile'}: read ${fmt(r[way].readMs.median)} ms (${fmt(r[way].readMs.min)}–${fmt(r[way].readMs.max)}), parse ${fmt(r[way].parseMs)} ms`);
  }
  console.log(line.join('; '));
}
console.log(`HEAP_PROFILE_READ ${JSON.stringify({ node: process.version, rounds, results })}`);
