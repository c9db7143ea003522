'use strict';
// Timers patch overhead: patched vs native, interleaved rounds in one process,
// medians. Run: node bench/timers.js [--quick]
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

function pairLoop(t, n) {
  const st = t.setTimeout;
  const ct = t.clearTimeout;
  const start = cpuNs();
  for (let i = 0; i < n; i++) ct(st(noop, 1000));
  return (cpuNs() - start) / n;
}

function closureLoop(t, n) {
  const st = t.setTimeout;
  const ct = t.clearTimeout;
  let s = 0;
  const start = cpuNs();
  for (let i = 0; i < n; i++) ct(st(() => { s += i; }, 1000));
  return (cpuNs() - start) / n;
}

// The same with a callback whose source text is long (~300 characters): the
// patched side keys it on a prefix and the length, not the whole text.
function longClosureLoop(t, n) {
  const st = t.setTimeout;
  const ct = t.clearTimeout;
  let s = 0;
  const start = cpuNs();
  for (let i = 0; i < n; i++) {
    ct(
      st(() => {
        // A request-timeout handler of realistic length: it logs, counts and
        // aborts the request it belongs to; none of it runs in this loop.
        if (s < 0) throw new Error(`request ${i} timed out after 1000 ms (closure with a long body)`);
        s += i;
      }, 1000),
    );
  }
  return (cpuNs() - start) / n;
}

function intervalLoop(t, n) {
  const si = t.setInterval;
  const ci = t.clearInterval;
  const start = cpuNs();
  for (let i = 0; i < n; i++) ci(si(noop, 1000));
  return (cpuNs() - start) / n;
}

function firingBatch(t, n) {
  return new Promise((resolve) => {
    let left = n;
    const done = () => {
      if (--left === 0) resolve((cpuNs() - start) / n);
    };
    const st = t.setTimeout;
    const start = cpuNs();
    for (let i = 0; i < n; i++) st(done, 1);
  });
}

async function micro(rounds) {
  const cases = [
    ['setTimeout+clearTimeout pair (same callback)', (t) => pairLoop(t, 200_000)],
    ['setTimeout+clearTimeout pair (fresh closure each call)', (t) => closureLoop(t, quick ? 5_000 : 20_000)],
    ['setTimeout+clearTimeout pair (fresh closure, ~300-char source)', (t) => longClosureLoop(t, quick ? 5_000 : 20_000)],
    ['setInterval+clearInterval pair', (t) => intervalLoop(t, 200_000)],
    ['firing setTimeout (batches of 20 000)', (t) => firingBatch(t, 20_000)],
  ];
  const rows = [];
  const only = process.argv.indexOf('--case');
  for (const [name, run] of cases) {
    if (only !== -1 && !name.includes(process.argv[only + 1])) continue;
    const r = { native: [], patched: [] };
    await run(native); // warm-up both
    await run(patched);
    for (let i = 0; i < rounds; i++) {
      // alternate which goes first
      const order = i % 2 === 0 ? ['native', 'patched'] : ['patched', 'native'];
      for (const which of order) r[which].push(await run(which === 'native' ? native : patched));
    }
    const n = median(r.native);
    const p = median(r.patched);
    // Ratio within each round, then the median: robust to load that drifts between rounds.
    const paired = median(r.patched.map((x, k) => x / r.native[k]));
    rows.push({
      case: name,
      nativeNs: n.toFixed(0),
      patchedNs: p.toFixed(0),
      overhead: `${(((p - n) / n) * 100).toFixed(1)}%`,
      pairedOverhead: `${((paired - 1) * 100).toFixed(1)}%`,
    });
  }
  return rows;
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
if (serverMode !== -1) serve(process.argv[serverMode + 1]);
else main();

async function main() {
  console.log(`node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.table(await micro(quick ? 5 : 11));
  if (!process.argv.includes('--no-http')) {
    const h = await httpRounds(quick ? 2 : 9, quick ? 2 : 3);
    console.log('http hello-world, autocannon 50 connections, req/s median:', h);
  }
  console.log(`load after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}
