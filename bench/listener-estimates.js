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
// Run: node bench/listener-estimates.js [--every 8,16,32] [--trials T]

const EventEmitter = require('node:events');
const ledger = require('../lib/listeners');

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
