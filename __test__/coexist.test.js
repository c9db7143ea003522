'use strict';
// Sharing the process with an APM agent, without the agent: V8's one sampling
// heap profiler (another inspector session, or a v8.startHeapProfile() handle,
// plays the agent's pprof) and prototype methods that another library wraps
// after leakguard (a shimmer-style wrapper). The OpenTelemetry SDK itself is
// in coexist-otel.test.js.
const test = require('node:test');
const assert = require('node:assert/strict');
const v8 = require('node:v8');
const inspector = require('node:inspector');
const EventEmitter = require('node:events');
const nodeTimers = require('node:timers');
const { PerformanceObserver, constants } = require('node:perf_hooks');

const lg = require('..');
const { AllocationProfiler } = require('../lib/sampler/allocation-profiler');
const timers = require('../lib/timers');
const { captureWarnings } = require('./support/warnings');

const HAS_START_HEAP_PROFILE = typeof v8.startHeapProfile === 'function';

/** Another inspector session (the agent): post() answers synchronously in this thread. */
function otherSession() {
  const session = new inspector.Session();
  session.connect();
  const ask = (method, params = {}) => {
    let answer;
    session.post(method, params, (err, result) => {
      answer = err ? { error: err.message } : { result };
    });
    return answer;
  };
  return { ask, close: () => session.disconnect() };
}

const retained = [];
function growsHere(n) {
  for (let i = 0; i < n; i++) retained.push({ i, pad: `entry-${i}-${'x'.repeat(64)}` });
}

test("a sampling another tool started is read, reported as the other's and left running by stop()", () => {
  const agent = otherSession();
  try {
    assert.ok(agent.ask('HeapProfiler.startSampling', { samplingInterval: 4096 }).result);
    lg.start({ intervalMs: 50, timers: false, listeners: false });
    const status = lg.report().sampler.allocationProfile;
    assert.equal(status.owner, 'other');
    assert.equal(status.reader, 'inspector', "another tool's sampling is read through the inspector, which leaves it running");
    lg.stop();
    assert.ok(agent.ask('HeapProfiler.getSamplingProfile').result, "the agent's sampling still runs after stop()");
  } finally {
    lg.stop();
    agent.ask('HeapProfiler.stopSampling');
    agent.close();
  }
});

test("leakguard's own sampling stopped under it is started again, counted and warned about once", async () => {
  const agent = otherSession();
  const { warnings, restore } = captureWarnings();
  const p = new AllocationProfiler({ samplingIntervalBytes: 4096 });
  try {
    p.start();
    assert.equal(p.status().owner, 'leakguard');
    for (let round = 1; round <= 2; round++) {
      // The agent's "profiling off": it stops the one V8 sampling heap profiler.
      assert.ok(agent.ask('HeapProfiler.stopSampling').result);
      let read;
      p.read((suspects) => (read = suspects));
      assert.equal(read, null, 'a read that found the sampling stopped has no suspects');
      assert.deepEqual({ owner: p.status().owner, stoppedUnder: p.status().stoppedUnder }, { owner: 'leakguard', stoppedUnder: round });
      assert.ok(agent.ask('HeapProfiler.getSamplingProfile').result, 'sampling runs again');
    }
    p.close();
    assert.ok(agent.ask('HeapProfiler.getSamplingProfile').error, 'the sampling leakguard started is stopped by close()');
    await restore();
    assert.deepEqual(
      warnings.map((w) => w.code),
      ['LEAKGUARD_PROFILER_STOPPED'],
    );
  } finally {
    p.close();
    await restore();
    agent.close();
  }
});

test('report() names the path that reads the profile', () => {
  lg.start({ intervalMs: 50, timers: false, listeners: false });
  try {
    const status = lg.report().sampler.allocationProfile;
    assert.equal(status.owner, 'leakguard');
    assert.equal(status.reader, HAS_START_HEAP_PROFILE ? 'v8.startHeapProfile' : 'inspector');
  } finally {
    lg.stop();
  }
});

test('where Node has v8.startHeapProfile, a read names the growing function without a forced GC', { skip: !HAS_START_HEAP_PROFILE && 'this Node has no v8.startHeapProfile()' }, async () => {
  const majors = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if ((e.detail ? e.detail.kind : e.kind) === constants.NODE_PERFORMANCE_GC_MAJOR) majors.push(e);
  });
  observer.observe({ entryTypes: ['gc'] });
  const p = new AllocationProfiler({ samplingIntervalBytes: 1024 });
  try {
    p.start();
    assert.equal(p.status().reader, 'v8.startHeapProfile');
    assert.equal(p.readForcesGc, false);
    growsHere(20_000);
    await new Promise((resolve) => setImmediate(resolve));
    const before = majors.length;
    let suspects;
    p.read((s) => (suspects = s));
    await new Promise((resolve) => setTimeout(resolve, 20)); // GC entries arrive on a later turn
    assert.equal(majors.length, before, 'no major GC for the read');
    assert.ok(suspects.some((s) => s.site.functionName === 'growsHere'), 'the growing function is a suspect');
    // Sampling runs on after the read: the next one sees only what was allocated since.
    growsHere(20_000);
    let next;
    p.read((s) => (next = s));
    assert.ok(next.some((s) => s.site.functionName === 'growsHere'));
  } finally {
    observer.disconnect();
    p.close();
    retained.length = 0;
  }
});

test("where Node has v8.startHeapProfile, a program's own handle keeps its profile through leakguard's start and stop", { skip: !HAS_START_HEAP_PROFILE && 'this Node has no v8.startHeapProfile()' }, () => {
  const mine = v8.startHeapProfile();
  try {
    lg.start({ intervalMs: 50, timers: false, listeners: false });
    assert.equal(lg.report().sampler.allocationProfile.owner, 'other');
    lg.stop();
    const profile = JSON.parse(mine.stop());
    assert.ok(profile.head, "the program's profile came back");
  } finally {
    lg.stop();
    try {
      mine.stop();
    } catch {
      // stopped above
    }
  }
});

test('stop() leaves wrappers installed after leakguard in place, stops counting through them, warns once per capability, and a later start() counts again without wrapping twice', async () => {
  const nodeSetTimeout = globalThis.setTimeout;
  const nodeOn = EventEmitter.prototype.on;
  const { warnings, restore } = captureWarnings();
  try {
    lg.start({ intervalMs: 50, timers: true, listeners: true });
    const leakguardSetTimeout = globalThis.setTimeout;
    const leakguardOn = EventEmitter.prototype.on;
    assert.notEqual(leakguardSetTimeout, nodeSetTimeout);
    // The agent wraps after leakguard, as shimmer does.
    const calls = { timers: 0, on: new Set() };
    const agentSetTimeout = function setTimeout(...args) {
      calls.timers++;
      return Reflect.apply(leakguardSetTimeout, this, args);
    };
    const agentOn = function on(...args) {
      calls.on.add(this);
      return Reflect.apply(leakguardOn, this, args);
    };
    globalThis.setTimeout = agentSetTimeout;
    EventEmitter.prototype.on = agentOn;

    lg.stop();
    assert.equal(globalThis.setTimeout, agentSetTimeout, "the agent's setTimeout is still installed");
    assert.equal(EventEmitter.prototype.on, agentOn, "the agent's on is still installed");
    assert.equal(nodeTimers.setTimeout, nodeSetTimeout, 'what nobody wrapped again is put back');
    assert.equal(EventEmitter.prototype.addListener, nodeOn, 'what nobody wrapped again is put back');
    assert.equal(timers.timersPatched(), false);

    // The chain still works, and leakguard no longer counts through it.
    const created = timers.timersCreated();
    await new Promise((resolve) => setTimeout(resolve, 1));
    assert.equal(timers.timersCreated(), created, 'no timer counted after stop()');
    const e = new EventEmitter();
    let heard = 0;
    e.on('x', () => heard++);
    e.emit('x');
    assert.equal(heard, 1);
    assert.ok(calls.timers >= 1 && calls.on.has(e), "calls go through the agent's wrappers");
    assert.deepEqual(lg.listeners(), []);

    await restore();
    assert.deepEqual(warnings.map((w) => w.code), ['LEAKGUARD_WRAPPED_AFTER', 'LEAKGUARD_WRAPPED_AFTER']);
    assert.match(warnings[0].message + warnings[1].message, /setTimeout/);
    assert.match(warnings[0].message + warnings[1].message, /\bon\b/);

    // A later start() counts through leakguard's functions inside the chain, once each.
    lg.start({ intervalMs: 50, timers: true, listeners: true });
    assert.equal(globalThis.setTimeout, agentSetTimeout);
    assert.equal(EventEmitter.prototype.on, agentOn);
    const bus = new EventEmitter();
    for (let i = 0; i < 3; i++) bus.on('job', () => {});
    const row = lg.listeners().find((s) => s.event === 'job');
    assert.equal(row.live, 3, 'each listener counted once');
    const t = setTimeout(() => {}, 60_000);
    const mine = lg.timers().filter((s) => s.kind === 'timeout' && s.delay === 60_000);
    assert.deepEqual(mine.map((s) => s.live), [1], 'the timer counted once');
    clearTimeout(t);
    lg.stop();
  } finally {
    lg.stop();
    await restore();
    globalThis.setTimeout = nodeSetTimeout;
    EventEmitter.prototype.on = nodeOn;
  }
});
