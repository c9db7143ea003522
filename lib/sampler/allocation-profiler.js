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
//
// Its connected session must not change what inspector.waitForDebugger()
// does: Node counts any connected session, an in-process one too, as a
// debugger that can resume the thread, so with it connected a program
// without an open inspector would block there for ever instead of getting
// ERR_INSPECTOR_NOT_ACTIVE. While a profiler of this thread is connected,
// waitForDebugger (on node:inspector and node:inspector/promises) is a
// wrapper that disconnects them for the call, so Node sees only the
// program's own sessions, and reconnects them after it (sampling restarts
// from an empty baseline, as at start()). The last close() puts Node's
// function back.

const { syncBuiltinESMExports } = require('node:module');
const { profileSites, diffSites } = require('./attribution');

const connected = new Set(); // profilers of this thread whose session is connected
let nodeWaitForDebugger = null; // Node's own, once a profiler connected
let inspectorModules = [];

function waitForDebugger() {
  const paused = [...connected];
  const resume = paused.map((profiler) => profiler.pause());
  try {
    return Reflect.apply(nodeWaitForDebugger, this, arguments);
  } finally {
    for (let i = 0; i < paused.length; i++) paused[i].resume(resume[i]);
  }
}

function swapWaitForDebugger(from, to) {
  let changed = false;
  for (const module of inspectorModules) {
    if (module.waitForDebugger === from) {
      module.waitForDebugger = to;
      changed = true;
    }
  }
  if (changed) syncBuiltinESMExports();
}

function track(profiler, inspector) {
  connected.add(profiler);
  if (connected.size !== 1) return;
  if (nodeWaitForDebugger === null) {
    if (typeof inspector.waitForDebugger !== 'function') return;
    nodeWaitForDebugger = inspector.waitForDebugger;
    Object.defineProperty(waitForDebugger, 'name', { value: nodeWaitForDebugger.name });
    inspectorModules = [inspector];
    try {
      inspectorModules.push(require('node:inspector/promises'));
    } catch {
      // a Node without it
    }
  }
  swapWaitForDebugger(nodeWaitForDebugger, waitForDebugger);
}

function untrack(profiler) {
  if (connected.delete(profiler) && connected.size === 0) swapWaitForDebugger(waitForDebugger, nodeWaitForDebugger);
}

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
      track(this, inspector);
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

  /** Disconnects the session for a call of Node's waitForDebugger; returns whether sampling ran (for resume()). */
  pause() {
    const sampling = this.running;
    this.running = false;
    this.previous = null;
    try {
      this.session.disconnect();
    } catch {
      // already gone
    }
    return sampling;
  }

  /** Reconnects after pause(), sampling again if it was. */
  resume(sampling) {
    try {
      this.session.connect();
    } catch {
      this.available = false;
      untrack(this);
      return;
    }
    if (sampling) this.start();
  }

  close() {
    untrack(this);
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
