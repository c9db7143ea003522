'use strict';
// start() / stop() / report() / formatReport(): the public face of the
// HeapSampler (src/sampler/). start() spawns the Rust `leakguard-sampler`
// thread, connects the heap feed (lib/sampler/heap-feed.js), starts V8's
// sampling heap profiler at once (lib/sampler/allocation-profiler.js; its
// profile is read only when a verdict needs suspects, within the forced-GC
// budget), and turns on the timers patch and the listener ledger so their rows
// reach the thread. Every report it hands out (report(), onLeak, the last
// one at stop()) has its allocation suspects named to candidate lines
// (lib/sampler/attribution.js). Defaults: lib/sampler/defaults.js; how it decides:
// docs/sampler.md.
//
// Must never keep the process alive (the heartbeat is unref'd, onLeak goes
// through a weak thread-safe function), never let a throwing onLeak stop
// anything, and stop() must put back everything start() changed.

const fs = require('node:fs');
const native = require('../internal/native');
const { statsTable } = require('../internal/stats');
const { liveCaches } = require('../cache/live');
const { HeapFeed } = require('./heap-feed');
const { AllocationProfiler } = require('./allocation-profiler');
const { Attributor, attributeReport } = require('./attribution');
const { formatReport } = require('./report-format');
const { ownCounts, ownAllocation } = require('./own-allocation');
const { defaultsFor, DEFAULT_INTERVAL_MS, START_OPTIONS } = require('./defaults');
const timers = require('../timers');
const listeners = require('../listeners');
const { callUser } = require('../internal/errors');
const {
  checkOptions,
  validateInteger,
  validateNumber,
  validateFunction,
  validateBoolean,
  validateString,
  validateOneOf,
} = require('../internal/options');

const SHUTDOWN_TIMEOUT_MS = 2000;

let state = null;
let lastReport = null;
let lastHistory = [];

/**
 * start()'s options, validated (unknown names refused: the accepted names are
 * OPTION_NAMES.start in lib/internal/options.js) and with defaults filled in.
 */
function resolveOptions(options) {
  const o = checkOptions('start', options);
  const intervalMs = validateInteger('intervalMs', o.intervalMs, { min: 10, max: 600_000 }) ?? DEFAULT_INTERVAL_MS;
  const windowMs = validateInteger('windowMs', o.windowMs, { min: 4 * intervalMs, max: 86_400_000 });
  const d = defaultsFor(intervalMs, windowMs);
  return {
    intervalMs,
    windowMs: d.windowMs,
    longFactor: validateInteger('longWindowFactor', o.longWindowFactor, { min: 1, max: 1000 }) ?? d.longWindowFactor,
    warmupMs: validateInteger('warmupMs', o.warmupMs, { min: 0, max: 86_400_000 }) ?? d.warmupMs,
    minGrowthBytes: validateInteger('minGrowthBytes', o.minGrowthBytes, { min: 1 }) ?? d.minGrowthBytes,
    minRssGrowthBytes: validateInteger('minRssGrowthBytes', o.minRssGrowthBytes, { min: 1 }) ?? d.minRssGrowthBytes,
    minSiteGrowth: validateInteger('minSiteGrowth', o.minSiteGrowth, { min: 1 }) ?? d.minSiteGrowth,
    minGcGapMs: validateInteger('minGcGapMs', o.minGcGapMs, { min: 0, max: 86_400_000 }) ?? d.minGcGapMs,
    allocations: validateBoolean('allocations', o.allocations) ?? d.allocations,
    samplingIntervalBytes:
      validateInteger('samplingIntervalBytes', o.samplingIntervalBytes, { min: 1024, max: 1 << 30 }) ?? d.samplingIntervalBytes,
    suspectWaitMs: validateInteger('suspectWaitMs', o.suspectWaitMs, { min: 0, max: 600_000 }) ?? d.suspectWaitMs,
    registryMinRate: validateNumber('registryMinRate', o.registryMinRate, { min: 0.001 }) ?? d.registryMinRate,
    registryMinLive: validateInteger('registryMinLive', o.registryMinLive, { min: 1 }) ?? d.registryMinLive,
    maxForcedGcPauseMs: validateInteger('maxForcedGcPauseMs', o.maxForcedGcPauseMs, { min: 0, max: 600_000 }) ?? d.maxForcedGcPauseMs,
    forcedGcPercent: validateNumber('forcedGcPercent', o.forcedGcPercent, { min: 0, max: 100 }) ?? d.forcedGcPercent,
    nearHeapLimitFraction:
      validateNumber('nearHeapLimitFraction', o.nearHeapLimitFraction, { min: 0.1, max: 1 }) ?? d.nearHeapLimitFraction,
    reportFile: validateString('reportFile', o.reportFile) ?? d.reportFile,
    onLeak: validateFunction('onLeak', o.onLeak),
    timers: validateBoolean('timers', o.timers) ?? d.timers,
    listeners: validateListeners(o.listeners) ?? d.listeners,
  };
}

/** start({ listeners }): a boolean, or the ledger's mode ('sampled' | 'exact'). */
function validateListeners(value) {
  return typeof value === 'string' ? validateOneOf('listeners', value, listeners.LISTENER_MODES) : validateBoolean('listeners', value);
}

/**
 * A report with the estimate of leakguard's own allocation in
 * sampler.overhead (lib/sampler/own-allocation.js) and its allocation
 * suspects named to candidate lines (lib/sampler/attribution.js).
 */
function attributed(report, s) {
  if (report.sampler) {
    report.sampler.gcWatch = s.feed.gcSource;
    if (s.feed.gcWatchUnavailable !== null) report.sampler.gcWatchUnavailable = s.feed.gcWatchUnavailable;
  }
  const overhead = report.sampler && report.sampler.overhead;
  if (overhead && s.ownBase !== undefined) {
    try {
      overhead.allocation = ownAllocation(s.ownBase, Date.now() - s.ownSince);
    } catch {
      // a report without the estimate beats no report
    }
  }
  if (s.profiler === null || s.attributor === null) return report;
  return attributeReport(report, s.profiler.facts, s.attributor);
}

/** Writes a report to the configured file, synchronously (it may be the last thing the process does). */
function writeReportFile(file, report) {
  if (file === undefined) return;
  try {
    fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  } catch {
    // an unwritable path must not break the caller; onLeak still has the report
  }
}

/**
 * Starts guarding. Calling it while running changes nothing; when that call
 * gave options (say `start({ onLeak })` in a process already started by
 * leakguard/register) a LEAKGUARD_ALREADY_STARTED warning says they were not
 * applied, rather than dropping them silently.
 */
function start(options) {
  const o = resolveOptions(options);
  if (state !== null) {
    if (options !== undefined && Object.keys(options).length > 0) {
      process.emitWarning(
        `leakguard: start() while already running: its options (${Object.keys(options).join(', ')}) were not applied; call stop() first to change them`,
        { code: 'LEAKGUARD_ALREADY_STARTED' },
      );
    }
    return;
  }
  const token = {};
  const deliver = (json) => {
    let report;
    try {
      report = JSON.parse(json);
    } catch {
      return;
    }
    // The file first, as the thread made it: near the heap limit the process
    // may die while candidate lines are parsed. Then again, named.
    writeReportFile(o.reportFile, report);
    let named = report;
    try {
      named = attributed(report, state);
    } catch {
      // a report without candidate lines beats no report
    }
    if (named !== report) writeReportFile(o.reportFile, named);
    if (o.onLeak !== undefined) callUser('onLeak', o.onLeak, undefined, named);
  };
  const onReport = (json) => {
    // A report queued before stop() must not reach a later start()'s caller.
    if (state === null || state.token !== token) return;
    deliver(json);
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
        suspectWaitMs: o.suspectWaitMs,
        registryMinRate: o.registryMinRate,
        registryMinLive: o.registryMinLive,
        maxForcedGcPauseMs: o.maxForcedGcPauseMs,
        forcedGcPercent: o.forcedGcPercent,
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
    // The inspector session is opened even with allocations: false: it is
    // how a confirming GC is forced (a full one, not V8's incremental kind
    // that keeps what was allocated while it marked). Without sampling it
    // costs nothing per allocation.
    profiler = new AllocationProfiler({ samplingIntervalBytes: o.samplingIntervalBytes });
    feed = new HeapFeed(sampler, {
      intervalMs: o.intervalMs,
      profiler,
      sampling: o.allocations,
      nearHeapLimitFraction: o.nearHeapLimitFraction,
      // Near the heap limit: the report is made and delivered synchronously,
      // on the JS thread, before V8 can abort.
      onNearLimit: (json) => {
        if (state !== null && state.token === token) deliver(json);
      },
    });
  } catch (err) {
    if (profiler !== null) profiler.close();
    sampler.shutdown(SHUTDOWN_TIMEOUT_MS); // never leave the thread behind
    throw err;
  }
  const attributor = o.allocations ? new Attributor({ getScriptSource: (id) => profiler.scriptSource(id) }) : null;
  state = { sampler, feed, profiler, attributor, timers: false, listeners: false, options: o, token };
  try {
    feed.start();
    // Each returns false when it was already on (the user turned it on):
    // stop() undoes only what start() did.
    if (o.timers) state.timers = timers.patchTimers() === true;
    if (o.listeners) state.listeners = listeners.trackListeners(o.listeners === true ? undefined : { mode: o.listeners }) === true;
    state.ownBase = ownCounts();
    state.ownSince = Date.now();
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
    lastReport = attributed(JSON.parse(s.sampler.reportJson()), s);
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
 * The current report (docs/sampler.md, "Report"). After stop(), the last report taken at
 * stop; before any start(), an empty one. `running` says which.
 */
function report() {
  if (state === null) return { ...(lastReport ?? emptyReport()), running: false, caches: liveCaches() };
  const r = attributed(JSON.parse(state.sampler.reportJson()), state);
  r.running = true;
  r.caches = liveCaches();
  return r;
}

/** The bounded timeline (last 600 samples) for the HTML report; internal. */
function history() {
  if (state === null) return lastHistory.slice();
  return JSON.parse(state.sampler.historyJson());
}

/** The resolved options of the running sampler, or null (register's start-up line). Internal. */
function runningOptions() {
  if (state === null) return null;
  const { onLeak, ...rest } = state.options;
  return {
    ...rest,
    onLeak: onLeak !== undefined,
    profiling: state.profiler !== null && state.profiler.running,
  };
}

/** Runs one sampler tick now (tests); false when not running. Internal. */
function flush(timeoutMs = 2000) {
  return state !== null && state.sampler.flush(timeoutMs);
}

module.exports = { start, stop, report, formatReport, history, flush, resolveOptions, runningOptions, START_OPTIONS };
