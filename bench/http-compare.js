'use strict';
// HTTP throughput of hello-world servers run as variants of one another
// (without leakguard, with it, with parts of it off), for the benchmarks of
// the timers patch, the listener ledger and the sampler.
//
// How: every variant is its own child process, all started up front and kept
// running; rounds drive each variant in turn with autocannon (loopback,
// bounded duration), in an order that rotates every round, and the result is
// the median over rounds of each variant's ratio to the baseline in the same
// round — load that drifts between rounds moves both sides of a ratio.
// Besides requests per second, each round reads the server's own CPU time
// (process.cpuUsage over IPC, every thread of it: the sampler thread and GC
// threads count) and divides by the requests it served: CPU per request is
// what a saturated server's throughput is the inverse of, and it is far less
// disturbed than req/s when other processes take the server's core for a
// while (a shared machine: rounds of one server varied 20k–67k req/s).
// On a machine with 2+ cores the servers are pinned to the last core and this
// process (the load generator) to the first (`taskset`, when present), so the
// server and autocannon stop competing for one core: the server then gets one
// core, as a Node service's main thread has, and what leakguard costs (its
// wrappers, its sampler thread) is paid inside that core.
//
// compareHttpPaired is the other way round: two servers share one core and
// are loaded at the same time, so their ratio needs no quiet machine (see
// its comment).
//
// Must never: leave a server running (children are killed on exit and on
// error), or report a figure without the rounds it came from.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const autocannon = require('autocannon');

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function hasTaskset() {
  return os.cpus().length >= 2 && spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Starts `source` (a script that listens on 127.0.0.1:0 and sends its port
 * with process.send) in a child: `node ...nodeArgs -e source`.
 */
function startServer({ nodeArgs = [], env = {}, source }, pinned) {
  const last = String(os.cpus().length - 1);
  const argv = [...nodeArgs, '-e', source];
  const [cmd, args] = pinned ? ['taskset', ['-c', last, process.execPath, ...argv]] : [process.execPath, argv];
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    child.once('message', (port) => resolve({ child, url: `http://127.0.0.1:${port}/` }));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
}

/** The server's CPU time so far, µs (user + system, all its threads). */
function serverCpu(server) {
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m && typeof m.cpuMicros === 'number') {
        server.child.removeListener('message', onMessage);
        resolve(m.cpuMicros);
      }
    };
    server.child.on('message', onMessage);
    server.child.send('cpu', (err) => err && reject(err));
  });
}

/** One round against `server`: { reqPerSec, cpuMicrosPerRequest }. */
async function drive(server, seconds, connections) {
  const before = await serverCpu(server);
  const result = await autocannon({ url: server.url, connections, pipelining: 1, duration: seconds });
  const after = await serverCpu(server);
  return { reqPerSec: result.requests.average, cpuMicrosPerRequest: (after - before) / Math.max(1, result.requests.total) };
}

/**
 * Starts the servers of `specs` (pinned when taskset is there, this process
 * then on the first core), calls `fn(servers, pinned)`, and kills them all
 * afterwards, also when the process exits meanwhile.
 */
async function withServers(specs, fn) {
  const pinned = hasTaskset();
  if (pinned) spawnSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });
  const servers = [];
  const stopAll = () => {
    for (const s of servers) s.child.kill();
  };
  process.once('exit', stopAll);
  try {
    for (const spec of specs) servers.push(await startServer(spec, pinned));
    return await fn(servers, pinned);
  } finally {
    stopAll();
    process.removeListener('exit', stopAll);
  }
}

/**
 * Compares `variants` ({ name: { nodeArgs, env, source } }; the first is the
 * baseline; `source` must answer the 'cpu' IPC message as helloServer's does).
 * Returns { pinned, rounds, seconds, rows: [{ variant, medianReqPerSec,
 * ratioPct, cpuMicrosPerRequest, cpuRatioPct, perRound }] }.
 */
async function compareHttp(variants, { rounds = 9, seconds = 3, connections = 50 } = {}) {
  const names = Object.keys(variants);
  return withServers(Object.values(variants), async (list, pinned) => {
    const servers = Object.fromEntries(names.map((name, i) => [name, list[i]]));
    for (const name of names) await drive(servers[name], 1, connections); // warm-up, each hot
    const results = Object.fromEntries(names.map((n) => [n, []]));
    for (let i = 0; i < rounds; i++) {
      const order = names.map((_, k) => names[(k + i) % names.length]);
      for (const name of order) results[name].push(await drive(servers[name], seconds, connections));
    }
    const base = results[names[0]];
    const rows = names.map((name) => ({
      variant: name,
      medianReqPerSec: Math.round(median(results[name].map((x) => x.reqPerSec))),
      ratioPct: Number((median(results[name].map((x, k) => x.reqPerSec / base[k].reqPerSec)) * 100).toFixed(1)),
      cpuMicrosPerRequest: Number(median(results[name].map((x) => x.cpuMicrosPerRequest)).toFixed(2)),
      // Throughput a saturated server would reach, relative to the baseline: the inverse CPU-per-request ratio.
      cpuRatioPct: Number((median(results[name].map((x, k) => base[k].cpuMicrosPerRequest / x.cpuMicrosPerRequest)) * 100).toFixed(1)),
      perRound: results[name].map((x) => Math.round(x.reqPerSec)),
    }));
    return { pinned, rounds, seconds, connections, rows };
  });
}

/**
 * Paired on one core: the baseline and `variant` run at the same time, both
 * pinned to the last core (the load generator, this process, to the first),
 * each driven by its own autocannon for the same seconds. The kernel shares
 * the core between the two servers, so whatever else takes or slows that
 * core (another tenant, frequency) hits both in the same instant, which
 * rounds taken one server after the other cannot give. Per round: the
 * requests each served (equal shares of the core: their ratio is the
 * throughput ratio) and the CPU each used per request. Which load generator
 * starts first alternates by round. `busyPct` is the two servers' CPU over
 * the round's wall time: below ~90% the load generator, not the servers,
 * set the pace, and the ratio reads too close to 100%. The rounds are
 * spread over `lives` fresh pairs of servers, each warmed up anew.
 * Returns { pinned, rounds, seconds, lives, ratioPct, range, cpuRatioPct, busyPct, perRound }.
 */
async function compareHttpPaired(baseline, variant, { rounds = 10, seconds = 3, connections = 25, warmupRounds = 2, lives = 1 } = {}) {
  const ratios = [];
  const cpuRatios = [];
  const busy = [];
  let pinned = false;
  // Each life is a fresh pair of server processes with its own warm-up: how
  // V8 happened to compile a server's hot functions stays with that process
  // for every round it serves, so one pair can sit a few points off for a
  // whole run; several lives average that out.
  for (let life = 0; life < lives; life++) {
    const share = Math.floor(rounds / lives) + (life < rounds % lives ? 1 : 0);
    await withServers([baseline, variant], async (servers, onCore) => {
      pinned = onCore;
      for (let r = -warmupRounds; r < share; r++) {
        const before = await Promise.all(servers.map(serverCpu));
        const started = process.hrtime.bigint();
        const served = [0, 0];
        const order = (r + life) % 2 === 0 ? [0, 1] : [1, 0];
        await Promise.all(
          order.map(async (i) => {
            served[i] = (await autocannon({ url: servers[i].url, connections, pipelining: 1, duration: seconds })).requests.total;
          }),
        );
        const wallMicros = Number(process.hrtime.bigint() - started) / 1000;
        const after = await Promise.all(servers.map(serverCpu));
        if (r < 0) continue; // warm-up: both servers hot before anything counts
        const used = [after[0] - before[0], after[1] - before[1]];
        ratios.push(served[1] / Math.max(1, served[0]));
        cpuRatios.push(used[0] / Math.max(1, served[0]) / (used[1] / Math.max(1, served[1])));
        busy.push((used[0] + used[1]) / wallMicros);
      }
    });
  }
  const pct = (x) => Number((x * 100).toFixed(1));
  return {
    pinned,
    rounds,
    seconds,
    lives,
    ratioPct: pct(median(ratios)),
    range: [pct(Math.min(...ratios)), pct(Math.max(...ratios))],
    cpuRatioPct: pct(median(cpuRatios)),
    busyPct: pct(median(busy)),
    perRound: ratios.map(pct),
  };
}

/**
 * Runs `source` (a helloServer script) with `nodeArgs`, warms it up for 1 s,
 * then drives it for `seconds` under V8's CPU profiler (started and stopped
 * through node:inspector around that window only, so start-up, module loading
 * and the warm-up's first, unoptimised requests are not counted; a sample
 * every 100 µs: at the default 1 ms a 1% share is ~30 samples of a 3 s run,
 * and read ±0.8 points between runs), and attributes the main thread's busy
 * samples: the share whose own frame is in `${root}/lib/` (leakguard's
 * JavaScript), plus the sampler thread's busy time when leakguard's sampler
 * runs in it (report().sampler.overhead), and the throughput that implies
 * without leakguard. An attribution, not an A/B: unlike req/s it does not
 * move when other processes take the core; V8 inlining can move a few
 * samples between a wrapper and the function it wraps, and the GC work
 * leakguard's own allocations cause is counted as GC, not as leakguard.
 */
async function profileHttp({ nodeArgs = [], source, seconds = 6, root }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-prof-'));
  const file = path.join(dir, 'server.cpuprofile');
  const script = `${source}
    {
      const profiler = new (require('node:inspector').Session)();
      profiler.connect();
      const post = (method, params) => new Promise((resolve, reject) => profiler.post(method, params, (err, r) => (err ? reject(err) : resolve(r))));
      process.on('message', async (m) => {
        if (m === 'profile-start') {
          await post('Profiler.enable');
          await post('Profiler.setSamplingInterval', { interval: 100 });
          await post('Profiler.start');
          process.send({ started: true });
        } else if (m === 'profile-stop') {
          const { profile } = await post('Profiler.stop');
          require('node:fs').writeFileSync(${JSON.stringify(file)}, JSON.stringify(profile));
          let overhead = null;
          try { overhead = require(${JSON.stringify(root)}).report().sampler.overhead || null; } catch {}
          process.send({ overhead });
        }
      });
    }`;
  const child = spawn(process.execPath, [...nodeArgs, '-e', script], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('error', reject);
  });
  const reply = (message, key) =>
    new Promise((resolve) => {
      const on = (m) => {
        if (m && key in m) {
          child.off('message', on);
          resolve(m[key]);
        }
      };
      child.on('message', on);
      child.send(message);
    });
  const url = `http://127.0.0.1:${port}/`;
  await autocannon({ url, connections: 50, duration: 1 });
  await reply('profile-start', 'started');
  const result = await autocannon({ url, connections: 50, duration: seconds });
  const overhead = await reply('profile-stop', 'overhead');
  child.disconnect(); // the server exits on disconnect
  await new Promise((resolve) => child.once('exit', resolve));
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.rmSync(dir, { recursive: true, force: true });
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const deltas = profile.timeDeltas;
  let busyUs = 0;
  let ownUs = 0;
  const byFunction = new Map();
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id).callFrame;
    if (frame.functionName === '(idle)') return;
    const us = deltas[i] || 0;
    busyUs += us;
    if (frame.url.startsWith(`file://${root}/lib/`) || frame.url.startsWith(`${root}/lib/`)) {
      ownUs += us;
      const key = `${frame.functionName || '(anonymous)'} ${path.relative(root, frame.url.replace('file://', ''))}:${frame.lineNumber + 1}`;
      byFunction.set(key, (byFunction.get(key) || 0) + us);
    }
  });
  const top = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 6);
  const threadUs = overhead === null ? 0 : overhead.threadBusyMs * 1000;
  return {
    reqPerSec: result.requests.average,
    busyMs: busyUs / 1000,
    ownPct: (ownUs / busyUs) * 100,
    threadPct: (threadUs / (busyUs + threadUs)) * 100,
    // Without leakguard the main thread would spend busy − own per request and
    // no sampler thread would share its core: (busy − own) / (busy + thread).
    impliedThroughputPct: ((busyUs - ownUs) / (busyUs + threadUs)) * 100,
    top: top.map(([k, us]) => `${k} ${((us / busyUs) * 100).toFixed(2)}%`),
  };
}

/**
 * profileHttp over each of `handlers` ({ name: handler source }), `runs`
 * times, served with `prelude` and `nodeArgs`; prints one line per run.
 */
async function printProfiles({ handlers, prelude = '', nodeArgs = [], seconds, runs = 3, root, label }) {
  for (const [name, handler] of Object.entries(handlers)) {
    for (let i = 0; i < runs; i++) {
      const p = await profileHttp({ nodeArgs, source: helloServer(handler, prelude), seconds, root });
      const thread = p.threadPct > 0 ? `, sampler thread ${p.threadPct.toFixed(3)}%` : '';
      console.log(
        `http profile, ${name} (${label}; ${Math.round(p.reqPerSec)} req/s): leakguard's JS ${p.ownPct.toFixed(2)}% of busy samples${thread}; ` +
          `throughput this implies vs without: ${p.impliedThroughputPct.toFixed(1)}% (load ${os.loadavg()[0].toFixed(2)})`,
      );
      if (p.top.length > 0) console.log(`  top: ${p.top.join('; ')}`);
    }
  }
}

/** A hello-world server script; `handler` is the source of a (req, res) function. */
function helloServer(handler = '(req, res) => res.end("hello world")', prelude = '') {
  return `${prelude}
    const http = require('node:http');
    const server = http.createServer(${handler});
    server.listen(0, '127.0.0.1', () => process.send(server.address().port));
    process.on('message', (m) => {
      if (m !== 'cpu') return;
      const u = process.cpuUsage();
      process.send({ cpuMicros: u.user + u.system });
    });
    process.on('disconnect', () => process.exit(0));`;
}

module.exports = { compareHttp, compareHttpPaired, profileHttp, printProfiles, helloServer, withServers };
