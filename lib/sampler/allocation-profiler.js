'use strict';
// Allocation attribution through V8's sampling heap profiler (node:inspector,
// HeapProfiler.startSampling). Runs only while the sampler thread suspects
// growth (zero cost otherwise) at a low-overhead interval (512 KiB default).
// Each read (getSamplingProfile) forces a full GC, so it happens only when the
// thread asks for a forced GC anyway, or once per window while profiling.
//
// A profile attributes live sampled bytes to stacks of *functions* (V8 reports
// the function's declaration line, 0-based), so suspects are function-level:
// each sample is charged to its nearest user frame (builtins such as `repeat`,
// Node internals and leakguard itself are skipped; node_modules frames are
// marked), and growth is the difference of live bytes per site between reads.
//
// Must never throw into user code: every inspector failure turns the profiler
// off (`available = false`).

const { parseFrame, toSite } = require('../internal/callsite');

const MAX_SUSPECTS = 10;
const MAX_STACK = 8;

class AllocationProfiler {
  constructor({ samplingIntervalBytes }) {
    this.samplingIntervalBytes = samplingIntervalBytes;
    this.session = null;
    this.available = false;
    this.running = false;
    this.previous = null; // { t, bytes: Map<key, number> }
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
    this.previous = { t: Date.now(), bytes: new Map() };
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
        suspects = this.diff(aggregate(result.profile), Date.now());
      } catch {
        suspects = null;
      }
      cb(suspects);
    });
  }

  diff(current, now) {
    const prev = this.previous;
    this.previous = { t: now, bytes: new Map([...current].map(([k, v]) => [k, v.bytes])) };
    if (prev === null) return [];
    const dt = Math.max(0.001, (now - prev.t) / 1000);
    const out = [];
    for (const [key, entry] of current) {
      const growth = (entry.bytes - (prev.bytes.get(key) ?? 0)) / dt;
      if (growth > 0) out.push({ site: entry.site, stack: entry.stack, bytes: entry.bytes, growth, count: entry.count });
    }
    out.sort((a, b) => b.growth - a.growth);
    return out.slice(0, MAX_SUSPECTS);
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

/** A user frame for a profile call frame, or null (builtins, internals, leakguard). */
function userFrame(cf, cache) {
  const key = `${cf.url}:${cf.lineNumber}:${cf.columnNumber}:${cf.functionName}`;
  if (cache.has(key)) return cache.get(key);
  let frame = null;
  if (cf.url !== '' && cf.lineNumber >= 0) {
    const name = cf.functionName === '' ? '<anonymous>' : cf.functionName;
    const parsed = parseFrame(`    at ${name} (${cf.url}:${cf.lineNumber + 1}:${cf.columnNumber + 1})`);
    if (parsed !== null && !parsed.internal && !parsed.own) {
      frame = toSite(parsed);
      if (frame.functionName === '<anonymous>') frame.functionName = null;
    }
  }
  cache.set(key, frame);
  return frame;
}

/** Live sampled bytes per nearest user frame: Map<key, { site, stack, bytes, count }>. */
function aggregate(profile) {
  const cache = new Map();
  const bySite = new Map();
  const nodeSite = new Map();
  const walk = (node, userStack) => {
    const f = userFrame(node.callFrame, cache);
    const stack = f === null ? userStack : [f, ...userStack].slice(0, MAX_STACK);
    if (stack.length > 0) {
      const site = stack[0];
      const key = `${site.file}:${site.line}:${site.column}:${site.functionName}`;
      nodeSite.set(node.id, key);
      if (node.selfSize > 0) {
        let e = bySite.get(key);
        if (e === undefined) bySite.set(key, (e = { site, stack, bytes: 0, count: 0 }));
        e.bytes += node.selfSize;
      }
    }
    for (const child of node.children) walk(child, stack);
  };
  walk(profile.head, []);
  for (const s of profile.samples || []) {
    const e = bySite.get(nodeSite.get(s.nodeId));
    if (e !== undefined) e.count += 1;
  }
  return bySite;
}

module.exports = { AllocationProfiler, aggregate };
