'use strict';
// start() / stop() / report() / formatReport(): the public face of the
// HeapSampler (src/sampler/). start() spawns the Rust `leakguard-sampler`
// thread, connects the heap feed (lib/sampler/heap-feed.js), starts V8's
// sampling heap profiler at once (lib/sampler/allocation-profiler.js; its
// profile is read only when a verdict needs suspects, within the forced-GC
// budget), and turns on the timers patch and the listener ledger so their rows
// reach the thread. Every report it hands out (report(), onLeak, the last
// one at stop()) has its allocation suspects named to candidate lines
// (lib/sampler/attribution.js). Settings: lib/sampler/settings.js; how it decides:
// docs/sampler.md.
//
// Must never keep the process alive (the heartbeat is unref'd, onLeak goes
// through a weak thread-safe function), never let a throwing onLeak stop
// anything, and stop() must put back everything start() changed.

const { debuglog } = require('node:util');
const native = require('../internal/native');
const { statsTable } = require('../internal/stats');
const { HeapFeed } = require('./heap-feed');
const { AllocationProfiler } = require('./allocation-profiler');
const { BufferSites } = require('./buffer-sites');
const { formatReport } = require('./report-format');
const { escapeText } = require('../internal/text');
const { ownCounts } = require('./own-allocation');
const { completeReport, emptyReport, withLiveFields } = require('./report-fields');
const { resolveSettings, nativeSettings, START_OPTIONS } = require('./settings');
const timers = require('../timers');
const listeners = require('../listeners');
const { callUser, nativeError, WARNINGS, warn } = require('../internal/errors');
const { ReportFile } = require('../internal/write-file');
const { expose } = require('../internal/unsafe-internals');

// NODE_DEBUG=leakguard prints the sampler's start, stop and each report it delivers.
let debug = debuglog('leakguard', (fn) => {
  debug = fn;
});
const {
  checkOptions,
  validateInteger,
  validateNumber,
  validateFunction,
  validateBoolean,
  validateString,
  validatePath,
  validateOneOf,
} = require('../internal/options');

const SHUTDOWN_TIMEOUT_MS = 2000;

let state = null;
let lastReport = null;
let lastHistory = [];

/** A value of settings row `row` checked against its type and `bounds`; `undefined` passes through. */
function validateSetting(row, value, bounds) {
  switch (row.type) {
    case 'integer':
      return validateInteger(row.name, value, bounds);
    case 'number':
      return validateNumber(row.name, value, bounds);
    case 'boolean':
      if (row.choices !== undefined && typeof value === 'string') return validateOneOf(row.name, value, row.choices);
      return validateBoolean(row.name, value);
    case 'string':
      return validateString(row.name, value);
    case 'path':
      return validatePath(row.name, value);
    case 'function':
      return validateFunction(row.name, value);
    default:
      throw new Error(`leakguard internal: setting ${row.name} has no type ${row.type}`);
  }
}

/**
 * start()'s options, validated (unknown names refused: the accepted names are
 * the rows of lib/sampler/settings.js) and with defaults filled in.
 */
function resolveOptions(options) {
  return resolveSettings(checkOptions('start', options), validateSetting);
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
      warn(
        WARNINGS.ALREADY_STARTED,
        `leakguard: start() while already running: its options (${escapeText(Object.keys(options).join(', '))}) were not applied; call stop() first to change them`,
      );
    }
    return;
  }
  const token = {};
  const reportFile = o.reportFile === undefined ? null : new ReportFile(o.reportFile);
  if (reportFile !== null) reportFile.check();
  const deliver = (json) => {
    let report;
    try {
      report = JSON.parse(json);
    } catch {
      return;
    }
    // The file first, as the thread made it: near the heap limit the process
    // may die while candidate lines are parsed. Then again, named.
    if (reportFile !== null) reportFile.write(report);
    let named = report;
    try {
      named = completeReport(report, state);
    } catch {
      // a report without candidate lines beats no report
    }
    if (named !== report && reportFile !== null) reportFile.write(named);
    debug('sampler: report delivered, leaking %s, %d suspects', named.leaking, named.suspects?.length ?? 0);
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
      nativeSettings(o),
      onReport,
    );
  } catch (err) {
    throw nativeError(`the sampler could not start: ${err.message}`, err);
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
      // Buffer allocations by call site, while the thread suspects off-heap growth.
      bufferSites: o.allocations ? new BufferSites({ samplingIntervalBytes: o.samplingIntervalBytes, windowMs: o.windowMs, intervalMs: o.intervalMs, minGrowthBytes: o.minGrowthBytes, constructors: o.arrayBufferSites }) : null,
      nearHeapLimitFraction: o.nearHeapLimitFraction,
      reportFile: o.reportFile,
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
  // The Attributor (lib/sampler/attribution.js, with acorn behind it) is made
  // by the first report that names suspects (report-fields.js): an idle
  // process never loads it.
  const attributor = o.allocations ? { getScriptSource: (id) => profiler.scriptSource(id), instance: null } : null;
  state = { sampler, feed, profiler, attributor, timers: false, listeners: false, options: o, token };
  try {
    feed.start();
    // Each returns false when it was already on (the user turned it on):
    // stop() undoes only what start() did.
    if (o.timers) state.timers = timers.patchTimers() === true;
    if (o.listeners) state.listeners = listeners.trackListeners(o.listeners === true ? undefined : { mode: o.listeners }) === true;
    state.ownBase = ownCounts();
    state.ownSince = Date.now();
    debug('sampler: started (every %d ms, GCs watched by %s, allocations %s)', o.intervalMs, feed.gcSource, o.allocations);
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
    lastReport = completeReport(JSON.parse(s.sampler.reportJson()), s);
    lastHistory = JSON.parse(s.sampler.historyJson());
  } catch {
    // keep the previous ones
  }
  s.feed.stop();
  if (s.profiler !== null) s.profiler.close();
  s.sampler.shutdown(SHUTDOWN_TIMEOUT_MS);
  if (s.timers) timers.unpatchTimers();
  if (s.listeners) listeners.untrackListeners();
  debug('sampler: stopped');
}

/**
 * The current report (docs/sampler.md, "Report"). After stop(), the last report taken at
 * stop; before any start(), an empty one. `running` says which.
 */
function report() {
  if (state === null) return withLiveFields(lastReport ?? emptyReport(), false);
  return withLiveFields(completeReport(JSON.parse(state.sampler.reportJson()), state), true);
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

expose('sampler', {
  /** Runs one sampler tick now; false when not running. */
  flush(timeoutMs = 2000) {
    return state !== null && state.sampler.flush(timeoutMs);
  },
});

module.exports = { start, stop, report, formatReport, history, resolveOptions, runningOptions, START_OPTIONS };
