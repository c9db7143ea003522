'use strict';
// Timers patch overhead: patched vs native, interleaved rounds in one process,
// medians; the micro cases run in 7 processes one after another and report the
// median (and range) over processes, next to the floor any handle costs.
// Run: node bench/timers.js [--quick] [--no-http] [--http-only] [--processes N] [--case text]
//   micro: setTimeout+clearTimeout pair (one callback reused, a fresh closure
//          per call, and a fresh closure with a long source text), a firing
//          setTimeout, setInterval+clearInterval.
//   http:  hello-world on 127.0.0.1 driven by autocannon (50 connections,
//          11 rounds of 3 s each way; bench/http-compare.js), server with vs
//          without the patch, each in its own child process; the handler
//          schedules and clears one user timer per request (a fresh closure),
//          like a request timeout would.
const { fork } = require('node:child_process');
const os = require('node:os');
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

// The servers run in children (patched or not; bench/http-compare.js);
// autocannon runs here, unpatched, so the load generator's own timers are
// never the thing measured. Each request arms and clears a request timeout
// made from a fresh closure, as a handler written inline does.
function httpRounds(rounds, seconds) {
  const { compareHttp, helloServer } = require('./http-compare');
  const handler = `(req, res) => {
    const timer = setTimeout(() => res.destroy(), 30000); // a per-request timeout, cleared when answered
    res.end('hello world');
    clearTimeout(timer);
  }`;
  const patch = `require(${JSON.stringify(require.resolve('../lib/timers'))}).patchTimers();`;
  return compareHttp({ native: { source: helloServer(handler) }, patched: { source: helloServer(handler, patch) } }, { rounds, seconds });
}

const microMode = process.argv.indexOf('--micro-process');
if (microMode !== -1) microProcess(Number(process.argv[microMode + 1])).then((rows) => process.send(rows, () => process.disconnect()));
else main();

async function main() {
  console.log(`node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const processes = process.argv.includes('--processes') ? Number(process.argv[process.argv.indexOf('--processes') + 1]) : quick ? 2 : 7;
  if (!process.argv.includes('--http-only')) console.table(await micro(processes, quick ? 5 : 11));
  if (!process.argv.includes('--no-http')) {
    const h = await httpRounds(quick ? 2 : 11, quick ? 2 : 3);
    console.log(`http hello-world (a per-request timeout armed and cleared), autocannon ${h.connections} connections, ${h.rounds} rounds of ${h.seconds} s${h.pinned ? ', server and autocannon on separate cores' : ''}:`);
    console.table(h.rows.map((r) => ({ variant: r.variant, medianReqPerSec: r.medianReqPerSec, ratioPct: r.ratioPct, rounds: r.perRound.join(' ') })));
  }
  console.log(`load after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}
