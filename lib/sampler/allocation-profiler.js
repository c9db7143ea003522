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
// V8 has one sampling heap profiler per isolate, shared by every session and
// by native users (pprof-nodejs in dd-trace and Google's profiler start it
// through V8's C++ API). So leakguard starts it only when nobody runs it (an
// inspector read that fails with "not started" is the probe: it forces no GC
// then) and otherwise reads the running one without ever stopping it; its
// owner (`'leakguard'` or `'other'`) is in status(). When a read finds the
// profiler stopped under it (another tool's stop, a remote "profiling off"),
// leakguard starts its own again, counts it (`stoppedUnder`) and warns once
// (LEAKGUARD_PROFILER_STOPPED). Only a sampling leakguard started is stopped
// by close(); an inspector session whose agent never started sampling stops
// nothing when it disconnects.
//
// Where Node has v8.startHeapProfile() (Node 26), leakguard's own sampling is
// started and read through it: its handle's stop() returns the profile
// without a forced GC and without the inspector, and sampling is started again
// right after, so each read holds the live sampled bytes allocated since the
// previous one (growth per site is those bytes over the time between reads).
// Sampling run by someone else is read through the inspector, which leaves it
// running. status().reader names the path of the last read.
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

const v8 = require('node:v8');
const { syncBuiltinESMExports } = require('node:module');
// lib/sampler/attribution.js is loaded by the first profile read (growth
// suspected), not with the sampler.
const profileSites = (...args) => require('./attribution').profileSites(...args);
const diffSites = (...args) => require('./attribution').diffSites(...args);
const { WARNINGS, warnOnce } = require('../internal/errors');

// The inspector's stack depth (V8's default for HeapProfiler.startSampling);
// v8.startHeapProfile's is 16, too shallow to reach the frames that tell
// leakguard's own parsing (lib/sampler/attribution.js) from the program's.
const STACK_DEPTH = 128;
const READERS = Object.freeze({ V8: 'v8.startHeapProfile', INSPECTOR: 'inspector' });
// V8's answer to a profile read while no sampling runs (inspector, then v8.startHeapProfile's handle).
const NOT_STARTED = /not started|ERR_HEAP_PROFILE_NOT_STARTED/;

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

function messageOf(err) {
  return err === null || err === undefined ? '' : `${err.code ?? ''} ${err.message ?? err}`;
}

class AllocationProfiler {
  /**
   * @param {{ samplingIntervalBytes: number, useStartHeapProfile?: boolean }} options
   *   `useStartHeapProfile` (default: where Node has it) reads leakguard's own
   *   sampling through v8.startHeapProfile().
   */
  constructor({ samplingIntervalBytes, useStartHeapProfile = typeof v8.startHeapProfile === 'function' }) {
    this.samplingIntervalBytes = samplingIntervalBytes;
    this.useStartHeapProfile = useStartHeapProfile && typeof v8.startHeapProfile === 'function';
    this.session = null;
    this.available = false;
    this.running = false;
    /** Who started the sampling being read: 'leakguard', 'other', or null when none runs. */
    this.owner = null;
    this.handle = null; // v8.startHeapProfile()'s, while leakguard's own sampling runs through it
    this.reader = this.useStartHeapProfile ? READERS.V8 : READERS.INSPECTOR;
    /** Times a read found the sampling stopped by someone else. */
    this.stoppedUnder = 0;
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
      this.owner = null;
      cb(err, null);
    }
  }

  /** { reader, owner, stoppedUnder } for report().sampler.allocationProfile. */
  status() {
    return { reader: this.reader, owner: this.owner, stoppedUnder: this.stoppedUnder };
  }

  start() {
    if (!this.available || this.running) return;
    this.previous = { t: Date.now(), sites: new Map() };
    if (this.useStartHeapProfile) {
      try {
        this.handle = v8.startHeapProfile({ sampleInterval: this.samplingIntervalBytes, stackDepth: STACK_DEPTH });
        this.running = true;
        this.owner = 'leakguard';
        this.reader = READERS.V8;
        return;
      } catch {
        // already running (ERR_HEAP_PROFILE_HAVE_BEEN_STARTED): someone else's, probed below
      }
    }
    // The probe: a read answers only while some sampling runs (and forces no GC when none does).
    let elsewhere = false;
    this.post('HeapProfiler.getSamplingProfile', {}, (err) => {
      elsewhere = !err;
    });
    if (!this.available) return;
    this.reader = READERS.INSPECTOR;
    if (elsewhere) {
      this.running = true;
      this.owner = 'other';
      return;
    }
    this.running = true;
    this.owner = 'leakguard';
    this.post('HeapProfiler.startSampling', { samplingInterval: this.samplingIntervalBytes }, (err) => {
      if (err) {
        this.running = false;
        this.owner = null;
      }
    });
  }

  stop() {
    if (!this.running) return;
    this.running = false;
    this.previous = null;
    const owner = this.owner;
    this.owner = null;
    if (owner !== 'leakguard') return; // never stop a sampling leakguard did not start
    if (this.handle !== null) {
      const handle = this.handle;
      this.handle = null;
      try {
        handle.stop();
      } catch {
        // already stopped by someone else
      }
      return;
    }
    this.post('HeapProfiler.stopSampling', {}, () => {});
  }

  /** The sampling was stopped by someone else: say so once, and sample again (leakguard's own now). */
  stoppedByOther() {
    this.stoppedUnder += 1;
    warnOnce(
      WARNINGS.PROFILER_STOPPED,
      "V8's sampling heap profiler (one per process) was stopped by other code while leakguard read it; leakguard started its own sampling again (report().sampler.allocationProfile.stoppedUnder counts these)",
    );
    this.running = false;
    this.owner = null;
    this.handle = null;
    this.start();
  }

  collectGarbage(cb) {
    if (!this.available) return cb();
    this.post('HeapProfiler.collectGarbage', {}, () => cb());
  }

  /**
   * Whether a read forces a full GC: the inspector's read of leakguard's own
   * sampling does; v8.startHeapProfile's does not, nor does a read of
   * another tool's sampling started without V8's force-GC flag (pprof's).
   */
  get readForcesGc() {
    return this.running && this.handle === null && this.owner === 'leakguard';
  }

  /** Whether a read is v8.startHeapProfile's: no GC, no inspector (cheap enough to make on the beat). */
  get readsWithoutGc() {
    return this.running && this.handle !== null;
  }

  /** Reads the profile and calls back with ranked allocation suspects, or null. */
  read(cb) {
    if (!this.running) return cb(null);
    if (this.handle !== null) return cb(this.readOwn());
    this.post('HeapProfiler.getSamplingProfile', {}, (err, result) => {
      if (err && NOT_STARTED.test(messageOf(err)) && this.running) {
        this.stoppedByOther();
        return cb(null);
      }
      if (err || !result || !this.running) return cb(null);
      this.reader = READERS.INSPECTOR;
      let suspects;
      try {
        suspects = this.diff(profileSites(result.profile), Date.now());
      } catch {
        suspects = null;
      }
      cb(suspects);
    });
  }

  /** The v8.startHeapProfile() path: stop (the read), start again, and diff against an empty baseline. */
  readOwn() {
    let json;
    try {
      json = this.handle.stop();
    } catch (err) {
      if (NOT_STARTED.test(messageOf(err))) this.stoppedByOther();
      return null;
    }
    const now = Date.now();
    this.handle = null;
    try {
      this.handle = v8.startHeapProfile({ sampleInterval: this.samplingIntervalBytes, stackDepth: STACK_DEPTH });
    } catch {
      // someone started theirs in between: read it through the inspector from now on, never stop it
      this.running = false;
      this.owner = null;
      this.start();
    }
    if (typeof json !== 'string') {
      // The handle had been stopped: its profile is gone with it.
      this.previous = { t: now, sites: new Map() };
      return null;
    }
    this.reader = READERS.V8;
    try {
      const suspects = this.diff(profileSites(JSON.parse(json)), now);
      // The next profile holds only what is allocated after this read.
      this.previous = { t: now, sites: new Map() };
      return suspects;
    } catch {
      return null;
    }
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
      this.post('Debugger.getScriptSource', { scriptId: String(scriptId) }, (e, r) => {
        if (!e && r && typeof r.scriptSource === 'string') source = r.scriptSource;
      });
      this.post('Debugger.disable', {}, () => {});
    });
    return source; // the in-thread session answers synchronously
  }

  /**
   * Disconnects the session for a call of Node's waitForDebugger; returns
   * whether sampling must start again in resume(): only leakguard's own
   * inspector sampling ends with its session.
   */
  pause() {
    const restart = this.running && this.owner === 'leakguard' && this.handle === null;
    if (restart) {
      this.running = false;
      this.owner = null;
      this.previous = null;
    }
    try {
      this.session.disconnect();
    } catch {
      // already gone
    }
    return restart;
  }

  /** Reconnects after pause(), sampling again if it was. */
  resume(restart) {
    try {
      this.session.connect();
    } catch {
      this.available = false;
      untrack(this);
      return;
    }
    if (restart) this.start();
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

module.exports = { AllocationProfiler, READERS };
