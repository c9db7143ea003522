'use strict';
// The fields of a report that JavaScript adds to the one the Rust sampler
// makes (src/sampler/report.rs), all of them here:
//
// - `running` and `caches` (every live leakguard cache, lib/internal/live.js),
//   on every report() answer;
// - `sampler.gcWatch` and `sampler.gcWatchUnavailable`: how GCs are watched
//   (lib/sampler/heap-feed.js);
// - `sampler.allocationProfile`: who runs V8's sampling heap profiler and how
//   leakguard reads it (lib/sampler/allocation-profiler.js);
// - `sampler.overhead.allocation`: leakguard's own allocation, estimated
//   (lib/sampler/own-allocation.js);
// - on allocation suspects, the candidate lines and what goes with them
//   (lib/sampler/attribution.js);
// - `work`: growth per unit of work, the post-GC heap fitted against HTTP
//   requests and units declared with work() (lib/sampler/work.js).
//
// The empty report (before any start()) is the Rust one's empty value, so it
// has every field a live report has; `ONLY_WHILE_RUNNING` lists the fields
// added here that only a running sampler knows. __test__/report-shape.test.js
// checks both reports against the declared `Report` type.

const native = require('../internal/native');
const { liveCaches } = require('../internal/live');
const { ownAllocation } = require('./own-allocation');

/** Paths of fields this module adds only to the reports of a running sampler (optional in the types). */
const ONLY_WHILE_RUNNING = Object.freeze([
  'sampler.gcWatch',
  'sampler.gcWatchUnavailable',
  'sampler.allocationProfile',
  'sampler.overhead.allocation',
  'work',
]);

/**
 * The thread's report `report` with what the JavaScript side knows of
 * running sampler `s` ({ feed, profiler, attributor, ownBase, ownSince }):
 * how GCs are watched, leakguard's own allocation, candidate lines.
 */
function completeReport(report, s) {
  if (report.sampler) {
    report.sampler.gcWatch = s.feed.gcSource;
    if (s.feed.gcWatchUnavailable !== null) report.sampler.gcWatchUnavailable = s.feed.gcWatchUnavailable;
    if (s.profiler !== null && s.profiler.running) report.sampler.allocationProfile = s.profiler.status();
  }
  try {
    report.work = s.feed.work.summary();
  } catch {
    // a report without the fit beats no report
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
  // Nothing to attribute (no suspect, or no profile read yet): the
  // attribution modules (and acorn, which they load) stay unloaded.
  if (!Array.isArray(report.suspects) || report.suspects.length === 0 || s.profiler.facts.size === 0) return report;
  const { attributeReport, Attributor } = require('./attribution');
  if (s.attributor.instance === null) s.attributor.instance = new Attributor({ getScriptSource: s.attributor.getScriptSource });
  return attributeReport(report, s.profiler.facts, s.attributor.instance);
}

/** The report before any start(): every field of the Rust report, zero or empty. */
function emptyReport() {
  return JSON.parse(native.emptyReportJson(Date.now()));
}

/** What report() answers: `report` with `running` and the live caches. */
function withLiveFields(report, running) {
  return { ...report, running, caches: liveCaches() };
}

module.exports = { completeReport, emptyReport, withLiveFields, ONLY_WHILE_RUNNING };
