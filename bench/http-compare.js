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
// On a machine with 2+ cores the servers are pinned to the last core and this
// process (the load generator) to the first (`taskset`, when present), so the
// server and autocannon stop competing for one core: the server then gets one
// core, as a Node service's main thread has, and what leakguard costs (its
// wrappers, its sampler thread) is paid inside that core.
//
// Must never: leave a server running (children are killed on exit and on
// error), or report a figure without the rounds it came from.

const os = require('node:os');
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

async function drive(url, seconds, connections) {
  const result = await autocannon({ url, connections, pipelining: 1, duration: seconds });
  return result.requests.average;
}

/**
 * Compares `variants` ({ name: { nodeArgs, env, source } }; the first is the
 * baseline). Returns { pinned, rounds, seconds, rows: [{ variant, medianReqPerSec,
 * ratioPct, perRound }] }.
 */
async function compareHttp(variants, { rounds = 9, seconds = 3, connections = 50 } = {}) {
  const pinned = hasTaskset();
  if (pinned) spawnSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });
  const names = Object.keys(variants);
  const servers = {};
  const stopAll = () => {
    for (const s of Object.values(servers)) s.child.kill();
  };
  process.once('exit', stopAll);
  try {
    for (const name of names) servers[name] = await startServer(variants[name], pinned);
    for (const name of names) await drive(servers[name].url, 1, connections); // warm-up, each hot
    const results = Object.fromEntries(names.map((n) => [n, []]));
    for (let i = 0; i < rounds; i++) {
      const order = names.map((_, k) => names[(k + i) % names.length]);
      for (const name of order) results[name].push(await drive(servers[name].url, seconds, connections));
    }
    const base = results[names[0]];
    const rows = names.map((name) => ({
      variant: name,
      medianReqPerSec: Math.round(median(results[name])),
      ratioPct: Number((median(results[name].map((x, k) => x / base[k])) * 100).toFixed(1)),
      perRound: results[name].map(Math.round),
    }));
    return { pinned, rounds, seconds, connections, rows };
  } finally {
    stopAll();
    process.removeListener('exit', stopAll);
  }
}

/** A hello-world server script; `handler` is the source of a (req, res) function. */
function helloServer(handler = '(req, res) => res.end("hello world")', prelude = '') {
  return `${prelude}
    const http = require('node:http');
    const server = http.createServer(${handler});
    server.listen(0, '127.0.0.1', () => process.send(server.address().port));
    process.on('disconnect', () => process.exit(0));`;
}

module.exports = { compareHttp, helloServer };
