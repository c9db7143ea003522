'use strict';
// The preload that `leakguard run` puts into the guarded program (through
// NODE_OPTIONS=--require). In the one process it claims, it starts leakguard
// (register.js, configured by LEAKGUARD_* environment variables), writes a
// small status file for the live status line and the full report with the
// suspects' growth trail to the run directory at start, at every tick and at
// 'exit', and the sampler history with them (every HISTORY_EVERY ticks once it
// is long), for the parent to turn into report.json / report.html.
//
// It installs no signal handler. A JavaScript handler for SIGINT, SIGTERM or
// SIGHUP replaces the default death by that signal with a callback that runs
// only when the event loop gets control: a busy program would run on, and
// `process.kill(process.pid, 'SIGTERM')` followed by the end of the script
// would exit 0. So a signal the program does not handle kills it at once, as
// it would without leakguard, and the report the parent writes then is the
// last tick's (at most one tick old, a long timeline at most HISTORY_EVERY
// ticks old, marked final: false); a program that
// handles the signal and exits runs 'exit', which writes the final one.
//
// Must never: change how the program ends, keep it alive (the tick is unref'd),
// throw into it (every write is guarded), or guard more than one process of a
// run (package-manager CLIs such as npm are skipped; the first other main
// thread claims the run directory, later node processes only pass through).

const fs = require('node:fs');
const path = require('node:path');
const { isMainThread } = require('node:worker_threads');
const { writeFileAtomic } = require('../internal/write-file');

const RUN_DIR = process.env.LEAKGUARD_RUN_DIR;
const ROOT = path.resolve(__dirname, '..', '..');
const HISTORY_EVERY = 5; // ticks between writes of the sampled timeline, once it is long
const SHORT_HISTORY = 100; // samples: a timeline this short is written at every tick
const PACKAGE_MANAGER = /(^|[\\/])(npm|npx|pnpm|pnpx|yarn|yarnpkg|corepack)(-cli)?(\.c?js)?$|[\\/]node_modules[\\/](npm|pnpm|yarn|corepack)[\\/]/;

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
    // register.js started the sampler from the LEAKGUARD_* variables (with
    // LEAKGUARD_INTERVAL_MS from --interval-ms). Only where it did not (its
    // start failed) is it started here, so that the error says why; starting
    // it twice would print LEAKGUARD_ALREADY_STARTED into the program's stderr.
    if (sampler.runningOptions() === null) {
      const intervalMs = Number(process.env.LEAKGUARD_INTERVAL_MS);
      sampler.start(Number.isInteger(intervalMs) && intervalMs >= 10 && intervalMs <= 600_000 ? { intervalMs } : undefined);
    }
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
  // The report and trail go to full.json at every tick; the timeline (up to
  // 600 samples, the costly part to serialise) to history.json at every tick
  // while it is short, then every HISTORY_EVERY ticks, and at exit.
  let historyLength = 0;
  function full(r, final, withHistory) {
    writeAtomic('full.json', {
      pid: process.pid,
      t: Date.now(),
      final,
      argv: process.argv,
      error: r.error,
      report: r.report,
      firstVerdictAt: r.report ? firstVerdictAt(r.report) : undefined,
      trail: trail.toJSON(),
    });
    if (withHistory || historyLength < SHORT_HISTORY) {
      const h = history();
      historyLength = h.length;
      writeAtomic('history.json', h);
    }
  }

  // The full snapshot is written at start and at every tick, not only at the
  // end: it is what the parent reports from when a signal kills the program.
  let ticks = 0;
  const snapshot = () => {
    const r = read();
    writeAtomic('status.json', status(r));
    full(r, false, ticks++ % HISTORY_EVERY === 0);
  };
  const tickMs = Math.max(250, Number(process.env.LEAKGUARD_RUN_TICK_MS) || 1000);
  const timer = setInterval(() => {
    if (!ended) snapshot();
  }, tickMs);
  timer.unref();
  snapshot(); // a program killed before the first tick still has figures

  function finish() {
    if (ended) return;
    ended = true;
    clearInterval(timer);
    const r = read();
    writeAtomic('status.json', status(r));
    full(r, true, true);
  }

  process.on('exit', finish);
}

if (claim()) startAgent();
