'use strict';
// Listener ledger overhead, tracked vs untracked, medians.
// Run: node bench/listeners.js [--quick] [--no-http | --http-only | --http-profile] [--case text]
// Micro cases: rounds interleaved untracked / tracked in one process, each
// variant with a loop compiled for it, 5 processes per case (2 with --quick);
// CPU time per operation, median of the in-round ratios, then over processes.
//   - on+off pair with one stable listener function
//   - on+off pair with a fresh closure per pair (the per-request pattern)
//   - once + emit
//   - a new emitter per "request" with a close listener + bus on/off
//   - addEventListener + removeEventListener on an EventTarget
//   - HTTP on 127.0.0.1, autocannon (programmatic, bounded): Node's hello
//     world, and the same with a balanced per-request bus subscription; as
//     fast as the client goes (throughput), then at a fixed 5 000 req/s
//     (server CPU per request)
// The tracked rounds use trackListeners() defaults (SAMPLE_EVERY=n overrides sampleEvery).
// Figures vary with machine load: record `uptime` beside them.

const EventEmitter = require('node:events');
const http = require('node:http');
const os = require('node:os');
const { trackListeners, untrackListeners, listeners } = require('../lib/listeners');

const quick = process.argv.includes('--quick');
const noHttp = process.argv.includes('--no-http');
const httpOnly = process.argv.includes('--http-only');
const FIXED_RATE = 5000; // requests/s for the CPU-per-request rounds
const ROUNDS = quick ? 5 : 11;
const N = quick ? 200_000 : 500_000;
// Library defaults unless SAMPLE_EVERY is set.
const TRACK_OPTIONS = process.env.SAMPLE_EVERY ? { sampleEvery: Number(process.env.SAMPLE_EVERY) } : undefined;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const stable = () => {};
const other = () => {};
const cases = {
  'on+off pair (stable fn)': (n) => {
    const ee = new EventEmitter();
    ee.on('other', other);
    for (let i = 0; i < n; i++) {
      ee.on('data', stable);
      ee.off('data', stable);
    }
  },
  'on+off pair (fresh closure)': (n) => {
    const ee = new EventEmitter();
    ee.on('other', other);
    for (let i = 0; i < n; i++) {
      const send = () => i;
      ee.on('data', send);
      ee.off('data', send);
    }
  },
  'once+emit': (n) => {
    const ee = new EventEmitter();
    for (let i = 0; i < n; i++) {
      ee.once('data', stable);
      ee.emit('data');
    }
  },
  // The seed pattern without the network: a new emitter per "request" that
  // takes a close listener, plus a balanced subscription on a global bus.
  'per-request emitter + bus on/off': (n) => {
    const bus = new EventEmitter();
    bus.setMaxListeners(0);
    for (let i = 0; i < n / 4; i++) {
      const res = new EventEmitter();
      const send = () => res;
      bus.on('update', send);
      res.on('close', () => bus.off('update', send));
      res.emit('close');
    }
  },
  'addEventListener+removeEventListener': (n) => {
    const et = new EventTarget();
    for (let i = 0; i < n / 4; i++) {
      et.addEventListener('data', stable);
      et.removeEventListener('data', stable);
    }
  },
};

// CPU time of this thread (user + system, GC included) rather than wall time:
// other processes share the machine, and CPU time is what the service pays.
function timeCase(fn, n) {
  const c0 = process.cpuUsage();
  fn(n);
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
}

const scaleOf = (name) => (name.startsWith('addEventListener') || name.startsWith('per-request') ? 4 : 1);

// Each case's loop is compiled once per variant (new Function from its
// source), so each has its own type feedback: a real call site calls either
// Node's method or the ledger's wrapper, and a loop shared between the
// variants would measure V8's polymorphic calls instead. One process runs
// one case, rounds interleaved untracked / tracked in alternating order
// (trackListeners() / untrackListeners() between them); the figure is the
// median of the rounds' tracked/untracked ratios. The swap itself makes
// Node's own call sites (once's this.on, the once wrapper's removeListener)
// see both functions, a cost both variants share and no service pays.
function compiled(name) {
   
  return new Function('EventEmitter', 'stable', 'other', `return (${cases[name].toString()})`)(EventEmitter, stable, other);
}

function microProcess(name, rounds) {
  const loops = { untracked: compiled(name), tracked: compiled(name) };
  const times = { untracked: [], tracked: [] };
  const run = (mode) => {
    if (mode === 'tracked') trackListeners(TRACK_OPTIONS);
    const t = timeCase(loops[mode], N) * scaleOf(name);
    if (mode === 'tracked') untrackListeners();
    return t;
  };
  run('untracked'); // warm-up
  run('tracked');
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 === 0 ? ['untracked', 'tracked'] : ['tracked', 'untracked']) times[mode].push(run(mode));
  }
  return { untracked: median(times.untracked), tracked: median(times.tracked), ratio: median(times.tracked.map((t, i) => t / times.untracked[i])) };
}

// Several processes per case, one after the other (V8's optimisation
// decisions differ from one process to the next): the overhead is the median
// over processes, with its range.
async function micro() {
  const { fork } = require('node:child_process');
  const processes = quick ? 2 : 5;
  const rows = [];
  const only = process.argv.indexOf('--case');
  for (const name of Object.keys(cases).filter((n) => only === -1 || n.includes(process.argv[only + 1]))) {
    const runs = [];
    for (let p = 0; p < processes; p++) {
      const child = fork(__filename, ['--micro-process', name, ...process.argv.slice(2)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      runs.push(
        await new Promise((resolve, reject) => {
          child.once('message', resolve);
          child.once('error', reject);
          child.once('exit', (code) => reject(new Error(`bench process exited with ${code} before reporting`)));
        }),
      );
    }
    const ratios = runs.map((r) => r.ratio);
    const pct = (x) => `${((x - 1) * 100).toFixed(0)}%`;
    rows.push({
      case: name,
      untracked_ns: median(runs.map((r) => r.untracked)).toFixed(1),
      tracked_ns: median(runs.map((r) => r.tracked)).toFixed(1),
      overhead: pct(median(ratios)),
      range: `${pct(Math.min(...ratios))} … ${pct(Math.max(...ratios))}`,
    });
  }
  return rows;
}

// The server runs in a child process (tracked or not on command) so that the
// load generator's own sockets and listeners are never tracked. The child
// reports its own CPU time per request as well: throughput on a shared
// machine swings with other processes, CPU per request much less.
const APPS = {
  // Node's bare hello world: every listener is added by Node itself.
  hello: () => (req, res) => res.end('hello world'),
  // The seed pattern, balanced: subscribe per request, unsubscribe on close.
  subscribe: () => {
    // Its own require: the profiled server runs this function's source.
    const bus = new (require('node:events'))();
    bus.setMaxListeners(0);
    return (req, res) => {
      const send = (data) => res.write(data);
      bus.on('update', send);
      res.on('close', () => bus.off('update', send));
      res.end('hello world');
    };
  },
};

function serveChild(app) {
  let served = 0;
  const handler = APPS[app]();
  const server = http.createServer((req, res) => {
    served++;
    handler(req, res);
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  let cpu0;
  let served0;
  process.on('message', (msg) => {
    if (msg === 'track') trackListeners(TRACK_OPTIONS);
    else if (msg === 'untrack') untrackListeners();
    else if (msg === 'begin') {
      cpu0 = process.cpuUsage();
      served0 = served;
    } else if (msg === 'end') {
      const c = process.cpuUsage(cpu0);
      process.send({ cpuPerRequestUs: (c.user + c.system) / Math.max(1, served - served0), sites: listeners().length });
      return;
    } else if (msg === 'exit') {
      server.close();
      process.disconnect();
      return;
    }
    process.send({ ok: msg });
  });
}

function ask(child, msg) {
  return new Promise((resolve) => {
    child.once('message', resolve);
    child.send(msg);
  });
}

async function httpBench(app, { rate = 0 } = {}) {
  const autocannon = require('autocannon');
  const { fork } = require('node:child_process');
  const child = fork(__filename, ['--server', app], { stdio: 'inherit' });
  const { port } = await new Promise((resolve) => child.once('message', resolve));
  const duration = quick ? 2 : 5;
  const rounds = quick ? 3 : 6;
  const run = async () =>
    (await autocannon({ url: `http://127.0.0.1:${port}/`, connections: 10, duration, pipelining: 1, ...(rate > 0 ? { overallRate: rate } : {}) })).requests.average;
  const out = { untracked: [], tracked: [], cpu: { untracked: [], tracked: [] } };
  await run(); // warm-up
  let sites = 0;
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ['untracked', 'tracked'] : ['tracked', 'untracked'];
    for (const mode of order) {
      if (mode === 'tracked') await ask(child, 'track');
      await ask(child, 'begin');
      out[mode].push(await run());
      const end = await ask(child, 'end');
      out.cpu[mode].push(end.cpuPerRequestUs);
      if (mode === 'tracked') {
        sites = end.sites;
        await ask(child, 'untrack');
      }
    }
  }
  child.send('exit');
  const u = median(out.untracked);
  const t = median(out.tracked);
  const cu = median(out.cpu.untracked);
  const ct = median(out.cpu.tracked);
  const pairedRps = median(out.tracked.map((x, i) => x / out.untracked[i]));
  const pairedCpu = median(out.cpu.untracked.map((x, i) => x / out.cpu.tracked[i]));
  return {
    case: `HTTP ${app}${rate > 0 ? ` at ${rate} req/s` : ''}: 10 conns x ${duration}s x ${rounds} rounds`,
    untracked_rps: u.toFixed(0),
    tracked_rps: t.toFixed(0),
    rps_ratio: `${((t / u) * 100).toFixed(1)}%`,
    cpu_us_per_req: `${cu.toFixed(1)} -> ${ct.toFixed(1)}`,
    cpu_ratio: `${((cu / ct) * 100).toFixed(1)}%`,
    paired_rps: `${(pairedRps * 100).toFixed(1)}%`,
    paired_cpu: `${(pairedCpu * 100).toFixed(1)}%`,
    sites,
  };
}

// Exact attribution (a real stack on every add) for comparison: far fewer
// iterations, it costs microseconds per add.
function exactMode() {
  const n = quick ? 2_000 : 10_000;
  const out = { untracked: [], exact: [] };
  const fn = cases['on+off pair (fresh closure)'];
  for (let r = 0; r < (quick ? 3 : 7); r++) {
    out.untracked.push(timeCase(fn, n));
    trackListeners({ sampleEvery: 1, capturesPerSecond: Infinity });
    out.exact.push(timeCase(fn, n));
    untrackListeners();
  }
  const u = median(out.untracked);
  const t = median(out.exact);
  return [{ case: 'on+off pair (fresh closure), sampleEvery: 1', untracked_ns: u.toFixed(1), tracked_ns: t.toFixed(1), overhead: `${((t / u - 1) * 100).toFixed(0)}%` }];
}

// The tracked server under V8's CPU profiler: the ledger's share of its busy
// samples (bench/http-compare.js profileHttp), 3 runs per app. Other
// processes on the machine do not move this figure; the A/B above swings by
// 5–8 points between runs here.
const PROFILED_APPS = Object.fromEntries(Object.entries(APPS).map(([name, make]) => [name, `(${make})()`]));

function httpProfile() {
  const { printProfiles } = require('./http-compare');
  const prelude = `require(${JSON.stringify(require.resolve('../lib/listeners'))}).trackListeners();`;
  return printProfiles({ handlers: PROFILED_APPS, prelude, seconds: quick ? 3 : 6, root: require('node:path').resolve(__dirname, '..'), label: 'tracked' });
}

async function main() {
  console.log(`node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (process.argv.includes('--http-profile')) {
    await httpProfile();
    return;
  }
  if (!httpOnly) {
    console.table(await micro());
    console.table(exactMode());
  }
  if (!noHttp) {
    // Throughput (as fast as the client goes), then server CPU per request at
    // a fixed rate both variants can serve: at full speed the CPU per request
    // also moves with how many requests each event-loop turn batches, and the
    // client shares the 2 cores.
    console.table([await httpBench('hello'), await httpBench('subscribe')]);
    console.table([await httpBench('hello', { rate: FIXED_RATE }), await httpBench('subscribe', { rate: FIXED_RATE })]);
  }
  console.log(`load after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

const microAt = process.argv.indexOf('--micro-process');
if (microAt !== -1) {
  process.send(microProcess(process.argv[microAt + 1], ROUNDS), () => process.disconnect());
} else if (process.argv.includes('--server')) {
  serveChild(process.argv[process.argv.indexOf('--server') + 1]);
} else {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
