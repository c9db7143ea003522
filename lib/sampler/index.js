'use strict';
// start() / stop() / report() / formatReport(): the public face of the
// HeapSampler (src/sampler/). start() spawns the Rust `leakguard-sampler`
// thread, connects the heap feed (lib/sampler/heap-feed.js), the allocation profiler
// (lib/sampler/allocation-profiler.js, idle until growth is suspected), and turns on
// the timers patch and the listener ledger so their rows reach the thread.
//
// Must never keep the process alive (the heartbeat is unref'd, onLeak goes
// through a weak thread-safe function), never let a throwing onLeak stop
// anything, and stop() must put back everything start() changed.
//
// Defaults (all overridable, see README "## Sampler"):
//   intervalMs 1000 · windowMs max(8000, 32 × intervalMs) · longWindowFactor 8
//   warmupMs = windowMs · minGrowthBytes 4 MiB · minRssGrowthBytes 16 MiB
//   minSiteGrowth 20 · minGcGapMs max(1000, 4 × intervalMs)
//   allocations true · samplingIntervalBytes 512 KiB

const native = require('../internal/native');
const { statsTable } = require('../internal/stats');
const { liveCaches } = require('../cache/live');
const { HeapFeed } = require('./heap-feed');
const { AllocationProfiler } = require('./allocation-profiler');
const { formatReport } = require('./report-format');
const timers = require('../timers');
const listeners = require('../listeners');
const {
  validateOptions,
  validateInteger,
  validateFunction,
  validateBoolean,
  callUser,
} = require('../internal/errors');

const MiB = 1024 * 1024;
const DEFAULT_INTERVAL_MS = 1000;
const SHUTDOWN_TIMEOUT_MS = 2000;

let state = null;
let lastReport = null;
let lastHistory = [];

function resolveOptions(options) {
  const o = validateOptions(options);
  const intervalMs = validateInteger('intervalMs', o.intervalMs, { min: 10, max: 600_000 }) ?? DEFAULT_INTERVAL_MS;
  const windowMs =
    validateInteger('windowMs', o.windowMs, { min: 4 * intervalMs, max: 86_400_000 }) ?? Math.max(8000, 32 * intervalMs);
  return {
    intervalMs,
    windowMs,
    longFactor: validateInteger('longWindowFactor', o.longWindowFactor, { min: 1, max: 1000 }) ?? 8,
    warmupMs: validateInteger('warmupMs', o.warmupMs, { min: 0, max: 86_400_000 }) ?? windowMs,
    minGrowthBytes: validateInteger('minGrowthBytes', o.minGrowthBytes, { min: 1 }) ?? 4 * MiB,
    minRssGrowthBytes: validateInteger('minRssGrowthBytes', o.minRssGrowthBytes, { min: 1 }) ?? 16 * MiB,
    minSiteGrowth: validateInteger('minSiteGrowth', o.minSiteGrowth, { min: 1 }) ?? 20,
    minGcGapMs: validateInteger('minGcGapMs', o.minGcGapMs, { min: 0, max: 86_400_000 }) ?? Math.max(1000, 4 * intervalMs),
    allocations: validateBoolean('allocations', o.allocations) ?? true,
    samplingIntervalBytes:
      validateInteger('samplingIntervalBytes', o.samplingIntervalBytes, { min: 1024, max: 1 << 30 }) ?? 512 * 1024,
    onLeak: validateFunction('onLeak', o.onLeak),
    timers: validateBoolean('timers', o.timers) ?? true,
    listeners: validateBoolean('listeners', o.listeners) ?? true,
  };
}

/** Starts guarding. Calling it while running does nothing. */
function start(options) {
  const o = resolveOptions(options);
  if (state !== null) return;
  const token = {};
  const onReport = (json) => {
    // A report queued before stop() must not reach a later start()'s caller.
    if (state === null || state.token !== token || o.onLeak === undefined) return;
    let report;
    try {
      report = JSON.parse(json);
    } catch {
      return;
    }
    callUser('onLeak', o.onLeak, undefined, report);
  };
  let sampler;
  try {
    sampler = new native.NativeHeapSampler(
      statsTable().registry,
      {
        intervalMs: o.intervalMs,
        windowMs: o.windowMs,
        longFactor: o.longFactor,
        warmupMs: o.warmupMs,
        minGrowthBytes: o.minGrowthBytes,
        minRssGrowthBytes: o.minRssGrowthBytes,
        minSiteGrowth: o.minSiteGrowth,
        minGcGapMs: o.minGcGapMs,
        allocations: o.allocations,
        historyLen: 600,
      },
      onReport,
    );
  } catch (err) {
    const e = new Error(`leakguard: the sampler could not start: ${err.message}`);
    e.code = 'ERR_LEAKGUARD_NATIVE';
    e.cause = err;
    throw e;
  }
  let profiler = null;
  let feed;
  try {
    profiler = o.allocations ? new AllocationProfiler({ samplingIntervalBytes: o.samplingIntervalBytes }) : null;
    feed = new HeapFeed(sampler, { intervalMs: o.intervalMs, profiler, windowMs: o.windowMs });
  } catch (err) {
    if (profiler !== null) profiler.close();
    sampler.shutdown(SHUTDOWN_TIMEOUT_MS); // never leave the thread behind
    throw err;
  }
  state = { sampler, feed, profiler, timers: false, listeners: false, options: o, token };
  try {
    feed.start();
    // Each returns false when it was already on (the user turned it on):
    // stop() undoes only what start() did.
    if (o.timers) state.timers = timers.patchTimers() === true;
    if (o.listeners) state.listeners = listeners.trackListeners() === true;
  } catch (err) {
    stop();
    throw err;
  }
}

/** Stops guarding and restores everything start() changed. Idempotent. */
function stop() {
  if (state === null) return;
  const s = state;
  state = null;
  try {
    lastReport = JSON.parse(s.sampler.reportJson());
    lastHistory = JSON.parse(s.sampler.historyJson());
  } catch {
    // keep the previous ones
  }
  s.feed.stop();
  if (s.profiler !== null) s.profiler.close();
  s.sampler.shutdown(SHUTDOWN_TIMEOUT_MS);
  if (s.timers) timers.unpatchTimers();
  if (s.listeners) listeners.untrackListeners();
}

function emptyReport() {
  return {
    leaking: false,
    since: null,
    generatedAt: Date.now(),
    heap: {
      usedBytes: 0,
      totalBytes: 0,
      rssBytes: 0,
      externalBytes: 0,
      arrayBuffersBytes: 0,
      baselineBytes: 0,
      slopeBytesPerSec: 0,
      externalSlopeBytesPerSec: 0,
      rssSlopeBytesPerSec: 0,
      windowMs: 0,
      longWindowMs: 0,
      samples: 0,
      majorGcs: 0,
      forcedGcs: 0,
      growing: [],
    },
    eventLoopLag: { p50Ms: 0, p99Ms: 0, maxMs: 0, stalledMs: 0 },
    gcPause: { p50Ms: 0, p99Ms: 0, maxMs: 0, count: 0 },
    suspects: [],
  };
}

/**
 * The current report (DESIGN.md §6). After stop(), the last report taken at
 * stop; before any start(), an empty one. `running` says which.
 */
function report() {
  if (state === null) return { ...(lastReport ?? emptyReport()), running: false, caches: liveCaches() };
  const r = JSON.parse(state.sampler.reportJson());
  r.running = true;
  r.caches = liveCaches();
  return r;
}

/** The bounded timeline (last 600 samples) for the HTML report; internal. */
function history() {
  if (state === null) return lastHistory.slice();
  return JSON.parse(state.sampler.historyJson());
}

/** Runs one sampler tick now (tests); false when not running. Internal. */
function flush(timeoutMs = 2000) {
  return state !== null && state.sampler.flush(timeoutMs);
}

module.exports = { start, stop, report, formatReport, history, flush, resolveOptions };
