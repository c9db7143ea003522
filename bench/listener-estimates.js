'use strict';
// How close the sampled ledger's `live` counts are to the truth: for sites of
// 100, 1 000 and 10 000 live listeners, many independent trials (a fresh
// ledger each), in sampled mode (one add in N drawn) and in exact mode.
// The per-second exact budget is set to 0, as in a busy process whose adds
// are all past it: the worst case (a process adding fewer listeners is
// counted exactly). Two shapes:
//   per-request  L emitters with one listener each still attached, after 3·L
//                emitters whose listener was added and removed
//   shared       one emitter: 2·L listeners added, L of them (chosen at
//                random) removed
// Prints, per (N, shape, L): the mean error (bias) and the median and 95th
// percentile of |error|, in % of L. The truth is Node's own count.
//
// --cost instead: CPU time of the listener-heavy request shape of
// bench/http-realistic.js (its listeners only, no HTTP: a response-like
// emitter with `finish`/`close`, an AbortSignal `abort` listener, `on` and
// `once` on two app-wide emitters, all removed on close), untracked, exact
// and sampled at each N, rounds interleaved in one process; median of the
// rounds, and the overhead against untracked.
//
// --escalation instead: how many seconds of the ledger's clock (ledgerTick(),
// one per simulated second) a pure leak of r adds/s takes to be escalated to
// exact books, in a process past its per-second budget (2 000 balanced
// per-request adds a second besides the leak); median and 95th percentile
// over trials, per r.
//
// Run: node bench/listener-estimates.js [--every 8,16,32] [--trials T]
//      node bench/listener-estimates.js --cost [--every 8,16,32] [--rounds R]
//      node bench/listener-estimates.js --escalation [--trials T]

const EventEmitter = require('node:events');
const ledger = { ...require('../lib/listeners'), ...require('../lib/internal/unsafe-internals').unsafeExposeInternals('listeners') };

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
};
const EVERY = arg('--every', String(ledger.BOOK_EVERY)).split(',').map(Number);
const TRIALS = Number(arg('--trials', 200));
const SIZES = [100, 1000, 10000];

function perRequest(L) {
  const kept = [];
  for (let i = 0; i < 4 * L; i++) {
    const e = new EventEmitter();
    const fn = () => i;
    e.on('close', fn);
    if (i % 4 === 3) kept.push(e);
    else e.off('close', fn);
  }
  return kept.length;
}

function shared(L) {
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const fns = [];
  for (let i = 0; i < 2 * L; i++) {
    const fn = () => i;
    bus.on('update', fn);
    fns.push(fn);
  }
  for (let i = fns.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [fns[i], fns[j]] = [fns[j], fns[i]];
  }
  for (let i = 0; i < L; i++) bus.off('update', fns[i]);
  return bus.listenerCount('update');
}

const SHAPES = { 'per-request': perRequest, shared };

function trial(mode, every, shape, L) {
  ledger.setLedgerInternals({ every, exactPerTick: 0 });
  ledger.trackListeners({ mode, sampleEvery: 1 });
  try {
    const truth = SHAPES[shape](L);
    const live = ledger.listeners().reduce((n, r) => n + r.live, 0);
    return ((live - truth) / truth) * 100;
  } finally {
    ledger.untrackListeners();
    ledger.setLedgerInternals({});
  }
}

const pct = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

function costs() {
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const life = new EventEmitter();
  life.setMaxListeners(0);
  const request = () => {
    const res = new EventEmitter();
    const controller = new AbortController();
    const onAbort = () => {};
    controller.signal.addEventListener('abort', onAbort);
    const onConfig = () => {};
    const onShutdown = () => {};
    const onFinish = () => {};
    bus.on('config', onConfig);
    life.once('shutdown', onShutdown);
    res.on('finish', onFinish);
    res.on('close', () => {
      controller.signal.removeEventListener('abort', onAbort);
      bus.off('config', onConfig);
      life.off('shutdown', onShutdown);
      res.off('finish', onFinish);
    });
    res.emit('finish');
    res.emit('close');
  };
  const OPS = 100_000;
  const variants = { untracked: null, exact: { mode: 'exact' } };
  for (const every of EVERY) variants[`sampled N=${every}`] = { mode: 'sampled', every };
  const got = {};
  const rounds = Number(arg('--rounds', 9));
  for (let r = 0; r < rounds + 1; r++) {
    for (const [name, v] of Object.entries(variants)) {
      if (v !== null) {
        ledger.setLedgerInternals({ every: v.every, exactPerTick: 0 });
        ledger.trackListeners({ mode: v.mode });
      }
      const t = process.cpuUsage();
      for (let i = 0; i < OPS; i++) request();
      const d = process.cpuUsage(t);
      if (v !== null) {
        ledger.untrackListeners();
        ledger.setLedgerInternals({});
      }
      if (r > 0) (got[name] ??= []).push(((d.user + d.system) * 1000) / OPS); // round 0 warms up
    }
  }
  const base = pct(got.untracked, 0.5);
  console.log(`node ${process.version}; listener-heavy request shape without HTTP, ${rounds} interleaved rounds of ${OPS}, no per-second exact budget`);
  console.table(
    Object.entries(got).map(([name, xs]) => ({
      variant: name,
      'ns/request (median)': Math.round(pct(xs, 0.5)),
      range: `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))}`,
      'overhead %': Number(((pct(xs, 0.5) / base - 1) * 100).toFixed(1)),
    })),
  );
}

function escalation() {
  const trials = Number(arg('--trials', 100));
  const rows = [];
  for (const rate of [2, 5, 20, 100]) {
    const seconds = [];
    for (let t = 0; t < trials; t++) {
      ledger.trackListeners();
      try {
        const bus = new EventEmitter();
        bus.setMaxListeners(0);
        const leak = () => bus.on('leak', () => {});
        let s = 0;
        for (; s < 600; s++) {
          for (let i = 0; i < 2000; i++) {
            const res = new EventEmitter();
            res.on('close', () => {});
            res.removeAllListeners('close');
          }
          for (let i = 0; i < rate; i++) leak();
          ledger.ledgerTick();
          if (ledger.listeners().some((r) => r.event === 'leak' && r.mode === 'exact')) break;
        }
        seconds.push(s + 1);
      } finally {
        ledger.untrackListeners();
      }
    }
    rows.push({ 'leak adds/s': rate, trials, 'escalated after, median s': pct(seconds, 0.5), 'p95 s': pct(seconds, 0.95), 'max s': Math.max(...seconds) });
    console.log(JSON.stringify(rows[rows.length - 1]));
  }
  console.log(`node ${process.version}; seconds of the ledger's clock until a pure leak's site is escalated (default N and budget; 2 000 other adds a second)`);
  console.table(rows);
}

if (process.argv.includes('--escalation')) {
  escalation();
  process.exit(0);
}

if (process.argv.includes('--cost')) {
  costs();
  process.exit(0);
}

console.log(`node ${process.version}; listeners() live vs the truth, ${TRIALS} trials per row (${TRIALS / 4} for 10 000), no per-second exact budget`);
const rows = [];
for (const mode of ['exact', 'sampled']) {
  for (const every of mode === 'exact' ? [1] : EVERY) {
    for (const shape of Object.keys(SHAPES)) {
      for (const L of SIZES) {
        const n = L >= 10000 ? Math.max(10, TRIALS / 4) : TRIALS;
        const errs = [];
        for (let t = 0; t < n; t++) errs.push(trial(mode, every, shape, L));
        const abs = errs.map(Math.abs);
        rows.push({
          mode,
          N: every,
          shape,
          live: L,
          trials: n,
          'bias %': Number((errs.reduce((a, b) => a + b, 0) / n).toFixed(2)),
          'median |err| %': Number(pct(abs, 0.5).toFixed(1)),
          'p95 |err| %': Number(pct(abs, 0.95).toFixed(1)),
        });
        console.log(JSON.stringify(rows[rows.length - 1]));
      }
    }
  }
}
console.table(rows);
