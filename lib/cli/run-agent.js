'use strict';
// The preload that `leakguard run` puts into the guarded program (through
// NODE_OPTIONS=--require). In the one process it claims, it starts leakguard
// (register.js, configured by LEAKGUARD_* environment variables), writes a
// small status file for the live status line at every tick, and writes the
// full report, the sampler history and the suspects' growth trail to the run
// directory periodically and when the process ends (exit, or SIGINT / SIGTERM /
// SIGHUP), for the parent to turn into report.json / report.html.
//
// Must never: change how the program ends (a signal it did not handle still
// kills it, with the same signal), keep it alive (the tick is unref'd),
// throw into it (every write is guarded), or guard more than one process of a
// run (package-manager CLIs such as npm are skipped; the first other main
// thread claims the run directory, later node processes only pass through).

const fs = require('node:fs');
const path = require('node:path');
const { isMainThread } = require('node:worker_threads');
const { writeFileAtomic } = require('../internal/write-file');

const RUN_DIR = process.env.LEAKGUARD_RUN_DIR;
const ROOT = path.resolve(__dirname, '..', '..');
const PACKAGE_MANAGER = /(^|[\\/])(npm|npx|pnpm|pnpx|yarn|yarnpkg|corepack)(-cli)?(\.c?js)?$|[\\/]node_modules[\\/](npm|pnpm|yarn|corepack)[\\/]/;
const FULL_EVERY = 5; // ticks between periodic full snapshots

function claim() {
  if (!RUN_DIR || !isMainThread) return false;
  if (PACKAGE_MANAGER.test(process.argv[1] || '')) return false;
  try {
    fs.mkdirSync(path.join(RUN_DIR, 'claimed'));
    return true;
  } catch {
    return false; // another process of this run is the guarded one
  }
}

function writeAtomic(name, value) {
  try {
    writeFileAtomic(path.join(RUN_DIR, name), JSON.stringify(value));
  } catch {
    // The run directory vanished (parent gone): nothing to report to.
  }
}

function startAgent() {
  const agentStartedAt = Date.now();
  const { SuspectTrail } = require('../export/html-report');
  const trail = new SuspectTrail();
  let sampler;
  let startError = null;
  try {
    // This run asked for leakguard: a LEAKGUARD_DISABLE inherited from the
    // environment must not make register.js print that it is off (the
    // program's own environment is left as it was).
    const disable = process.env.LEAKGUARD_DISABLE;
    delete process.env.LEAKGUARD_DISABLE;
    try {
      require(path.join(ROOT, 'register.js'));
    } finally {
      if (disable !== undefined) process.env.LEAKGUARD_DISABLE = disable;
    }
    sampler = require('../sampler');
    // register.js starts the sampler from LEAKGUARD_* variables; make sure it
    // runs even where the environment turned it off: this run asked for it.
    const intervalMs = Number(process.env.LEAKGUARD_INTERVAL_MS);
    sampler.start(Number.isInteger(intervalMs) && intervalMs > 0 ? { intervalMs } : undefined);
  } catch (err) {
    startError = String((err && err.message) || err);
  }

  function read() {
    if (startError !== null) return { error: startError };
    try {
      const report = sampler.report();
      trail.record(report);
      return { report };
    } catch (err) {
      return { error: String((err && err.message) || err) };
    }
  }

  function history() {
    try {
      return typeof sampler.history === 'function' ? sampler.history() : [];
    } catch {
      return [];
    }
  }

  // When the first verdict can come: samples within the warm-up are never
  // judged, and a verdict needs a whole window after it.
  // Before its first sample the sampler reports no start time: this agent's
  // own start is within a tick of it.
  function firstVerdictAt(report) {
    const sampled = report.sampler && report.sampler.startedAt;
    const startedAt = typeof sampled === 'number' ? sampled : agentStartedAt;
    const windowMs = report.heap && report.heap.windowMs;
    if (typeof windowMs !== 'number') return undefined;
    const warmup = Number(process.env.LEAKGUARD_WARMUP_MS);
    return startedAt + (Number.isInteger(warmup) && warmup >= 0 ? warmup : windowMs) + windowMs;
  }

  function status(r) {
    const out = { pid: process.pid, t: Date.now(), error: r.error };
    if (r.report) {
      const due = firstVerdictAt(r.report);
      if (due !== undefined) out.firstVerdictInMs = Math.max(0, due - out.t);
      const h = r.report.heap || {};
      out.leaking = r.report.leaking === true;
      out.heapUsedBytes = h.usedBytes;
      out.baselineBytes = h.baselineBytes;
      out.slopeBytesPerSec = h.slopeBytesPerSec;
      out.rssBytes = h.rssBytes;
      out.samples = h.samples;
      out.suspects = Array.isArray(r.report.suspects) ? r.report.suspects.length : 0;
      const top = r.report.suspects && r.report.suspects[0];
      if (top && top.site) out.top = `${top.kind} ${top.site.file}:${top.site.line}`;
    }
    return out;
  }

  let ended = false;
  function full(r, final) {
    writeAtomic('full.json', {
      pid: process.pid,
      t: Date.now(),
      final,
      argv: process.argv,
      error: r.error,
      report: r.report,
      firstVerdictAt: r.report ? firstVerdictAt(r.report) : undefined,
      history: history(),
      trail: trail.toJSON(),
    });
  }

  const tickMs = Math.max(250, Number(process.env.LEAKGUARD_RUN_TICK_MS) || 1000);
  let ticks = 0;
  const timer = setInterval(() => {
    if (ended) return;
    const r = read();
    writeAtomic('status.json', status(r));
    if (++ticks % FULL_EVERY === 0) full(r, false);
  }, tickMs);
  timer.unref();

  function finish() {
    if (ended) return;
    ended = true;
    clearInterval(timer);
    const r = read();
    writeAtomic('status.json', status(r));
    full(r, true);
  }

  process.on('exit', finish);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    const onSignal = () => {
      finish();
      // Nobody else handles it: end the way the signal would have.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

if (claim()) startAgent();
