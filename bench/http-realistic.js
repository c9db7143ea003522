'use strict';
// What leakguard costs a service, measured as the service feels it: plain
// throughput of an HTTP server with and without `-r leakguard/register`
// (everything on), on two handlers:
//
//   hello      res.end('hello world')
//   realistic  what services do per request: arms a deadline setTimeout that
//              is cleared when the response closes, subscribes a listener to
//              an app-wide emitter and removes it on close (plus the
//              listeners Node's own http server adds per socket/request)
//
// Three methods:
//   (default)        paired on one core: bare and one variant run at the
//                    same time, both pinned to one core and loaded by their
//                    own autocannon from the other (compareHttpPaired in
//                    bench/http-compare.js); the kernel shares the core, so
//                    machine drift hits both in the same instant. Median of
//                    per-round ratios over --rounds, their range, and a bare
//                    server paired with another bare one (A/A: what the
//                    method reads when nothing differs). --parts adds each
//                    part of leakguard on its own, and the floor of wrapping
//                    EventEmitter's methods at all (bench/wrap-floor.js);
//                    --variants picks some of them by name.
//   --alternating    A/B throughput: the servers run side by side, rounds
//                    alternate between them (order rotating), the server
//                    pinned to one core and the load generator to the other
//                    (bench/http-compare.js); median ratio and spread over
//                    rounds. Garbage collection leakguard causes is inside
//                    these figures, as are inlined wrappers. A second bare
//                    server measured the same way (A/A) shows how far the
//                    method reads from 100% when nothing differs.
//   --instructions   instructions per request of the whole server process
//                    (every thread: JS, GC, leakguard's sampler thread) under
//                    valgrind's callgrind, over a fixed number of requests:
//                    the slope between a short and a long run, so start-up
//                    cancels out. Deterministic where wall time is not.
//
// Run: node bench/http-realistic.js [--rounds N] [--seconds S] [--handler hello|realistic] [--parts | --variants a,b]
//      node bench/http-realistic.js --alternating [--rounds N] [--seconds S] [--handler hello|realistic]
//      node bench/http-realistic.js --instructions [--handler hello|realistic]   (needs valgrind)
//
// Must never: leave a server running (children are killed on exit), or send
// traffic anywhere but 127.0.0.1.

const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { spawn } = require('node:child_process');
const { compareHttp, compareHttpPaired, helloServer } = require('./http-compare');

const ROOT = path.resolve(__dirname, '..');
const REGISTER = path.join(ROOT, 'register.js');

const PRELUDE = `
  const { EventEmitter } = require('node:events');
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
`;

const HANDLERS = {
  hello: `(req, res) => res.end('hello world')`,
  realistic: `(req, res) => {
    const deadline = setTimeout(() => { res.statusCode = 503; res.end(); }, 30000);
    const onConfig = () => {};
    bus.on('config', onConfig);
    res.on('close', () => {
      clearTimeout(deadline);
      bus.off('config', onConfig);
    });
    res.setHeader('content-type', 'text/plain');
    res.end('hello world');
  }`,
};

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
}

const spread = (xs) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;

async function throughput(handlers, rounds, seconds) {
  console.log(`node ${process.version}, ${os.cpus().length} cpus; A/B throughput, ${rounds} rounds of ${seconds} s, 50 connections`);
  const rows = [];
  for (const name of handlers) {
    const source = helloServer(HANDLERS[name], PRELUDE);
    const result = await compareHttp(
      {
        bare: { source },
        // A second bare server, measured like the guarded one: what the
        // method reads when nothing differs (an A/A control).
        'bare again': { source },
        guarded: { nodeArgs: ['-r', REGISTER], env: { LEAKGUARD_QUIET: '1' }, source },
      },
      { rounds, seconds, connections: 50 },
    );
    const [bare, again, guarded] = result.rows;
    const ratios = guarded.perRound.map((r, k) => (r / bare.perRound[k]) * 100);
    rows.push({
      handler: name,
      pinned: result.pinned,
      'bare req/s': bare.medianReqPerSec,
      'guarded req/s': guarded.medianReqPerSec,
      'guarded/bare % (median)': guarded.ratioPct,
      'spread %': spread(ratios),
      'cpu/req ratio %': guarded.cpuRatioPct,
      'A/A: bare again/bare %': again.ratioPct,
      'A/A cpu/req ratio %': again.cpuRatioPct,
    });
    console.log(JSON.stringify(rows[rows.length - 1]));
  }
  console.table(rows);
}

// What each paired run sets against bare: the server spec for a handler's
// source (everything on, then each part of leakguard alone through
// register's environment variables).
const OFF = { LEAKGUARD_TIMERS: '0', LEAKGUARD_LISTENERS: '0', LEAKGUARD_ALLOCATIONS: '0' };
const guardedBy = (env) => (source) => ({ nodeArgs: ['-r', REGISTER], env: { LEAKGUARD_QUIET: '1', ...env }, source });
const PAIRED = {
  'bare again (A/A)': (source) => ({ source }),
  'everything on': guardedBy({}),
  'sampler only': guardedBy(OFF),
  'timers patch': guardedBy({ ...OFF, LEAKGUARD_TIMERS: '1' }),
  'listener ledger': guardedBy({ ...OFF, LEAKGUARD_LISTENERS: '1' }),
  'allocation sampling': guardedBy({ ...OFF, LEAKGUARD_ALLOCATIONS: '1' }),
  // No leakguard: the six EventEmitter methods the ledger wraps, wrapped by
  // functions that only call the original (bench/wrap-floor.js).
  'wrappers only (floor)': (source) => ({ nodeArgs: ['-r', path.join(__dirname, 'wrap-floor.js')], source }),
};

async function paired(handlers, variants, rounds, seconds) {
  for (const v of variants) if (!(v in PAIRED)) throw new Error(`unknown variant ${JSON.stringify(v)}; one of: ${Object.keys(PAIRED).join(', ')}`);
  console.log(`node ${process.version}, ${os.cpus().length} cpus; paired on one core, ${rounds} rounds of ${seconds} s (+2 warm-up), 25 connections per server`);
  const rows = [];
  for (const name of handlers) {
    const source = helloServer(HANDLERS[name], PRELUDE);
    for (const variant of variants) {
      const r = await compareHttpPaired({ source }, PAIRED[variant](source), { rounds, seconds });
      rows.push({
        handler: name,
        variant,
        pinned: r.pinned,
        'variant/bare % (median)': r.ratioPct,
        'range %': `${r.range[0].toFixed(1)}–${r.range[1].toFixed(1)}`,
        'cpu/req ratio %': r.cpuRatioPct,
        'server core busy %': r.busyPct,
      });
      console.log(JSON.stringify(rows[rows.length - 1]));
    }
  }
  console.table(rows);
}

/** Sends `count` GET requests to `port`, `concurrency` at a time, over keep-alive. */
function load(port, count, concurrency = 1) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let sent = 0;
  let done = 0;
  return new Promise((resolve, reject) => {
    const next = () => {
      if (sent === count) return;
      sent++;
      http
        .get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', () => {
            done++;
            if (done === count) {
              agent.destroy();
              resolve();
            } else next();
          });
        })
        .on('error', reject);
    };
    for (let i = 0; i < concurrency; i++) next();
  });
}

// Guarded variants for --instructions. Under callgrind a request takes ~50x
// its normal wall time, so work leakguard does per second (the sampler tick)
// is charged ~50x too per request; `guarded, slow tick` runs the sampler at
// its longest interval to show the per-request cost alone, and the two parts
// (timers, listeners) are shown apart.
const GUARDED = {
  guarded: {},
  'guarded, slow tick': { LEAKGUARD_INTERVAL_MS: '600000' },
  'timers only': { LEAKGUARD_LISTENERS: '0', LEAKGUARD_ALLOCATIONS: '0', LEAKGUARD_INTERVAL_MS: '600000' },
  'listeners only': { LEAKGUARD_TIMERS: '0', LEAKGUARD_ALLOCATIONS: '0', LEAKGUARD_INTERVAL_MS: '600000' },
};

/** Instructions of a whole server process that served `count` requests; env = null: bare. */
function collected(name, env, count) {
  const source = `${PRELUDE}
    const http = require('node:http');
    const server = http.createServer(${HANDLERS[name]});
    server.listen(0, '127.0.0.1', () => console.log('PORT ' + server.address().port));
    process.stdin.on('data', () => server.close(() => process.exit(0)));`;
  const nodeArgs = env === null ? [] : ['-r', REGISTER];
  const args = ['--tool=callgrind', '--smc-check=all-non-file', '--callgrind-out-file=/dev/null', process.execPath, ...nodeArgs, '-e', source];
  const child = spawn('valgrind', args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env, LEAKGUARD_QUIET: '1' } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', async (d) => {
      if (out === null) return;
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m === null) return;
      out = null;
      try {
        await load(Number(m[1]), count);
        child.stdin.end('stop\n');
        await exited;
        const c = /Collected : (\d+)/.exec(stderr);
        if (c === null) reject(new Error(`callgrind printed no total: ${stderr.slice(-400)}`));
        else resolve(Number(c[1]));
      } catch (err) {
        child.kill('SIGKILL');
        reject(err);
      }
    });
    child.once('error', reject);
  });
}

async function instructions(handlers) {
  const SMALL = Number(arg('--small', 500));
  const LARGE = Number(arg('--large', 2500));
  console.log(`node ${process.version}; instructions per request under callgrind, slope ${SMALL}→${LARGE} requests, one keep-alive connection (requests in sequence: the same work per request whatever the timing)`);
  const rows = [];
  for (const name of handlers) {
    const perRequest = async (env) => {
      const a = await collected(name, env, SMALL);
      const b = await collected(name, env, LARGE);
      return (b - a) / (LARGE - SMALL);
    };
    const bare = await perRequest(null);
    rows.push({ handler: name, variant: 'bare', 'instr/req': Math.round(bare), 'overhead %': 0 });
    for (const [variant, env] of Object.entries(GUARDED)) {
      const n = await perRequest(env);
      rows.push({ handler: name, variant, 'instr/req': Math.round(n), 'overhead %': Number(((n / bare - 1) * 100).toFixed(1)) });
      console.log(JSON.stringify(rows[rows.length - 1]));
    }
  }
  console.table(rows);
}

async function main() {
  const only = arg('--handler', null);
  const handlers = Object.keys(HANDLERS).filter((h) => only === null || h === only);
  if (process.argv.includes('--instructions')) await instructions(handlers);
  else if (process.argv.includes('--alternating')) await throughput(handlers, Number(arg('--rounds', 8)), Number(arg('--seconds', 3)));
  else {
    const chosen = arg('--variants', null);
    const variants = chosen !== null ? chosen.split(',') : process.argv.includes('--parts') ? Object.keys(PAIRED) : ['bare again (A/A)', 'everything on'];
    await paired(handlers, variants, Number(arg('--rounds', 10)), Number(arg('--seconds', 3)));
  }
}

main().catch((err) => {
  console.error(err.stack || err.message);
  process.exitCode = 1;
});
