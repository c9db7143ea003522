'use strict';
// Allocation attribution through V8's sampling heap profiler (node:inspector,
// HeapProfiler.startSampling). Samples from start() on (lib/sampler/heap-feed.js)
// at a low-overhead interval (512 KiB default), so that live bytes per site
// exist when growth is judged. Each read (getSamplingProfile) forces a full
// GC, so it happens only when the thread asks for one (a verdict needs suspects).
//
// A profile attributes live sampled bytes to stacks of *functions* (V8 reports
// the function's declaration line, 0-based): each sample is charged to its
// nearest user frame, and growth is the difference of live bytes per site
// between reads (lib/sampler/attribution.js, which also keeps the whole stack
// and the growing builtin, and names candidate lines when a report is built).
//
// Its inspector session is also how a full GC is forced (collectGarbage),
// with or without sampling: start() makes one even with allocations: false.
//
// Must never throw into user code: every inspector failure turns the profiler
// off (`available = false`).

const { profileSites, diffSites } = require('./attribution');

class AllocationProfiler {
  constructor({ samplingIntervalBytes }) {
    this.samplingIntervalBytes = samplingIntervalBytes;
    this.session = null;
    this.available = false;
    this.running = false;
    this.previous = null; // { t, sites: profileSites() of the last read }
    this.facts = new Map(); // siteKey -> attribution facts of the last read's suspects
    try {
      const inspector = require('node:inspector');
      this.session = new inspector.Session();
      this.session.connect();
      this.available = true;
    } catch {
      this.session = null; // built without the inspector, or refused in this thread
    }
  }

  post(method, params, cb) {
    try {
      this.session.post(method, params, cb);
    } catch (err) {
      this.available = false;
      this.running = false;
      cb(err, null);
    }
  }

  start() {
    if (!this.available || this.running) return;
    this.running = true;
    this.previous = { t: Date.now(), sites: new Map() };
    this.post('HeapProfiler.startSampling', { samplingInterval: this.samplingIntervalBytes }, (err) => {
      if (err) this.running = false;
    });
  }

  stop() {
    if (!this.running) return;
    this.running = false;
    this.previous = null;
    this.post('HeapProfiler.stopSampling', {}, () => {});
  }

  collectGarbage(cb) {
    if (!this.available) return cb();
    this.post('HeapProfiler.collectGarbage', {}, () => cb());
  }

  /** Reads the profile (a full GC) and calls back with ranked allocation suspects, or null. */
  read(cb) {
    this.post('HeapProfiler.getSamplingProfile', {}, (err, result) => {
      if (err || !result || !this.running) return cb(null);
      let suspects;
      try {
        suspects = this.diff(profileSites(result.profile), Date.now());
      } catch {
        suspects = null;
      }
      cb(suspects);
    });
  }

  diff(current, now) {
    const prev = this.previous;
    this.previous = { t: now, sites: current };
    if (prev === null) return [];
    const suspects = diffSites(current, prev.sites, (now - prev.t) / 1000);
    // What the report needs to name lines later (lib/sampler/attribution.js); the thread gets the figures.
    this.facts = new Map(suspects.map((s) => [s.facts.key, s.facts]));
    return suspects.map(({ facts: _facts, ...s }) => s);
  }

  /** The source of a script not on disk (inspector Debugger domain, on only for this call), or null. */
  scriptSource(scriptId) {
    if (!this.available) return null;
    let source = null;
    this.post('Debugger.enable', {}, (err) => {
      if (err) return;
      this.post('Debugger.getScriptSource', { scriptId }, (e, r) => {
        if (!e && r && typeof r.scriptSource === 'string') source = r.scriptSource;
      });
      this.post('Debugger.disable', {}, () => {});
    });
    return source; // the in-thread session answers synchronously
  }

  close() {
    this.stop();
    if (this.session !== null) {
      try {
        this.session.disconnect();
      } catch {
        // already gone with its thread
      }
    }
    this.session = null;
    this.available = false;
  }
}

module.exports = { AllocationProfiler };
