'use strict';
// HeapSampler benchmarks. Run: node bench/sampler.js [--quick] [--cpu] [--detection] [--http-variants]
//   cpu:       CPU time (process.cpuUsage: every thread, so the sampler thread
//              counts) of an allocation-heavy workload, each round in a fresh
//              child: without leakguard vs with start() at default settings.
//              Interleaved rounds, median of the per-pair ratios.
//   http:      hello-world on 127.0.0.1 driven by autocannon (50 connections),
//              server without vs with leakguard/register at defaults (timers
//              patch, listener ledger, sampler): bench/http-compare.js.
//   detection: time from a leak's start (10 s after start(), past the warm-up) to onLeak for a 1, 2 and 5 MB/s leak (arrays
//              kept in a global list) at intervalMs 250, and for each leak
//              scenario of __test__/fixtures/sampler-scenario.js.
//              Also leakguard's own account of its busy time (sampler thread
//              + JS-side heartbeat, GC observer, forced GCs), from
//              report().sampler.overhead, as a share of the process's CPU time.
//   --cpu:     only the cpu case
//   --http-profile: the register'd hello-world server under load with V8's
//              CPU profiler: leakguard's own share of the busy samples (an
//              attribution that other processes on the machine do not move)
//   --detection: only the detection case
//   --http-variants: only the HTTP case, register with timers and/or the
//              listener ledger turned off, to see which part costs.
//   --verdict: time from a leak's start to onLeak at intervalMs 250 and at the
//              defaults, for 0.25, 0.5, 1, 5 and 20 MB/s (arrays kept in a global
//              list, from a named function), for a leak that starts after the
//              warm-up and for one that starts with the process (at start()),
//              and whether each report named a suspect (and the leaking
//              function first). Two children at a time.
//              --rates 20 --config defaults,250-start --max-pause 1000: a
//              subset (configs 250, defaults, 250-start, defaults-start), with
//              maxForcedGcPauseMs set.
//   --sampling-cost: the allocation-heavy loop (CPU per iteration) and the
//              HTTP hello-world, each A/B/C interleaved: without leakguard,
//              start() with allocations: false, start() with sampling at
//              512 KiB from the start.
//   --forced-gc: a clean HTTP service under light load for --seconds (default
//              60) at the defaults: forced-GC count and time from report(),
//              scaled to one hour.
//   --workers: 16 workers started and terminated, bare vs every environment
//              under leakguard/register (interleaved, 3 rounds each): start
//              and exit time, threads of the process while they run.
//   --profile-read: what one read of the sampling profile through
//              node:inspector costs (it forces a full GC) at 50, 150, 300 MB.
const path = require('node:path');
const os = require('node:os');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const quick = process.argv.includes('--quick');
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

// ---- cpu -------------------------------------------------------------------
const CPU_CHILD = `
  const withGuard = process.argv[1] === 'on' || process.argv[1] === 'on-noalloc';
  if (withGuard) require(${JSON.stringify(ROOT)}).start({ allocations: process.argv[1] === 'on' });
  const u0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let keep = [];
  let sink = 0;
  const end = Date.now() + ${quick ? 2000 : 4000};
  let iterations = 0;
  (function work() {
    // ~5 ms slices of allocation-heavy work, yielding so timers and the gc
    // observer run as they would in a service.
    const slice = Date.now() + 5;
    while (Date.now() < slice) {
      const o = { id: iterations, tags: new Array(32).fill(iterations), name: 'item-' + iterations };
      keep.push(o);
      if (keep.length > 20000) keep = [];
      sink += JSON.stringify(o).length;
      iterations++;
    }
    if (Date.now() < end) setImmediate(work);
    else {
      const cpu = process.cpuUsage(u0);
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      // leakguard's own account of its cost (sampler thread + JS-side work).
      const self = withGuard ? require(${JSON.stringify(ROOT)}).report().sampler.overhead : null;
      console.log(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, wallMs, iterations, sink, selfMs: self && self.threadBusyMs + self.jsBusyMs }));
      if (withGuard) require(${JSON.stringify(ROOT)}).stop();
    }
  })();
`;

function cpuRound(mode) {
  const out = spawnSync(process.execPath, ['-e', CPU_CHILD, mode], { encoding: 'utf8', timeout: 60_000 });
  if (out.status !== 0) throw new Error(out.stderr);
  return JSON.parse(out.stdout);
}

function benchCpu() {
  const rounds = quick ? 3 : 7;
  const ratios = [];
  const perIter = { off: [], on: [] };
  const self = [];
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
    const r = {};
    for (const m of order) r[m] = cpuRound(m);
    // CPU per unit of work: the rounds are time-boxed, so compare cost per iteration.
    const off = r.off.cpuMs / r.off.iterations;
    const on = r.on.cpuMs / r.on.iterations;
    perIter.off.push(off * 1e6);
    perIter.on.push(on * 1e6);
    ratios.push(on / off);
    self.push((r.on.selfMs / r.on.cpuMs) * 100);
  }
  return {
    rounds,
    nsPerIterationOff: median(perIter.off),
    nsPerIterationOn: median(perIter.on),
    overheadPct: (median(ratios) - 1) * 100,
    selfPct: median(self),
  };
}

// ---- http ------------------------------------------------------------------
// bench/http-compare.js: all variants kept running, rounds in rotation, server
// pinned to one core and autocannon to the other, median of in-round ratios.
const REGISTER = ['-r', path.join(ROOT, 'register.js')];

function benchHttp() {
  const { compareHttp, helloServer } = require('./http-compare');
  const source = helloServer();
  return compareHttp(
    { 'without leakguard': { source }, 'leakguard/register (everything on)': { nodeArgs: REGISTER, source } },
    { rounds: quick ? 3 : 11, seconds: quick ? 2 : 3 },
  );
}

// Which part costs throughput: the register preload with parts turned off.
function benchHttpVariants() {
  const { compareHttp, helloServer } = require('./http-compare');
  const source = helloServer();
  return compareHttp(
    {
      'without leakguard': { source },
      'register, everything on': { nodeArgs: REGISTER, source },
      'register, LEAKGUARD_TIMERS=0': { nodeArgs: REGISTER, env: { LEAKGUARD_TIMERS: '0' }, source },
      'register, LEAKGUARD_LISTENERS=0': { nodeArgs: REGISTER, env: { LEAKGUARD_LISTENERS: '0' }, source },
      'register, sampler only': { nodeArgs: REGISTER, env: { LEAKGUARD_TIMERS: '0', LEAKGUARD_LISTENERS: '0' }, source },
    },
    { rounds: quick ? 3 : 9, seconds: 3 },
  );
}

function printHttp(result, load) {
  console.log(`http hello-world, autocannon ${result.connections} connections, ${result.rounds} rounds of ${result.seconds} s in rotation${result.pinned ? ', server on one core and autocannon on the other' : ''} (load ${load()}):`);
  for (const r of result.rows) {
    console.log(`  ${r.variant}: ${r.medianReqPerSec} req/s median, ${r.ratioPct}% of baseline; ${r.cpuMicrosPerRequest} µs CPU/request, ${r.cpuRatioPct}% by CPU per request (rounds: ${r.perRound.join(', ')})`);
  }
}

// ---- detection ---------------------------------------------------------------
function leakChild(mbPerSec) {
  // Each entry: an array of 128 numbers (~1 KiB on the heap).
  const perTick = Math.round((mbPerSec * 1e6) / 1040 / 20);
  return `
    const lg = require(${JSON.stringify(ROOT)});
    // The leak starts after the sampler's 8 s warm-up (a service that has been
    // up for a while); detection time is counted from the leak's start.
    const LEAK_START_MS = 10000;
    const t0 = Date.now() + LEAK_START_MS;
    lg.start({ intervalMs: 250, onLeak(r) {
      console.log(JSON.stringify({ ms: Date.now() - t0, slope: r.heap.slopeBytesPerSec, top: r.suspects[0] ? r.suspects[0].kind : null }));
      process.exit(0);
    } });
    const kept = [];
    setTimeout(() => {
      setInterval(function leak() { for (let i = 0; i < ${perTick}; i++) kept.push(new Array(128).fill(i)); }, 50);
    }, LEAK_START_MS);
    setTimeout(() => { console.log(JSON.stringify({ ms: null })); process.exit(0); }, LEAK_START_MS + 30000);
  `;
}

function detectOnce(mbPerSec) {
  const out = spawnSync(process.execPath, ['-e', leakChild(mbPerSec)], { encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

function benchDetection() {
  const rates = [1, 2, 5];
  const rounds = quick ? 1 : 3;
  const out = [];
  for (const rate of rates) {
    const runs = [];
    for (let i = 0; i < rounds; i++) runs.push(detectOnce(rate));
    const ms = runs.map((r) => r.ms);
    out.push({ rate, detectionMs: ms, median: median(ms.map((m) => (m === null ? Infinity : m))), measuredSlope: median(runs.map((r) => r.slope || 0)) });
  }
  return out;
}

function benchScenarios() {
  const fixture = path.join(ROOT, '__test__', 'fixtures', 'sampler-scenario.js');
  const out = [];
  for (const name of ['map', 'timer', 'listener', 'buffer']) {
    const r = spawnSync(process.execPath, [fixture, name, '20000'], { encoding: 'utf8', timeout: 60_000 });
    const line = r.stdout.split('\n').find((l) => l.startsWith('SAMPLER_RESULT '));
    const res = line ? JSON.parse(line.slice(15)) : null;
    const top = res && res.report.suspects[0];
    out.push({ name, firstLeakMs: res && res.firstLeakMs, top: top ? `${top.kind} ${path.basename(top.site.file)}:${top.site.line}` : null });
  }
  return out;
}

// ---- verdict: time to onLeak by rate -------------------------------------------
function argValue(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function verdictChild(mbPerSec, intervalMs, leakStartMs, waitMs, maxPause) {
  // Each entry: an array of 128 numbers (~1 KiB on the heap), 20 ticks a second.
  const perTick = Math.max(1, Math.round((mbPerSec * 1e6) / 1040 / 20));
  return `
    const lg = require(${JSON.stringify(ROOT)});
    const t0 = Date.now() + ${leakStartMs};
    lg.start({ ${intervalMs === null ? '' : `intervalMs: ${intervalMs}, `}${maxPause === undefined ? '' : `maxForcedGcPauseMs: ${maxPause}, `}onLeak(r) {
      const top = r.suspects[0];
      console.log(JSON.stringify({ ms: Date.now() - t0, growing: r.heap.growing, suspects: r.suspects.length, top: top && top.site ? top.site.functionName : null, note: r.note || null }));
      process.exit(0);
    } });
    const kept = [];
    function leakyIngest() { for (let i = 0; i < ${perTick}; i++) kept.push(new Array(128).fill(i)); }
    if (${leakStartMs} === 0) setInterval(leakyIngest, 50);
    else setTimeout(() => setInterval(leakyIngest, 50), ${leakStartMs});
    setTimeout(() => { console.log(JSON.stringify({ ms: null })); process.exit(0); }, ${leakStartMs + waitMs});
  `;
}

function spawnJson(args, timeout) {
  const { spawn } = require('node:child_process');
  return new Promise((resolve) => {
    const fs = require('node:fs');
    // A file, not -e: the sampling heap profiler names functions by their script's URL.
    const file = path.join(os.tmpdir(), `leakguard-bench-${process.pid}-${Math.random().toString(36).slice(2)}.js`);
    fs.writeFileSync(file, args.source);
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('close', () => {
      clearTimeout(killer);
      fs.rmSync(file, { force: true });
      const last = out.trim().split('\n').pop();
      try {
        resolve(JSON.parse(last));
      } catch {
        resolve({ ms: null });
      }
    });
  });
}

async function benchVerdict() {
  const rates = argValue('--rates') ? argValue('--rates').split(',').map(Number) : [0.25, 0.5, 1, 5, 20];
  const rounds = quick ? 1 : 3;
  const maxPause = argValue('--max-pause') === undefined ? undefined : Number(argValue('--max-pause'));
  const suffix = maxPause === undefined ? '' : `, maxForcedGcPauseMs ${maxPause}`;
  // `start` configs: the leak starts with the process (at start()), so its
  // growth is mixed with the warm-up's.
  const configs = [
    { name: '250', label: `intervalMs 250${suffix}`, intervalMs: 250, leakStartMs: 10_000, waitMs: 60_000 },
    { name: 'defaults', label: `defaults (1000 ms)${suffix}`, intervalMs: null, leakStartMs: 20_000, waitMs: 150_000 },
    { name: '250-start', label: `intervalMs 250, leak from start${suffix}`, intervalMs: 250, leakStartMs: 0, waitMs: 60_000 },
    { name: 'defaults-start', label: `defaults (1000 ms), leak from start${suffix}`, intervalMs: null, leakStartMs: 0, waitMs: 150_000 },
  ].filter((c) => argValue('--config') === undefined || argValue('--config').split(',').includes(c.name));
  const jobs = [];
  for (let i = 0; i < rounds; i++) for (const c of configs) for (const rate of rates) jobs.push({ c, rate });
  const results = new Map();
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const { c, rate } = jobs[next++];
      const r = await spawnJson({ source: verdictChild(rate, c.intervalMs, c.leakStartMs, c.waitMs, maxPause) }, c.leakStartMs + c.waitMs + 30_000);
      const key = `${c.label}|${rate}`;
      if (!results.has(key)) results.set(key, { label: c.label, rate, runs: [] });
      results.get(key).runs.push(r);
    }
  };
  await Promise.all([worker(), worker()]);
  return [...results.values()];
}

function printVerdict(rows, load) {
  console.log(`time from leak start to onLeak (${quick ? 1 : 3} runs each, two children at a time; load ${load()}):`);
  let named = 0;
  let first = 0;
  let total = 0;
  for (const row of rows) {
    const ms = row.runs.map((r) => (r.ms === null ? Infinity : r.ms));
    const sorted = [...ms].sort((a, b) => a - b);
    const fmt = (m) => (m === Infinity ? 'never' : `${(m / 1000).toFixed(1)} s`);
    for (const r of row.runs) {
      if (r.ms === null) continue;
      total++;
      if (r.suspects > 0) named++;
      if (r.top === 'leakyIngest') first++;
    }
    console.log(`  ${row.label}, ${row.rate} MB/s: median ${fmt(sorted[sorted.length >> 1])}, worst ${fmt(sorted[sorted.length - 1])} (${ms.map(fmt).join(', ')}); reports naming a suspect ${row.runs.filter((r) => r.suspects > 0).length}/${row.runs.filter((r) => r.ms !== null).length}`);
  }
  console.log(`  reports naming a suspect: ${named}/${total}; the leaking function first: ${first}/${total}`);
}

// ---- sampling cost -------------------------------------------------------------
function benchSamplingCpu() {
  const rounds = quick ? 3 : 7;
  const per = { off: [], 'on-noalloc': [], on: [] };
  for (let i = 0; i < rounds; i++) {
    const order = [['off', 'on-noalloc', 'on'], ['on', 'off', 'on-noalloc'], ['on-noalloc', 'on', 'off']][i % 3];
    for (const m of order) {
      const r = cpuRound(m);
      per[m].push((r.cpuMs / r.iterations) * 1e6);
    }
  }
  const spread = (xs) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
  return Object.fromEntries(Object.entries(per).map(([k, xs]) => [k, { median: median(xs), spread: spread(xs) }]));
}

function benchSamplingHttp() {
  const { compareHttp, helloServer } = require('./http-compare');
  const source = helloServer();
  return compareHttp(
    {
      'without leakguard': { source },
      'register, LEAKGUARD_ALLOCATIONS=0': { nodeArgs: REGISTER, env: { LEAKGUARD_ALLOCATIONS: '0', LEAKGUARD_QUIET: '1' }, source },
      'register, sampling at 512 KiB from start': { nodeArgs: REGISTER, env: { LEAKGUARD_QUIET: '1' }, source },
    },
    { rounds: quick ? 3 : 7, seconds: 3 },
  );
}

// ---- forced GCs of a clean service ---------------------------------------------
async function benchForcedGc(seconds) {
  const source = `
    const lg = require(${JSON.stringify(ROOT)});
    lg.start();
    const http = require('node:http');
    const cache = new Map();
    const server = http.createServer((req, res) => {
      const body = JSON.stringify({ at: Date.now(), items: Array.from({ length: 50 }, (_, i) => ({ i, s: 'x'.repeat(40) })) });
      cache.set(req.url.length % 100, body); // bounded: 100 keys
      res.end(body);
    }).listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
      const tick = setInterval(() => { for (let i = 0; i < 20; i++) http.get({ port, host: '127.0.0.1', path: '/p' + i, agent }, (r) => r.resume()); }, 20);
      setTimeout(() => {
        clearInterval(tick);
        const r = lg.report();
        console.log(JSON.stringify({ elapsedMs: r.sampler.overhead.elapsedMs, forcedGcs: r.heap.forcedGcs, forcedGcMs: r.heap.forcedGcMs, refused: r.heap.forcedGcsRefused, majorGcs: r.heap.majorGcs, leaking: r.leaking }));
        process.exit(0);
      }, ${seconds * 1000});
    });`;
  return spawnJson({ source }, seconds * 1000 + 60_000);
}

// ---- one profile read through node:inspector -------------------------------------
function benchProfileRead() {
  const src = `
    const inspector = require('node:inspector');
    const s = new inspector.Session();
    s.connect();
    const post = (m, p) => { let out; s.post(m, p, (e, r) => { if (e) throw e; out = r; }); return out; };
    post('HeapProfiler.startSampling', { samplingInterval: 512 * 1024 });
    const kept = [];
    const out = [];
    for (const mb of [50, 150, 300]) {
      while (process.memoryUsage().heapUsed < mb * 1e6) for (let i = 0; i < 1000; i++) kept.push({ i, a: [i, i + 1], s: 'k' + i });
      const ms = [];
      for (let i = 0; i < 3; i++) {
        const t = process.hrtime.bigint();
        post('HeapProfiler.getSamplingProfile', {});
        ms.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      out.push({ mb, ms });
    }
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--max-old-space-size=2048', '-e', src], { encoding: 'utf8', timeout: 300_000 });
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

// ---- workers ---------------------------------------------------------------------
const WORKERS_CHILD = `
  const { Worker } = require('node:worker_threads');
  const fs = require('node:fs');
  const guarded = process.argv[1] === 'on';
  const threads = () => fs.readdirSync('/proc/self/task').length;
  const t0 = process.hrtime.bigint();
  const ws = Array.from({ length: 16 }, () => new Worker('require("node:worker_threads").parentPort.postMessage("up"); setInterval(() => {}, 1000);', { eval: true, execArgv: guarded ? ['-r', ${JSON.stringify(path.join(ROOT, 'register.js'))}] : [] }));
  Promise.all(ws.map((w) => new Promise((r) => w.once('message', r)))).then(async () => {
    const startMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const running = threads();
    const t1 = process.hrtime.bigint();
    await Promise.all(ws.map((w) => w.terminate()));
    console.log(JSON.stringify({ startMs, exitMs: Number(process.hrtime.bigint() - t1) / 1e6, threads: running }));
  });`;

function benchWorkers() {
  const out = { off: [], on: [] };
  for (let i = 0; i < 3; i++) {
    for (const mode of i % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
      const args = mode === 'on' ? ['-r', path.join(ROOT, 'register.js'), '-e', WORKERS_CHILD, 'on'] : ['-e', WORKERS_CHILD, 'off'];
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, LEAKGUARD_QUIET: '1' }, timeout: 120_000 });
      out[mode].push(JSON.parse(r.stdout.trim().split('\n').pop()));
    }
  }
  return out;
}

(async () => {
  const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
  if (process.argv.includes('--workers')) {
    console.log(`node ${process.version}, ${os.cpus().length} cpus, load ${load()}`);
    const r = benchWorkers();
    for (const [mode, runs] of Object.entries(r)) {
      const f = (k) => runs.map((x) => Math.round(x[k])).join(', ');
      console.log(`  16 workers, ${mode === 'on' ? 'every environment under register' : 'bare'}: start ${f('startMs')} ms, exit ${f('exitMs')} ms, threads while running ${f('threads')} (load ${load()})`);
    }
    return;
  }
  if (process.argv.includes('--verdict')) {
    console.log(`node ${process.version}, ${os.cpus().length} cpus, load ${load()}`);
    printVerdict(await benchVerdict(), load);
    return;
  }
  if (process.argv.includes('--sampling-cost')) {
    console.log(`node ${process.version}, ${os.cpus().length} cpus, load ${load()}`);
    const cpu = benchSamplingCpu();
    for (const [k, v] of Object.entries(cpu)) console.log(`  allocation loop, ${k}: ${v.median.toFixed(0)} ns CPU/iteration median (spread ${v.spread})`);
    printHttp(await benchSamplingHttp(), load);
    return;
  }
  if (process.argv.includes('--forced-gc')) {
    const i = process.argv.indexOf('--seconds');
    const seconds = i > 0 ? Number(process.argv[i + 1]) : 60;
    console.log(`node ${process.version}, ${os.cpus().length} cpus, load ${load()}`);
    const r = await benchForcedGc(seconds);
    const perHour = (x) => (x * 3_600_000) / r.elapsedMs;
    console.log(`clean service, ${(r.elapsedMs / 1000).toFixed(0)} s at the defaults: ${r.forcedGcs} forced GCs, ${r.forcedGcMs.toFixed(0)} ms (${r.refused} refused), ${r.majorGcs} natural major GCs, leaking ${r.leaking}; per hour: ${perHour(r.forcedGcs).toFixed(0)} forced GCs, ${perHour(r.forcedGcMs).toFixed(0)} ms (load ${load()})`);
    return;
  }
  if (process.argv.includes('--profile-read')) {
    console.log(`node ${process.version}, ${os.cpus().length} cpus, load ${load()}`);
    for (const r of benchProfileRead()) console.log(`  getSamplingProfile at ${r.mb} MB used: ${r.ms.map((m) => m.toFixed(0)).join(', ')} ms`);
    return;
  }
  if (process.argv.includes('--http-variants')) {
    console.log(`node ${process.version}, ${os.cpus().length} cpus, load ${load()}`);
    printHttp(await benchHttpVariants(), load);
    console.log(`load ${load()}`);
    return;
  }
  if (process.argv.includes('--http-profile')) {
    console.log(`node ${process.version}, ${os.cpus().length} cpus, load ${load()}`);
    // bench/http-compare.js: leakguard's share of the busy CPU samples of a
    // register'd hello-world server under load.
    const { printProfiles } = require('./http-compare');
    await printProfiles({
      handlers: { 'hello-world': '(req, res) => res.end("hello world")' },
      nodeArgs: REGISTER,
      seconds: quick ? 3 : 6,
      runs: quick ? 1 : 3,
      root: ROOT,
      label: 'leakguard/register, everything on',
    });
    return;
  }
  if (process.argv.includes('--cpu')) {
    console.log(`node ${process.version}, ${os.cpus().length} cpus, load ${load()}`);
    const cpu = benchCpu();
    console.log(`cpu: ${cpu.nsPerIterationOff.toFixed(0)} ns/iteration without, ${cpu.nsPerIterationOn.toFixed(0)} with start(): ${cpu.overheadPct.toFixed(2)}% (A/B, median of ${cpu.rounds} paired rounds); leakguard's own busy time ${cpu.selfPct.toFixed(2)}% of the process's CPU time (load ${load()})`);
    return;
  }
  if (process.argv.includes('--detection')) {
    console.log(`node ${process.version}, ${os.cpus().length} cpus, load ${load()}`);
    for (const d of benchDetection()) {
      console.log(`detection: ${d.rate} MB/s leak at intervalMs 250 → onLeak ${d.detectionMs.map((m) => (m === null ? 'never' : `${(m / 1000).toFixed(1)} s`)).join(', ')} after the leak began (measured slope ${(d.measuredSlope / 1e6).toFixed(2)} MB/s; load ${load()})`);
    }
    return;
  }
  console.log(`node ${process.version}, ${os.cpus().length} cpus, load ${load()}${quick ? ' (quick)' : ''}`);
  const cpu = benchCpu();
  console.log(`cpu: allocation-heavy workload ${cpu.nsPerIterationOff.toFixed(0)} ns/iteration without, ${cpu.nsPerIterationOn.toFixed(0)} with start() — overhead ${cpu.overheadPct.toFixed(2)}% (median of ${cpu.rounds} paired rounds; load ${load()}); leakguard's own account (report().sampler.overhead, thread + JS busy time) ${cpu.selfPct.toFixed(2)}% of the process's CPU time`);
  printHttp(await benchHttp(), load);
  for (const d of benchDetection()) {
    console.log(`detection: ${d.rate} MB/s leak at intervalMs 250 → onLeak after the leak began: ${d.detectionMs.map((m) => (m === null ? 'never' : `${(m / 1000).toFixed(1)} s`)).join(', ')} (measured slope ${(d.measuredSlope / 1e6).toFixed(2)} MB/s; load ${load()})`);
  }
  for (const s of benchScenarios()) {
    console.log(`scenario ${s.name}: onLeak after ${s.firstLeakMs === null ? 'never (20 s)' : `${(s.firstLeakMs / 1000).toFixed(1)} s`}, top suspect ${s.top}`);
  }
})();
