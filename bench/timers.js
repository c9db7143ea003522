'use strict';
// Timers patch overhead: patched vs native, interleaved rounds in one process,
// medians; the micro cases run in 7 processes one after another and report the
// median (and range) over processes, next to the floor any handle costs.
// Run: node bench/timers.js [--quick] [--no-http] [--http-only] [--processes N] [--case text]
//   micro: setTimeout+clearTimeout pair (one callback reused, a fresh closure
//          per call, and a fresh closure with a long source text), a firing
//          setTimeout, setInterval+clearInterval.
//   http:  hello-world on 127.0.0.1 driven by autocannon (50 connections,
//          9 rounds of 3 s each way), server with vs without the patch, each in its own
//          child process; the handler schedules and clears one user timer per
//          request, like a request timeout would.
const http = require('node:http');
const { fork } = require('node:child_process');
const os = require('node:os');
const autocannon = require('autocannon');
const { patchTimers, unpatchTimers } = require('../lib/timers');

const quick = process.argv.includes('--quick');
const native = { setTimeout, clearTimeout, setInterval, clearInterval };
patchTimers();
const patched = { setTimeout, clearTimeout, setInterval, clearInterval };
unpatchTimers();

function noop() {}
// CPU time of this process, ns: on a shared machine it is less disturbed by
// other processes than wall time, and the firing case's 1 ms wait is idle.
function cpuNs() {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

// The least any handle-returning patch pays: a handle object of the same
// shape, the real timer started with the handle as its argument, and a
// callback that drops the real timer and calls the user's with the handle as
// `this`. No registry, no call site, no counts. Shown so the cost of the
// handle itself (which issue #4 requires) is told apart from leakguard's own.
class FloorHandle {
  constructor(callback, delay) {
    this.id = 0;
    this.flags = 0;
    this.delay = delay;
    this.callback = callback;
    this.args = undefined;
    this.row = null;
    this.timer = null;
    this.bucket = null;
  }
}
function floorFire(handle) {
  handle.timer = null;
  handle.callback.call(handle);
}
function floorClear(handle) {
  if (handle instanceof FloorHandle) {
    native.clearTimeout(handle.timer);
    handle.timer = null;
    handle.callback = null;
  }
}
const floor = {
  setTimeout: (callback, delay) => {
    const handle = new FloorHandle(callback, delay);
    handle.timer = native.setTimeout(floorFire, delay, handle);
    return handle;
  },
  setInterval: (callback, delay) => {
    const handle = new FloorHandle(callback, delay);
    handle.timer = native.setInterval(floorFire, delay, handle);
    return handle;
  },
  clearTimeout: floorClear,
  clearInterval: floorClear,
};

// Each case's loop is compiled once per variant (new Function), so each has
// its own type feedback: a real call site calls one setTimeout, and a loop
// shared between variants would measure V8's polymorphic calls instead.
const BODIES = {
  pair: 'const st = t.setTimeout, ct = t.clearTimeout; const start = cpuNs(); for (let i = 0; i < n; i++) ct(st(noop, 1000)); return (cpuNs() - start) / n;',
  closure: 'const st = t.setTimeout, ct = t.clearTimeout; let s = 0; const start = cpuNs(); for (let i = 0; i < n; i++) ct(st(() => { s += i; }, 1000)); return (cpuNs() - start) / n;',
  // A callback whose source text is long (~300 characters): the patched side
  // keys it on a prefix and the length, not the whole text. A request-timeout
  // handler of realistic length; none of it runs in this loop.
  longClosure: `const st = t.setTimeout, ct = t.clearTimeout; let s = 0; const start = cpuNs();
    for (let i = 0; i < n; i++) {
      ct(st(() => {
        // It logs, counts and aborts the request it belongs to.
        if (s < 0) throw new Error('request ' + i + ' timed out after 1000 ms (closure with a long body, realistic length)');
        s += i;
      }, 1000));
    }
    return (cpuNs() - start) / n;`,
  interval: 'const si = t.setInterval, ci = t.clearInterval; const start = cpuNs(); for (let i = 0; i < n; i++) ci(si(noop, 1000)); return (cpuNs() - start) / n;',
  firing: `return new Promise((resolve) => {
      let left = n;
      const done = () => { if (--left === 0) resolve((cpuNs() - start) / n); };
      const st = t.setTimeout;
      const start = cpuNs();
      for (let i = 0; i < n; i++) st(done, 1);
    });`,
};
const CASES = [
  ['setTimeout+clearTimeout pair (same callback)', 'pair', 200_000],
  ['setTimeout+clearTimeout pair (fresh closure each call)', 'closure', quick ? 5_000 : 20_000],
  ['setTimeout+clearTimeout pair (fresh closure, ~300-char source)', 'longClosure', quick ? 5_000 : 20_000],
  ['setInterval+clearInterval pair', 'interval', 200_000],
  ['firing setTimeout (batches of 20 000)', 'firing', 20_000],
];
const VARIANTS = { native, patched, floor };

// One process: every case, rounds interleaved native / patched / floor in
// alternating order; per case the median time of each and the median of the
// in-round ratios (robust to load that drifts between rounds).
async function microProcess(rounds) {
  const out = [];
  const only = process.argv.indexOf('--case');
  for (const [name, body, n] of CASES) {
    if (only !== -1 && !name.includes(process.argv[only + 1])) continue;
    const loops = {};
    const times = {};
    for (const v of Object.keys(VARIANTS)) {
      // eslint-disable-next-line no-new-func
      loops[v] = new Function('t', 'n', 'noop', 'cpuNs', `/* ${v} */ ${BODIES[body]}`);
      times[v] = [];
      await loops[v](VARIANTS[v], n, noop, cpuNs); // warm-up
    }
    const order = Object.keys(VARIANTS);
    for (let i = 0; i < rounds; i++) {
      for (const v of i % 2 === 0 ? order : [...order].reverse()) times[v].push(await loops[v](VARIANTS[v], n, noop, cpuNs));
    }
    const ratio = (v) => median(times[v].map((x, k) => x / times.native[k]));
    out.push({ name, nativeNs: median(times.native), patchedNs: median(times.patched), patched: ratio('patched'), floor: ratio('floor') });
  }
  return out;
}

// Several processes, one after the other: V8's optimisation decisions differ
// from one process to the next (the same build measured 12–31% over native in
// five runs of one process each), so the figure is the median over processes.
async function micro(processes, rounds) {
  const runs = [];
  for (let p = 0; p < processes; p++) {
    const args = [__filename, '--micro-process', String(rounds), ...process.argv.slice(2)];
    const child = fork(args[0], args.slice(1), { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    runs.push(await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`bench process exited with ${code} before reporting`)));
    }));
  }
  const pct = (x) => `${((x - 1) * 100).toFixed(1)}%`;
  return runs[0].map((row, c) => {
    const patched = runs.map((r) => r[c].patched);
    const floors = runs.map((r) => r[c].floor);
    return {
      case: row.name,
      nativeNs: median(runs.map((r) => r[c].nativeNs)).toFixed(0),
      patchedNs: median(runs.map((r) => r[c].patchedNs)).toFixed(0),
      overhead: pct(median(patched)),
      range: `${pct(Math.min(...patched))} … ${pct(Math.max(...patched))}`,
      handleFloor: pct(median(floors)),
    };
  });
}

function hello(req, res) {
  const timer = setTimeout(noop, 30_000); // a per-request timeout, cleared when answered
  res.end('hello world');
  clearTimeout(timer);
}

// The server runs in a child (patched or not); autocannon runs here, unpatched,
// so the load generator's own timers are never the thing measured.
function serve(mode) {
  if (mode === 'patched') patchTimers();
  const server = http.createServer(hello);
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('disconnect', () => process.exit(0));
}

function startServer(mode) {
  const child = fork(__filename, ['--server', mode], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, url: `http://127.0.0.1:${m.port}/` }));
    child.once('error', reject);
  });
}

async function cannon(url, duration) {
  const result = await autocannon({ url, connections: 50, pipelining: 1, duration });
  return result.requests.average;
}

async function httpRounds(rounds, duration) {
  const servers = { native: await startServer('native'), patched: await startServer('patched') };
  const r = { native: [], patched: [] };
  await cannon(servers.native.url, 1); // warm-up
  await cannon(servers.patched.url, 1);
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? ['native', 'patched'] : ['patched', 'native'];
    for (const which of order) r[which].push(await cannon(servers[which].url, duration));
  }
  for (const s of Object.values(servers)) s.child.disconnect();
  const n = median(r.native);
  const p = median(r.patched);
  const paired = median(r.patched.map((x, k) => x / r.native[k]));
  return {
    nativeReqPerSec: n.toFixed(0),
    patchedReqPerSec: p.toFixed(0),
    ratio: `${((p / n) * 100).toFixed(1)}%`,
    pairedRatio: `${(paired * 100).toFixed(1)}%`,
    native: r.native.map(Math.round),
    patched: r.patched.map(Math.round),
  };
}

const serverMode = process.argv.indexOf('--server');
const microMode = process.argv.indexOf('--micro-process');
if (serverMode !== -1) serve(process.argv[serverMode + 1]);
else if (microMode !== -1) microProcess(Number(process.argv[microMode + 1])).then((rows) => process.send(rows, () => process.disconnect()));
else main();

async function main() {
  console.log(`node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const processes = process.argv.includes('--processes') ? Number(process.argv[process.argv.indexOf('--processes') + 1]) : quick ? 2 : 7;
  if (!process.argv.includes('--http-only')) console.table(await micro(processes, quick ? 5 : 11));
  if (!process.argv.includes('--no-http')) {
    const h = await httpRounds(quick ? 2 : 9, quick ? 2 : 3);
    console.log('http hello-world, autocannon 50 connections, req/s median:', h);
  }
  console.log(`load after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}
