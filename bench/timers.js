'use strict';
// Timers patch overhead: patched vs native, interleaved rounds in one process,
// medians; the micro cases run in 7 processes one after another and report the
// median (and range) over processes of the wall-time overhead, the CPU-time
// overhead (whole process: GC threads included), and the wall-time floor any
// handle costs. For the firing case read the CPU figure: its wall time
// includes the 1 ms wait, the same on both sides.
// Run: node bench/timers.js [--quick] [--no-http] [--http-only] [--http-profile] [--processes N] [--case text]
//   --http-profile: instead of the HTTP A/B, the patched server under V8's CPU
//          profiler: the patch's share of its busy samples (other processes
//          on the machine do not move it; bench/http-compare.js).
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
const { VARIANTS, BODIES, CASES } = require('./timer-cases');

const quick = process.argv.includes('--quick');
function noop() {}
// Each loop is timed both ways, ns per operation: wall time (what a caller
// waits) and CPU time of the whole process (process.cpuUsage, so V8's
// background GC threads count too: a patch that allocates more pays there).
const meter = {
  start() {
    const u = process.cpuUsage();
    return { wall: process.hrtime.bigint(), cpu: (u.user + u.system) * 1000 };
  },
  stop(start, n) {
    const u = process.cpuUsage();
    return { wall: Number(process.hrtime.bigint() - start.wall) / n, cpu: ((u.user + u.system) * 1000 - start.cpu) / n };
  },
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

// One process: every case, rounds interleaved native / patched / floor in
// alternating order; per case the median time of each and the median of the
// in-round ratios (robust to load that drifts between rounds).
async function microProcess(rounds, caseIndex) {
  const out = [];
  for (const [name, body, full, short = full] of [CASES[caseIndex]]) {
    const n = quick ? short : full;
    const loops = {};
    const times = {};
    for (const v of Object.keys(VARIANTS)) {
       
      loops[v] = new Function('t', 'n', 'noop', 'meter', `/* ${v} */ ${BODIES[body]}`);
      times[v] = [];
      await loops[v](VARIANTS[v], n, noop, meter); // warm-up
    }
    const order = Object.keys(VARIANTS);
    for (let i = 0; i < rounds; i++) {
      for (const v of i % 2 === 0 ? order : [...order].reverse()) times[v].push(await loops[v](VARIANTS[v], n, noop, meter));
    }
    const ratio = (v, clock) => median(times[v].map((x, k) => x[clock] / times.native[k][clock]));
    const ns = (v) => median(times[v].map((x) => x.wall));
    out.push({ name, nativeNs: ns('native'), patchedNs: ns('patched'), patched: ratio('patched', 'wall'), patchedCpu: ratio('patched', 'cpu'), floor: ratio('floor', 'wall') });
  }
  return out;
}

// Several processes, one after the other: V8's optimisation decisions differ
// from one process to the next (the same build measured 12–31% over native in
// five runs of one process each), so the figure is the median over processes.
async function micro(processes, rounds) {
  // Each case in processes of its own: a case run after the fresh-closure ones
  // would measure code V8 made polymorphic for those (the interval pair read
  // +32% after them and +16% alone).
  const only = process.argv.indexOf('--case');
  const picked = CASES.map((c, i) => i).filter((i) => only === -1 || CASES[i][0].includes(process.argv[only + 1]));
  const runs = Array.from({ length: processes }, () => []);
  for (const c of picked) {
    for (let p = 0; p < processes; p++) {
      const args = [__filename, '--micro-process', String(rounds), String(c), ...process.argv.slice(2)];
      const child = fork(args[0], args.slice(1), { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      const [row] = await new Promise((resolve, reject) => {
        child.once('message', resolve);
        child.once('error', reject);
        child.once('exit', (code) => reject(new Error(`bench process exited with ${code} before reporting`)));
      });
      runs[p].push(row);
    }
  }
  const pct = (x) => `${((x - 1) * 100).toFixed(1)}%`;
  return runs[0].map((row, c) => {
    const patched = runs.map((r) => r[c].patched);
    return {
      case: row.name,
      nativeNs: median(runs.map((r) => r[c].nativeNs)).toFixed(0),
      patchedNs: median(runs.map((r) => r[c].patchedNs)).toFixed(0),
      overhead: pct(median(patched)),
      range: `${pct(Math.min(...patched))} … ${pct(Math.max(...patched))}`,
      cpuOverhead: pct(median(runs.map((r) => r[c].patchedCpu))),
      handleFloor: pct(median(runs.map((r) => r[c].floor))),
    };
  });
}

// The servers run in children (patched or not; bench/http-compare.js);
// autocannon runs here, unpatched, so the load generator's own timers are
// never the thing measured. Each request arms and clears a request timeout
// made from a fresh closure, as a handler written inline does.
const HANDLER = `(req, res) => {
    const timer = setTimeout(() => res.destroy(), 30000); // a per-request timeout, cleared when answered
    res.end('hello world');
    clearTimeout(timer);
  }`;
const PATCH = `require(${JSON.stringify(require.resolve('../lib/timers'))}).patchTimers();`;

function httpRounds(rounds, seconds) {
  const { compareHttp, helloServer } = require('./http-compare');
  return compareHttp({ native: { source: helloServer(HANDLER) }, patched: { source: helloServer(HANDLER, PATCH) } }, { rounds, seconds });
}

// The patched server under V8's CPU profiler: the timers patch's share of its
// busy samples (bench/http-compare.js profileHttp), 3 runs per handler: Node's
// plain hello-world (no timer of its own per request), one reused callback
// per request, a fresh closure per request (HANDLER).
const PROFILED_HANDLERS = {
  'plain hello-world': '(req, res) => res.end("hello world")',
  'request timeout, reused callback': `(() => {
    function onTimeout() {}
    return (req, res) => { const timer = setTimeout(onTimeout, 30000); res.end('hello world'); clearTimeout(timer); };
  })()`,
  'request timeout, fresh closure': HANDLER,
};

function httpProfile(seconds) {
  const { printProfiles } = require('./http-compare');
  return printProfiles({ handlers: PROFILED_HANDLERS, prelude: PATCH, seconds, root: require('node:path').resolve(__dirname, '..'), label: 'patched' });
}

const microMode = process.argv.indexOf('--micro-process');
if (microMode !== -1) microProcess(Number(process.argv[microMode + 1]), Number(process.argv[microMode + 2])).then((rows) => process.send(rows, () => process.disconnect()));
else main();

async function main() {
  console.log(`node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const processes = process.argv.includes('--processes') ? Number(process.argv[process.argv.indexOf('--processes') + 1]) : quick ? 2 : 7;
  if (!process.argv.includes('--http-only')) console.table(await micro(processes, quick ? 5 : 11));
  if (process.argv.includes('--http-profile')) await httpProfile(quick ? 3 : 6);
  else if (!process.argv.includes('--no-http')) {
    const h = await httpRounds(quick ? 2 : 11, quick ? 2 : 3);
    console.log(`http hello-world (a per-request timeout armed and cleared), autocannon ${h.connections} connections, ${h.rounds} rounds of ${h.seconds} s${h.pinned ? ', server and autocannon on separate cores' : ''}:`);
    console.table(h.rows.map((r) => ({ variant: r.variant, medianReqPerSec: r.medianReqPerSec, ratioPct: r.ratioPct, cpuMicrosPerRequest: r.cpuMicrosPerRequest, cpuRatioPct: r.cpuRatioPct, rounds: r.perRound.join(' ') })));
  }
  console.log(`load after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}
