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
//   listeners  a listener-heavy request (an express-style handler): listens
//              for `finish` and `close` on the response, gives a downstream
//              call an AbortSignal with an `abort` listener, arms a deadline
//              timer, subscribes to two app-wide emitters (one with `once`);
//              all removed when the response closes
//
// Three methods:
//   (default)        paired on one core: bare and one variant run at the
//                    same time, both pinned to one core and loaded by their
//                    own autocannon from the other (compareHttpPaired in
//                    bench/http-compare.js); the kernel shares the core, so
//                    machine drift hits both in the same instant. Median of
//                    per-round ratios over --rounds, their range, and a bare
//                    server paired with another bare one (A/A: what the
//                    method reads when nothing differs). The rounds are
//                    spread over --lives fresh pairs of server processes
//                    (default 3), since how V8 compiled one process's hot
//                    code stays with it for every round. --parts adds each
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
//                    (every thread: JS, GC, JIT, leakguard's sampler thread)
//                    under valgrind's callgrind, counted over a window of
//                    requests (--window) that starts once --warm requests
//                    have been served, so start-up and tiering up are left
//                    out, with a fixed young-generation size in every
//                    variant (see windowed()). Far less noisy than wall
//                    time; a second bare server (A/A) shows how far it reads
//                    from 0 when nothing differs. --attribute also prints,
//                    per variant, the functions whose instructions per
//                    request differ most from bare (JavaScript named through
//                    node --perf-basic-prof).
//   --perf           where the time goes, per request: bare and each variant
//                    run paired on one core as in the default method, with
//                    `perf record` (software cpu-clock, every process on that
//                    core) over --seconds of load; each server's samples by
//                    function are divided by the requests it served. Prints
//                    the variant's total against bare and the functions that
//                    gained or lost the most, in samples per 1 000 requests
//                    (one sample = 0.5 ms of the core). Needs perf; as root
//                    or with perf_event_paranoid ≤ 0 for a whole core.
//
// Run: node bench/http-realistic.js [--rounds N] [--seconds S] [--handler hello|realistic|listeners] [--parts | --variants a,b]
//      node bench/http-realistic.js --alternating [--rounds N] [--seconds S] [--handler hello|realistic|listeners]
//      node bench/http-realistic.js --instructions [--handler hello|realistic|listeners] [--variants a,b] [--warm N] [--window N] [--attribute]   (needs valgrind)
//      node bench/http-realistic.js --perf [--handler hello|realistic|listeners] --variants a,b [--seconds S] [--top N]   (needs perf)
//
// Must never: leave a server running (children are killed on exit), or send
// traffic anywhere but 127.0.0.1.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { spawn, execFileSync } = require('node:child_process');
const autocannon = require('autocannon');
const { compareHttp, compareHttpPaired, helloServer, withServers } = require('./http-compare');

const ROOT = path.resolve(__dirname, '..');
const REGISTER = path.join(ROOT, 'register.js');
const WRAP_FLOOR = path.join(__dirname, 'wrap-floor.js');
// Sets the ledger's internal settings before register starts it (see the file).
const LEDGER_INTERNALS = path.join(__dirname, 'ledger-internals.js');

const PRELUDE = `
  const { EventEmitter } = require('node:events');
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const lifecycle = new EventEmitter();
  lifecycle.setMaxListeners(0);
  // A downstream call that takes a signal (as fetch or a database driver
  // does): it only checks it here, so the request's work stays the same.
  const downstream = (signal) => {
    signal.throwIfAborted();
    return 'hello world';
  };
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
  listeners: `(req, res) => {
    const controller = new AbortController();
    const onAbort = () => {};
    controller.signal.addEventListener('abort', onAbort);
    const deadline = setTimeout(() => controller.abort(), 30000);
    const onConfig = () => {};
    const onShutdown = () => res.destroy();
    bus.on('config', onConfig);
    lifecycle.once('shutdown', onShutdown);
    const onFinish = () => {};
    res.on('finish', onFinish);
    res.on('close', () => {
      clearTimeout(deadline);
      controller.signal.removeEventListener('abort', onAbort);
      bus.off('config', onConfig);
      lifecycle.off('shutdown', onShutdown);
      res.off('finish', onFinish);
    });
    const body = downstream(controller.signal);
    res.setHeader('content-type', 'text/plain');
    res.end(body);
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
const ledgerWith = (settings) => (source) => ({
  nodeArgs: ['-r', LEDGER_INTERNALS, '-r', REGISTER],
  env: { LEAKGUARD_QUIET: '1', ...OFF, LEAKGUARD_LISTENERS: '1', LEAKGUARD_BENCH_LEDGER: settings },
  source,
});
const PAIRED = {
  'bare again (A/A)': (source) => ({ source }),
  'everything on': guardedBy({}),
  // The same with the listener ledger's exact books (LEAKGUARD_LISTENERS=exact).
  'everything on (exact ledger)': guardedBy({ LEAKGUARD_LISTENERS: 'exact' }),
  'sampler only': guardedBy(OFF),
  'timers patch': guardedBy({ ...OFF, LEAKGUARD_TIMERS: '1' }),
  'listener ledger': guardedBy({ ...OFF, LEAKGUARD_LISTENERS: '1' }),
  'listener ledger (exact)': guardedBy({ ...OFF, LEAKGUARD_LISTENERS: 'exact' }),
  // Everything but the listener ledger (LEAKGUARD_LISTENERS=0).
  'all but the ledger': guardedBy({ LEAKGUARD_LISTENERS: '0' }),
  'allocation sampling': guardedBy({ ...OFF, LEAKGUARD_ALLOCATIONS: '1' }),
  // The sampled ledger taken apart (bench/ledger-internals.js): without the
  // per-second exact budget (one add in 16 booked), and with no add ever
  // booked (the wrappers, the draw's countdown and a removal's function check).
  'listener ledger (no exact budget)': ledgerWith('{"exactPerTick":0}'),
  'listener ledger (nothing booked)': ledgerWith('{"exactPerTick":0,"every":1000000000}'),
  // Fewer adds booked than the default one in 16: whether booking's cost
  // follows how many adds are booked.
  'listener ledger (one add in 64)': ledgerWith('{"exactPerTick":0,"every":64}'),
  'listener ledger (one add in 256)': ledgerWith('{"exactPerTick":0,"every":256}'),
  // No leakguard: the six EventEmitter methods the ledger wraps, wrapped by
  // functions that only call the original (bench/wrap-floor.js).
  'wrappers only (floor)': (source) => ({ nodeArgs: ['-r', WRAP_FLOOR], source }),
  // The same wrappers, each also doing the lookups an exact ledger needs (a
  // WeakMap per add, a private field per removal) and nothing else.
  'wrappers + lookups (floor)': (source) => ({ nodeArgs: ['-r', WRAP_FLOOR], env: { LEAKGUARD_FLOOR: 'lookups' }, source }),
};

async function paired(handlers, variants, rounds, seconds, lives) {
  for (const v of variants) if (!(v in PAIRED)) throw new Error(`unknown variant ${JSON.stringify(v)}; one of: ${Object.keys(PAIRED).join(', ')}`);
  console.log(`node ${process.version}, ${os.cpus().length} cpus; paired on one core, ${rounds} rounds of ${seconds} s over ${lives} fresh pairs of servers (+2 warm-up rounds each), 25 connections per server`);
  const rows = [];
  for (const name of handlers) {
    const source = helloServer(HANDLERS[name], PRELUDE);
    for (const variant of variants) {
      const r = await compareHttpPaired({ source }, PAIRED[variant](source), { rounds, seconds, lives });
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

/** Sends `count` GET requests to `port` over `agent` (keep-alive), one at a time. */
function load(port, count, agent) {
  let done = 0;
  return new Promise((resolve, reject) => {
    const next = () => {
      http
        .get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', () => {
            if (++done === count) resolve();
            else next();
          });
        })
        .on('error', reject);
    };
    next();
  });
}

// Variants for --instructions. Under callgrind a request takes tens of times
// its normal wall time, so work leakguard does per second (the sampler tick,
// the ledger's clock) would be charged tens of times over per request: the
// guarded variants run the sampler at its longest interval, and the parts
// are shown apart.
const GUARDED = {
  'bare again (A/A)': null,
  guarded: { LEAKGUARD_INTERVAL_MS: '600000' },
  // Under callgrind a second holds few requests, so the sampled ledger's
  // per-second exact budget (the first 1 000 adds of each second) books a
  // share of the adds it never reaches in a real server; these variants set
  // it to 0, counting the steady per-request cost (the budget is a fixed
  // cost per second, not per request). Bench-only setting (ledger-internals.js).
  'guarded (no exact budget)': { preload: [LEDGER_INTERNALS, REGISTER], LEAKGUARD_BENCH_LEDGER: '{"exactPerTick":0}', LEAKGUARD_INTERVAL_MS: '600000' },
  'guarded (exact ledger)': { LEAKGUARD_LISTENERS: 'exact', LEAKGUARD_INTERVAL_MS: '600000' },
  'timers only': { LEAKGUARD_LISTENERS: '0', LEAKGUARD_ALLOCATIONS: '0', LEAKGUARD_INTERVAL_MS: '600000' },
  'listeners only': { LEAKGUARD_TIMERS: '0', LEAKGUARD_ALLOCATIONS: '0', LEAKGUARD_INTERVAL_MS: '600000' },
  'listeners only (no exact budget)': {
    preload: [LEDGER_INTERNALS, REGISTER],
    LEAKGUARD_BENCH_LEDGER: '{"exactPerTick":0}',
    LEAKGUARD_TIMERS: '0',
    LEAKGUARD_ALLOCATIONS: '0',
    LEAKGUARD_INTERVAL_MS: '600000',
  },
  'listeners only (nothing booked)': {
    preload: [LEDGER_INTERNALS, REGISTER],
    LEAKGUARD_BENCH_LEDGER: '{"exactPerTick":0,"every":1000000000}',
    LEAKGUARD_TIMERS: '0',
    LEAKGUARD_ALLOCATIONS: '0',
    LEAKGUARD_INTERVAL_MS: '600000',
  },
  'listeners only (exact)': { LEAKGUARD_LISTENERS: 'exact', LEAKGUARD_TIMERS: '0', LEAKGUARD_ALLOCATIONS: '0', LEAKGUARD_INTERVAL_MS: '600000' },
  'all but the ledger': { LEAKGUARD_LISTENERS: '0', LEAKGUARD_INTERVAL_MS: '600000' },
  'sampler only': { LEAKGUARD_TIMERS: '0', LEAKGUARD_LISTENERS: '0', LEAKGUARD_ALLOCATIONS: '0', LEAKGUARD_INTERVAL_MS: '600000' },
  // No leakguard: bench/wrap-floor.js (see PAIRED).
  'wrappers only (floor)': { preload: WRAP_FLOOR },
  'wrappers + lookups (floor)': { preload: WRAP_FLOOR, LEAKGUARD_FLOOR: 'lookups' },
};

/**
 * Instructions per request of a whole server process (every thread: JS, GC,
 * JIT, leakguard's sampler thread) in a window of `window` requests, counted
 * only once `warm` requests have been served, so that start-up and tiering
 * up are outside the count; env = null: bare. Returns { perRequest,
 * byFunction } (byFunction: see byFunction(), null unless `attribute`).
 */
function windowed(name, env, warm, window, attribute = false) {
  const source = `${PRELUDE}
    const http = require('node:http');
    const server = http.createServer(${HANDLERS[name]});
    server.listen(0, '127.0.0.1', () => console.log('PORT ' + server.address().port));
    process.stdin.on('data', () => server.close(() => process.exit(0)));`;
  // V8 sizes the young generation from how much survives a scavenge, and
  // leakguard's own objects change that: with the default sizing a guarded
  // server can run fewer scavenges per request than bare and read below it.
  // A fixed size makes scavenges follow what is allocated, in every variant.
  const preload = env === null ? null : (env.preload ?? REGISTER);
  const preloads = preload === null ? [] : Array.isArray(preload) ? preload : [preload];
  const nodeArgs = ['--min-semi-space-size=16', '--max-semi-space-size=16', ...(attribute ? ['--perf-basic-prof'] : []), ...preloads.flatMap((p) => ['-r', p])];
  const outFile = attribute ? path.join(os.tmpdir(), `leakguard-callgrind-${process.pid}-${Date.now()}.out`) : '/dev/null';
  const args = ['--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', `--callgrind-out-file=${outFile}`, process.execPath, ...nodeArgs, '-e', source];
  const vars = { ...env };
  delete vars.preload;
  // --perf-basic-prof also has V8 write an isolate-*-v8.log into the working
  // directory: the server runs in a temporary one, removed when it exits.
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-instructions-'));
  const child = spawn('valgrind', args, { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...vars, LEAKGUARD_QUIET: '1' } });
  child.once('exit', () => fs.rmSync(cwd, { recursive: true, force: true }));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const control = (on) => execFileSync('callgrind_control', ['-i', on ? 'on' : 'off', String(child.pid)], { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', async (d) => {
      if (out === null) return;
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m === null) return;
      out = null;
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        await load(Number(m[1]), warm, agent);
        control(true);
        await load(Number(m[1]), window, agent);
        control(false);
        agent.destroy();
        child.stdin.end('stop\n');
        await exited;
        const c = /Collected : (\d+)/.exec(stderr);
        if (c === null) reject(new Error(`callgrind printed no total: ${stderr.slice(-400)}`));
        else resolve({ perRequest: Number(c[1]) / window, byFunction: attribute ? byFunction(outFile, child.pid, window) : null });
      } catch (err) {
        child.kill('SIGKILL');
        reject(err);
      }
    });
    child.once('error', reject);
  });
}

/**
 * Instructions per request by function, from a callgrind output file: V8's
 * compiled JavaScript has no symbols, so its addresses are named from the
 * perf map `node --perf-basic-prof` wrote (/tmp/perf-<pid>.map). Both files
 * are removed.
 */
function byFunction(outFile, pid, window) {
  const mapFile = `/tmp/perf-${pid}.map`;
  const ranges = [];
  for (const line of fs.readFileSync(mapFile, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (m !== null) ranges.push([parseInt(m[1], 16), parseInt(m[2], 16), m[3].replace(/^JS:[*~^]?/, '')]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const nameAt = (addr) => {
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (ranges[mid][0] <= addr) lo = mid + 1;
      else hi = mid - 1;
    }
    const r = ranges[hi];
    return r !== undefined && addr < r[0] + r[1] ? r[2] : '(compiled code, unnamed)';
  };
  const text = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', outFile], { maxBuffer: 1 << 28 }).toString();
  const out = new Map();
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+) \([^)]*\)\s+(.*)$/.exec(line);
    if (m === null || m[2].includes('PROGRAM TOTALS')) continue;
    const jit = /^\?\?\?:0x([0-9a-f]+)/.exec(m[2]);
    const name = jit !== null ? nameAt(parseInt(jit[1], 16)) : m[2].replace(/ \[[^\]]*\]$/, '');
    out.set(name, (out.get(name) ?? 0) + Number(m[1].replace(/,/g, '')) / window);
  }
  fs.rmSync(outFile, { force: true });
  fs.rmSync(mapFile, { force: true });
  return out;
}

const GC_FUNCTION = /v8::internal::(?:[A-Za-z]*(?:Marking|Marker|Sweep|Scaveng|Evacuat|Compactor|MarkCompact|Visitor|BodyDescriptor|RememberedSet|SlotSet|TypedSlot)|Heap::|MemoryChunk|Page::|HeapObject::SizeFromMap|GlobalHandles|MemoryAllocator|PagedSpace|NewSpace|SemiSpace|LargeObjectSpace|FreeList)|cppgc::|std::__detail::_Map_base<v8::internal::MemoryChunk/;

/** Prints the functions whose instructions per request differ most between `bare` and `variant` (Maps from byFunction). */
function printAttribution(label, bare, variant, top = 25) {
  const names = new Set([...bare.keys(), ...variant.keys()]);
  const rows = [...names].map((name) => ({ name, added: (variant.get(name) ?? 0) - (bare.get(name) ?? 0), variant: variant.get(name) ?? 0 }));
  rows.sort((a, b) => b.added - a.added);
  // A function optimised inside the window (a one-off: V8 compiling late, or
  // after a deoptimisation) is charged to every request of the window.
  const compiling = (m) => [...m].reduce((sum, [name, n]) => (name.includes('v8::internal::compiler::') ? sum + n : sum), 0);
  // The garbage collector's own functions (marking, sweeping, evacuating,
  // scavenging): whether a major GC falls inside a short window swings the
  // total by thousands per request, so the rest is printed apart as well.
  const collecting = (m) => [...m].reduce((sum, [name, n]) => (GC_FUNCTION.test(name) ? sum + n : sum), 0);
  const total = (m) => [...m.values()].reduce((a, b) => a + b, 0);
  const rest = (m) => total(m) - compiling(m) - collecting(m);
  console.log(`${label}: instructions per request by function, variant minus bare (largest ${top} each way; inlining moves work between functions)`);
  console.log(`  in V8's optimising compiler: ${compiling(variant).toFixed(0)} (variant), ${compiling(bare).toFixed(0)} (bare)`);
  console.log(`  in the garbage collector: ${collecting(variant).toFixed(0)} (variant), ${collecting(bare).toFixed(0)} (bare)`);
  console.log(`  everything else: ${rest(variant).toFixed(0)} (variant), ${rest(bare).toFixed(0)} (bare), added ${(rest(variant) - rest(bare)).toFixed(0)} (${((rest(variant) / rest(bare) - 1) * 100).toFixed(1)}%)`);
  for (const r of [...rows.slice(0, top), ...rows.slice(-Math.min(10, rows.length))]) {
    console.log(`${r.added.toFixed(0).padStart(8)} ${r.variant.toFixed(0).padStart(8)}  ${r.name.slice(0, 140)}`);
  }
}

async function instructions(handlers, chosen) {
  for (const v of chosen ?? []) if (!(v in GUARDED)) throw new Error(`unknown variant ${JSON.stringify(v)}; one of: ${Object.keys(GUARDED).join(', ')}`);
  const WARM = Number(arg('--warm', 10_000));
  const WINDOW = Number(arg('--window', 10_000));
  console.log(`node ${process.version}; instructions per request under callgrind: ${WINDOW} requests counted after ${WARM} uncounted, one keep-alive connection (requests in sequence: the same work per request whatever the timing)`);
  const attribute = process.argv.includes('--attribute');
  const rows = [];
  for (const name of handlers) {
    const measured = (env) => windowed(name, env, WARM, WINDOW, attribute);
    const bareRun = await measured(null);
    const bare = bareRun.perRequest;
    rows.push({ handler: name, variant: 'bare', 'instr/req': Math.round(bare), 'added instr/req': 0, 'overhead %': 0 });
    for (const [variant, env] of Object.entries(GUARDED)) {
      if (chosen !== null && !chosen.includes(variant)) continue;
      const run = await measured(env);
      const n = run.perRequest;
      if (attribute) printAttribution(`${name}, ${variant}`, bareRun.byFunction, run.byFunction);
      rows.push({ handler: name, variant, 'instr/req': Math.round(n), 'added instr/req': Math.round(n - bare), 'overhead %': Number(((n / bare - 1) * 100).toFixed(1)) });
      console.log(JSON.stringify(rows[rows.length - 1]));
    }
  }
  console.table(rows);
}

/**
 * perf's samples on `core` over `seconds`, by process and function: Map(pid →
 * Map(function → samples)). JavaScript functions are named through the
 * servers' --perf-basic-prof maps; a JIT marker (`*`, `~`, `^`, `+`) is
 * dropped so that a function counts as one whatever tier ran it.
 */
async function perfSamples(core, seconds, during) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-perf-')), 'perf.data');
  const rec = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', '1999', '-C', String(core), '-o', file, '--', 'sleep', String(seconds)], { stdio: 'ignore' });
  const exited = new Promise((resolve, reject) => {
    rec.once('error', reject);
    rec.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`perf record exited with ${code}`))));
  });
  const result = await during();
  await exited;
  const text = execFileSync('perf', ['report', '-i', file, '--sort', 'pid,sym', '--stdio', '--percent-limit', '0', '-F', 'sample,pid,sym'], {
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  const byPid = new Map();
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+):\S*\s+\[.\]\s+(.*)$/.exec(line);
    if (m === null) continue;
    const pid = Number(m[2]);
    const fn = m[3].trim().replace(/^JS:[*~^+]?/, 'JS:');
    if (!byPid.has(pid)) byPid.set(pid, new Map());
    const fns = byPid.get(pid);
    fns.set(fn, (fns.get(fn) ?? 0) + Number(m[1]));
  }
  return { byPid, result };
}

async function perfSplit(handlers, variants, seconds, top) {
  for (const v of variants) if (!(v in PAIRED)) throw new Error(`unknown variant ${JSON.stringify(v)}; one of: ${Object.keys(PAIRED).join(', ')}`);
  const core = os.cpus().length - 1;
  console.log(`node ${process.version}; perf cpu-clock on core ${core}, bare and the variant paired there, ${seconds} s of load after 5 s of warm-up, 25 connections each; samples per 1 000 requests`);
  const withPerf = (spec) => ({ ...spec, nodeArgs: ['--perf-basic-prof', ...(spec.nodeArgs ?? [])] });
  for (const name of handlers) {
    const source = helloServer(HANDLERS[name], PRELUDE);
    for (const variant of variants) {
      await withServers([withPerf({ source }), withPerf(PAIRED[variant](source))], async (servers, pinned) => {
        if (!pinned) throw new Error('--perf needs taskset and two cores (both servers on one core)');
        const load = (duration) => Promise.all(servers.map((s) => autocannon({ url: s.url, connections: 25, pipelining: 1, duration })));
        await load(5); // warm-up, outside the recording
        const { byPid, result } = await perfSamples(core, seconds, () => load(seconds));
        const per = servers.map((s, i) => {
          const fns = byPid.get(s.child.pid) ?? new Map();
          const served = Math.max(1, result[i].requests.total);
          return new Map([...fns].map(([fn, n]) => [fn, (n * 1000) / served]));
        });
        const total = (m) => [...m.values()].reduce((a, b) => a + b, 0);
        const [bare, guarded] = per.map(total);
        console.log(`\n${name} · ${variant}: bare ${bare.toFixed(1)}, variant ${guarded.toFixed(1)} samples per 1 000 requests (${(((guarded - bare) / bare) * 100).toFixed(1)}%; requests served ${result[0].requests.total} / ${result[1].requests.total})`);
        const fns = [...new Set([...per[0].keys(), ...per[1].keys()])].map((fn) => [fn, (per[1].get(fn) ?? 0) - (per[0].get(fn) ?? 0)]);
        fns.sort((a, b) => b[1] - a[1]);
        const show = (rows) => {
          for (const [fn, d] of rows) console.log(`  ${d >= 0 ? '+' : ''}${d.toFixed(2).padStart(6)}  ${fn.slice(0, 100)}`);
        };
        show(fns.slice(0, top));
        console.log('  …');
        show(fns.slice(-Math.min(5, Math.max(0, fns.length - top))));
      });
    }
  }
}

async function main() {
  const only = arg('--handler', null);
  const handlers = Object.keys(HANDLERS).filter((h) => only === null || h === only);
  const chosen = arg('--variants', null);
  if (process.argv.includes('--perf')) {
    if (chosen === null) throw new Error('--perf needs --variants');
    await perfSplit(handlers, chosen.split(','), Number(arg('--seconds', 15)), Number(arg('--top', 25)));
  } else if (process.argv.includes('--instructions')) await instructions(handlers, chosen === null ? null : chosen.split(','));
  else if (process.argv.includes('--alternating')) await throughput(handlers, Number(arg('--rounds', 8)), Number(arg('--seconds', 3)));
  else {
    const variants = chosen !== null ? chosen.split(',') : process.argv.includes('--parts') ? Object.keys(PAIRED) : ['bare again (A/A)', 'everything on'];
    await paired(handlers, variants, Number(arg('--rounds', 12)), Number(arg('--seconds', 3)), Number(arg('--lives', 3)));
  }
}

main().catch((err) => {
  console.error(err.stack || err.message);
  process.exitCode = 1;
});
