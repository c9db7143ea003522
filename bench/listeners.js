'use strict';
// Listener ledger overhead: tracked vs untracked, interleaved rounds in one
// process, medians. Run: node bench/listeners.js [--quick] [--no-http]
//   - on+off pair with one stable listener function
//   - on+off pair with a fresh closure per pair (the per-request pattern)
//   - once + emit
//   - addEventListener + removeEventListener on an EventTarget
//   - HTTP hello-world on 127.0.0.1, autocannon (programmatic, bounded)
// Figures vary with machine load: record `uptime` beside them.

const EventEmitter = require('node:events');
const http = require('node:http');
const os = require('node:os');
const { trackListeners, untrackListeners, listeners } = require('../lib/listeners');

const quick = process.argv.includes('--quick');
const noHttp = process.argv.includes('--no-http');
const ROUNDS = quick ? 5 : 11;
const N = quick ? 200_000 : 1_000_000;
const SAMPLE = Number(process.env.SAMPLE_EVERY || 1024);

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
  'addEventListener+removeEventListener': (n) => {
    const et = new EventTarget();
    for (let i = 0; i < n / 4; i++) {
      et.addEventListener('data', stable);
      et.removeEventListener('data', stable);
    }
  },
};

function timeCase(fn, n) {
  const t0 = process.hrtime.bigint();
  fn(n);
  return Number(process.hrtime.bigint() - t0) / n;
}

function micro() {
  const results = {};
  for (const name of Object.keys(cases)) results[name] = { untracked: [], tracked: [] };
  // Warm both variants so neither pays first-run JIT costs inside a round.
  for (const fn of Object.values(cases)) fn(N / 10);
  trackListeners();
  for (const fn of Object.values(cases)) fn(N / 10);
  untrackListeners();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, fn] of Object.entries(cases)) {
      const order = r % 2 === 0 ? ['untracked', 'tracked'] : ['tracked', 'untracked'];
      for (const mode of order) {
        if (mode === 'tracked') trackListeners({ sampleEvery: SAMPLE });
        const scale = name.startsWith('addEventListener') ? 4 : 1;
        results[name][mode].push(timeCase(fn, N) * scale);
        if (mode === 'tracked') untrackListeners();
      }
    }
  }
  const rows = [];
  for (const [name, r] of Object.entries(results)) {
    const u = median(r.untracked);
    const t = median(r.tracked);
    rows.push({ case: name, untracked_ns: u.toFixed(1), tracked_ns: t.toFixed(1), overhead: `${((t / u - 1) * 100).toFixed(0)}%` });
  }
  return rows;
}

// The server runs in a child process (tracked or not on command) so that the
// load generator's own sockets and listeners are never tracked.
function serveChild() {
  const server = http.createServer((req, res) => res.end('hello world'));
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', (msg) => {
    if (msg === 'track') trackListeners({ sampleEvery: SAMPLE });
    else if (msg === 'untrack') untrackListeners();
    else if (msg === 'sites') {
      const sites = listeners();
      process.send({ sites: sites.length, captures: undefined });
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

async function httpBench() {
  const autocannon = require('autocannon');
  const { fork } = require('node:child_process');
  const child = fork(__filename, ['--server'], { stdio: 'inherit' });
  const { port } = await new Promise((resolve) => child.once('message', resolve));
  const duration = quick ? 2 : 5;
  const rounds = quick ? 3 : 6;
  const run = async () =>
    (await autocannon({ url: `http://127.0.0.1:${port}/`, connections: 10, duration, pipelining: 1 })).requests.average;
  const out = { untracked: [], tracked: [] };
  await run(); // warm-up
  let sites = 0;
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ['untracked', 'tracked'] : ['tracked', 'untracked'];
    for (const mode of order) {
      if (mode === 'tracked') await ask(child, 'track');
      out[mode].push(await run());
      if (mode === 'tracked') {
        sites = (await ask(child, 'sites')).sites;
        await ask(child, 'untrack');
      }
    }
  }
  child.send('exit');
  const u = median(out.untracked);
  const t = median(out.tracked);
  return {
    case: `HTTP hello world (server in a child), autocannon 10 conns x ${duration}s x ${rounds} rounds`,
    untracked_rps: u.toFixed(0),
    tracked_rps: t.toFixed(0),
    ratio: `${((t / u) * 100).toFixed(1)}%`,
    sites,
  };
}

async function main() {
  console.log(`node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.table(micro());
  if (!noHttp) console.table([await httpBench()]);
  console.log(`load after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

if (process.argv.includes('--server')) {
  serveChild();
} else {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
