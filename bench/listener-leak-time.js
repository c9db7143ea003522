'use strict';
// How long the sampler takes to name a slow listener leak in a busy process,
// with the ledger's default sampled books and with exact books (issue 28:
// "a 2 adds/s listener leak is named within 60 s at 250 ms").
//
// Each trial is a fresh process: start({ intervalMs: 250 }) with the ledger
// in the mode under test, a balanced churn of per-request emitters (6 000
// adds a second, every one removed or collected with its emitter, so the
// per-second exact budget is spent and the leak's adds are drawn one in 16),
// and a leak of --rate adds a second on an app-wide emitter, each leaked
// listener holding about 100 kB of heap (a leak the verdict judges by the
// heap it holds: a listener row alone becomes a verdict only past
// registryMinRate adds a second). The trial ends
// at the first onLeak report whose suspects include the leak's line (the
// seconds since start() are printed) or after --limit seconds (printed as
// "not named"). Modes alternate; trials run two at a time.
//
// Run: node bench/listener-leak-time.js [--rate 2] [--trials 3] [--limit 120]
//
// Must never: leave a child running (each exits by itself at --limit).

const path = require('node:path');
const { execFile } = require('node:child_process');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
};
const RATE = Number(arg('--rate', 2));
const TRIALS = Number(arg('--trials', 3));
const LIMIT = Number(arg('--limit', 120));

function child(mode, rate, limit) {
  const { EventEmitter } = require('node:events');
  const lg = require(path.resolve(__dirname, '..'));
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const t0 = Date.now();
  const leakLine = require('node:fs').readFileSync(__filename, 'utf8').split('\n').findIndex((l) => l.endsWith('// LEAK: listener')) + 1;
  lg.start({
    intervalMs: 250,
    listeners: mode,
    onLeak(report) {
      if (process.env.DEBUG_LEAK_TIME) console.error(leakLine, JSON.stringify(report.suspects.map((x) => [x.kind, x.site])));
      const named = report.suspects.some((s) => s.kind === 'listener' && s.site && s.site.line === leakLine);
      if (named) {
        console.log(JSON.stringify({ mode, seconds: (Date.now() - t0) / 1000 }));
        process.exit(0);
      }
    },
  });
  setInterval(() => {
    for (let i = 0; i < 200; i++) {
      const req = new EventEmitter();
      const onConfig = () => {};
      req.on('data', () => {});
      bus.on('config', onConfig);
      bus.off('config', onConfig);
    }
  }, 100);
  setInterval(() => {
    const held = Array.from({ length: 12_500 }, (_, i) => i + 0.5); // ~100 kB of heap per leaked listener
    bus.on('tick', () => held.length); // LEAK: listener
  }, 1000 / rate);
  setTimeout(() => {
    console.log(JSON.stringify({ mode, seconds: null }));
    process.exit(0);
  }, limit * 1000).unref();
}

if (process.argv[2] === '--child') {
  child(process.argv[3], Number(process.argv[4]), Number(process.argv[5]));
} else {
  const jobs = [];
  for (let t = 0; t < TRIALS; t++) for (const mode of ['sampled', 'exact']) jobs.push(mode);
  const results = { sampled: [], exact: [] };
  const runOne = (mode) =>
    new Promise((resolve) => {
      execFile(process.execPath, [__filename, '--child', mode, String(RATE), String(LIMIT)], { env: { ...process.env, LEAKGUARD_QUIET: '1' }, timeout: (LIMIT + 30) * 1000 }, (err, stdout) => {
        const line = stdout.trim().split('\n').pop();
        let seconds;
        try {
          seconds = JSON.parse(line).seconds;
        } catch {
          seconds = null;
        }
        results[mode].push(seconds);
        console.log(`${mode}: ${seconds === null ? `not named within ${LIMIT} s` : `${seconds.toFixed(1)} s`}${err ? ` (${err.message.split('\n')[0]})` : ''}`);
        resolve();
      });
    });
  (async () => {
    console.log(`node ${process.version}; a ${RATE} adds/s listener leak beside 6 000 balanced adds/s, intervalMs 250, ${TRIALS} trials per mode`);
    while (jobs.length > 0) await Promise.all(jobs.splice(0, 2).map(runOne));
    for (const mode of ['sampled', 'exact']) {
      const named = results[mode].filter((s) => s !== null).sort((a, b) => a - b);
      const median = named.length === 0 ? null : named[Math.floor((named.length - 1) / 2)];
      console.log(`${mode}: named in ${named.length} of ${results[mode].length}; median ${median === null ? '—' : `${median.toFixed(1)} s`}; all ${named.map((s) => s.toFixed(1)).join(', ')}`);
    }
  })();
}
