'use strict';
// start/stop/report/formatReport in this process, plus the situations that
// need their own process or thread: a blocked event loop, a worker, the
// register preload. Workload scenarios are in sampler-scenarios.test.js.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Worker } = require('node:worker_threads');
const { EventEmitter } = require('node:events');
const nodeTimers = require('node:timers');

const ROOT = path.resolve(__dirname, '..');
const lg = require('..');
const sampler = require('../lib/sampler');
const { flush } = require('../lib/internal/unsafe-internals').unsafeExposeInternals('sampler');
const native = require('../lib/internal/native');
const { CELL } = require('../lib/sampler/heap-feed');
const { assertWorkerChurnSurvives } = require('./support/worker-churn');

const INVALID = { code: 'ERR_LEAKGUARD_INVALID_OPTION' };

test('options are validated up front, naming the option, and a refused start() starts nothing', () => {
  assert.throws(() => lg.start(null), { ...INVALID, name: 'TypeError' });
  assert.throws(() => lg.start({ intervalMs: '250' }), { ...INVALID, name: 'TypeError', message: /intervalMs/ });
  assert.throws(() => lg.start({ intervalMs: 5 }), { ...INVALID, name: 'RangeError', message: /intervalMs/ });
  assert.throws(() => lg.start({ intervalMs: 250, windowMs: 500 }), { ...INVALID, name: 'RangeError', message: /windowMs/ });
  assert.throws(() => lg.start({ onLeak: 'yes' }), { ...INVALID, message: /onLeak/ });
  assert.throws(() => lg.start({ timers: 0 }), { ...INVALID, message: /timers/ });
  assert.throws(() => lg.start({ minGrowthBytes: 0 }), { ...INVALID, message: /minGrowthBytes/ });
  assert.throws(() => lg.start({ samplingIntervalBytes: 10 }), { ...INVALID, message: /samplingIntervalBytes/ });
  assert.equal(lg.report().running, false);
});

test('start() and report() with nothing to attribute load neither the attribution modules nor acorn', () => {
  const script = `
    const lg = require(${JSON.stringify(ROOT)});
    lg.start({ intervalMs: 250 });
    setTimeout(() => {
      const r = lg.report();
      lg.formatReport(r);
      lg.stop();
      const loaded = Object.keys(require.cache).filter((f) => /attribution\\.js$|candidates\\.js$|[\\/\\\\]acorn[\\/\\\\]/.test(f));
      console.log(JSON.stringify({ running: r.running, suspects: r.suspects.length, loaded }));
    }, 600);
  `;
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(out.status, 0, out.stderr);
  const seen = JSON.parse(out.stdout.trim().split('\n').pop());
  assert.equal(seen.running, true);
  assert.equal(seen.suspects, 0);
  assert.deepEqual(seen.loaded, []);
});

test('defaults are documented values derived from intervalMs', () => {
  const d = sampler.resolveOptions();
  assert.equal(d.intervalMs, 1000);
  assert.equal(d.windowMs, 16_000);
  assert.equal(d.warmupMs, 16_000);
  assert.equal(d.minGrowthBytes, 4 * 1024 * 1024);
  assert.equal(d.samplingIntervalBytes, 512 * 1024);
  assert.equal(d.maxForcedGcPauseMs, 250);
  assert.equal(d.forcedGcPercent, 1);
  const t = sampler.resolveOptions({ intervalMs: 250 });
  assert.equal(t.windowMs, 8000);
  assert.equal(t.minGcGapMs, 1000);
  assert.equal(t.suspectWaitMs, 2000);
  // One list of option names, one table of defaults.
  const { START_OPTIONS, defaultsFor } = require('../lib/sampler/settings');
  assert.deepEqual(Object.keys(defaultsFor()).sort(), START_OPTIONS.filter((n) => n !== 'onLeak').sort());
});

test('the heap feed layout agrees with the Rust side', () => {
  const rust = JSON.parse(native.heapFeedLayoutJson());
  assert.deepEqual(rust, { ...CELL });
});

test('start() twice is harmless, report() is live, stop() is idempotent and restores everything', () => {
  const before = {
    setTimeout: globalThis.setTimeout,
    setInterval: globalThis.setInterval,
    moduleSetTimeout: nodeTimers.setTimeout,
    on: EventEmitter.prototype.on,
    removeListener: EventEmitter.prototype.removeListener,
  };
  lg.start({ intervalMs: 50 });
  try {
    // A second start() changes nothing; options given to it are not applied and a warning says so.
    const seen = [];
    const emitWarning = process.emitWarning;
    process.emitWarning = (message, options) => seen.push(options && options.code);
    try {
      lg.start({ intervalMs: 50 });
    } finally {
      process.emitWarning = emitWarning;
    }
    assert.deepEqual(seen, ['LEAKGUARD_ALREADY_STARTED']);
    assert.notEqual(globalThis.setTimeout, before.setTimeout, 'timers patched');
    assert.notEqual(EventEmitter.prototype.on, before.on, 'listener ledger on');
    assert.ok(flush());
    const r = lg.report();
    assert.equal(r.running, true);
    assert.equal(r.leaking, false);
    assert.equal(r.since, null);
    // The figures are this process's: within a factor of what Node says now
    // (the heap moves between the sample and this line), and consistent.
    const m = process.memoryUsage();
    const near = (value, actual, what) => assert.ok(value > actual / 4 && value < actual * 4, `${what}: ${value} vs ${actual} now`);
    near(r.heap.usedBytes, m.heapUsed, 'heap.usedBytes');
    near(r.heap.totalBytes, m.heapTotal, 'heap.totalBytes');
    near(r.heap.rssBytes, m.rss, 'heap.rssBytes');
    assert.ok(r.heap.totalBytes >= r.heap.usedBytes, 'used within total');
    assert.ok(r.heap.rssBytes > r.heap.usedBytes / 4);
    assert.ok(r.heap.externalBytes > 0 && r.heap.arrayBuffersBytes <= r.heap.externalBytes, 'array buffers are part of external memory');
    assert.ok(r.heap.baselineBytes > 0 && r.heap.baselineBytes <= r.heap.totalBytes, `baseline ${r.heap.baselineBytes}`);
    for (const k of ['slopeBytesPerSec', 'externalSlopeBytesPerSec', 'rssSlopeBytesPerSec', 'nativeSlopeBytesPerSec']) {
      assert.ok(Number.isFinite(r.heap[k]), `${k}: ${r.heap[k]}`);
    }
    const o = sampler.resolveOptions({ intervalMs: 50 });
    assert.equal(r.heap.windowMs, o.windowMs, 'the window start() resolved');
    assert.equal(r.heap.longWindowMs, o.windowMs * o.longWindowFactor);
    assert.ok(r.heap.samples >= 1, 'flush() took a sample');
    assert.equal(r.heap.heapLimitBytes, require('node:v8').getHeapStatistics().heap_size_limit);
    assert.deepEqual(r.heap.growing, []);
    assert.equal(r.sampler.intervalMs, 50);
    assert.ok(['v8', 'observer'].includes(r.sampler.gcWatch), `gcWatch: ${r.sampler.gcWatch}`);
    const ordered = (x) => 0 <= x.p50Ms && x.p50Ms <= x.p99Ms && x.p99Ms <= x.maxMs;
    assert.deepEqual(Object.keys(r.eventLoopLag).sort(), ['maxMs', 'p50Ms', 'p99Ms', 'stalledMs']);
    assert.ok(ordered(r.eventLoopLag) && r.eventLoopLag.stalledMs >= 0, JSON.stringify(r.eventLoopLag));
    assert.deepEqual(Object.keys(r.gcPause).sort(), ['count', 'maxMs', 'p50Ms', 'p99Ms']);
    assert.ok(ordered(r.gcPause) && Number.isInteger(r.gcPause.count) && r.gcPause.count >= 0, JSON.stringify(r.gcPause));
    assert.deepEqual(r.suspects, [], 'nothing grows yet');
    assert.ok(Math.abs(r.generatedAt - Date.now()) < 60_000);
    const h = sampler.history();
    assert.ok(h.length >= 1);
    assert.deepEqual(Object.keys(h[0]).sort(), ['baselineBytes', 'externalBytes', 'heapUsedBytes', 'lagP99Ms', 'leaking', 'rssBytes', 't']);
  } finally {
    lg.stop();
  }
  lg.stop();
  assert.equal(globalThis.setTimeout, before.setTimeout);
  assert.equal(globalThis.setInterval, before.setInterval);
  assert.equal(nodeTimers.setTimeout, before.moduleSetTimeout);
  assert.equal(EventEmitter.prototype.on, before.on);
  assert.equal(EventEmitter.prototype.removeListener, before.removeListener);
  const after = lg.report();
  assert.equal(after.running, false);
  assert.ok(after.heap.samples >= 1, 'the last report is kept after stop()');
  assert.equal(flush(), false);
});

test("report().sampler.overhead accounts leakguard's own busy time on both threads", async () => {
  lg.start({ intervalMs: 50, timers: false, listeners: false });
  try {
    assert.ok(flush());
    const first = lg.report().sampler.overhead;
    // A few heartbeats and ticks later (bounded wait, no timing asserted).
    await new Promise((resolve) => nodeTimers.setTimeout(resolve, 300));
    assert.ok(flush());
    const o = lg.report().sampler.overhead;
    assert.deepEqual(Object.keys(o).sort(), ['allocation', 'elapsedMs', 'jsBusyMs', 'jsPercent', 'threadBusyMs', 'threadPercent']);
    assert.deepEqual(o.allocation, { estimatedBytes: 0, bytesPerSec: 0, timersCreated: 0, listenersCounted: 0, emittersTracked: 0 }, 'nothing tracked, nothing made');
    assert.ok(o.threadBusyMs > 0, 'the thread counted its ticks');
    assert.ok(o.jsBusyMs > 0, 'the heartbeat counted itself');
    assert.ok(o.elapsedMs > first.elapsedMs);
    assert.ok(o.threadBusyMs >= first.threadBusyMs && o.jsBusyMs >= first.jsBusyMs, 'totals only grow');
    assert.ok(Math.abs(o.threadPercent - (o.threadBusyMs / o.elapsedMs) * 100) < 1e-9);
    assert.ok(Math.abs(o.jsPercent - (o.jsBusyMs / o.elapsedMs) * 100) < 1e-9);
  } finally {
    lg.stop();
  }
});

test("report().sampler.overhead.allocation estimates the heap the timers patch and the ledger allocated, and formatReport prints it", () => {
  const { BYTES } = require('../lib/sampler/own-allocation');
  lg.start({ intervalMs: 50 });
  try {
    const base = lg.report().sampler.overhead.allocation;
    const held = [];
    for (let i = 0; i < 500; i++) held.push(setTimeout(() => i, 1e6));
    const bus = new EventEmitter();
    bus.setMaxListeners(0);
    for (let i = 0; i < 100; i++) {
      const e = new EventEmitter();
      e.on('close', () => i);
      bus.on('config', () => i);
    }
    for (const t of held) clearTimeout(t);
    const r = lg.report();
    const a = r.sampler.overhead.allocation;
    assert.ok(a.timersCreated - base.timersCreated >= 500, `${a.timersCreated} timers counted`);
    assert.ok(a.emittersTracked - base.emittersTracked >= 101, `${a.emittersTracked} emitters counted`);
    assert.ok(a.listenersCounted - base.listenersCounted >= 200, `${a.listenersCounted} listeners counted`);
    const expected = a.timersCreated * BYTES.TIMER + a.emittersTracked * BYTES.BOOK + (a.listenersCounted - a.emittersTracked) * BYTES.ADD;
    assert.equal(a.estimatedBytes, expected);
    assert.ok(a.bytesPerSec > 0);
    assert.match(lg.formatReport(r), /leakguard's own allocation \(estimate\): .+\/s, .+ since start \(\d+ timers, \d+ listeners on \d+ emitters\)/);
  } finally {
    lg.stop();
  }
});

test('{ timers: false, listeners: false } leaves both alone; a patch the user made survives stop()', () => {
  const before = globalThis.setTimeout;
  const on = EventEmitter.prototype.on;
  lg.start({ intervalMs: 50, timers: false, listeners: false });
  assert.equal(globalThis.setTimeout, before);
  assert.equal(EventEmitter.prototype.on, on);
  lg.stop();
  lg.patchTimers();
  try {
    const patched = globalThis.setTimeout;
    lg.start({ intervalMs: 50 });
    lg.stop();
    assert.equal(globalThis.setTimeout, patched, 'not undone: start() did not do it');
  } finally {
    lg.unpatchTimers();
  }
});

test('formatReport prints the verdict, figures and ranked suspects with stacks', () => {
  const site = { file: '/srv/tenants.js', line: 4, column: 3, functionName: 'addTenant', nodeModules: false };
  const text = lg.formatReport({
    leaking: true,
    since: Date.UTC(2026, 0, 1),
    heap: { usedBytes: 6e7, totalBytes: 8e7, rssBytes: 1.2e8, externalBytes: 2e6, baselineBytes: 4.5e7, slopeBytesPerSec: 2.1e6, rssSlopeBytesPerSec: 2e6, windowMs: 8000, growing: ['heap'] },
    eventLoopLag: { p50Ms: 1, p99Ms: 4, maxMs: 12 },
    gcPause: { p50Ms: 2, p99Ms: 9, maxMs: 20, count: 31 },
    suspects: [
      { kind: 'timer', site, stack: [site, { ...site, line: 20, functionName: 'main' }], description: 'setInterval at /srv/tenants.js:4:3 has 1 250 live intervals, growing 250/s' },
    ],
    sampler: { overhead: { elapsedMs: 60_000, threadBusyMs: 12, jsBusyMs: 90, threadPercent: 0.02, jsPercent: 0.15 } },
  });
  assert.match(text, /LEAKING since 2026-01-01T00:00:00\.000Z \(heap\)/);
  assert.match(text, /heap baseline 45\.0 MB \(post-GC\), growing 2\.1 MB\/s/);
  assert.match(text, /1\. \[timer\] setInterval at \/srv\/tenants\.js:4:3 has 1 250 live intervals/);
  assert.match(text, /at main \(\/srv\/tenants\.js:20:3\)/);
  assert.match(text, /leakguard's own cost: 0\.17% of one core \(sampler thread 0\.02%, JS thread 0\.15%\)/);
  assert.match(lg.formatReport(lg.report()), /no leak detected/);
  assert.throws(() => lg.formatReport('x'), INVALID);
});

test('the thread keeps sampling while the event loop is blocked and reports the stall', () => {
  const script = `
    const lg = require(${JSON.stringify(ROOT)});
    const { history } = require(${JSON.stringify(path.join(ROOT, 'lib/sampler/index.js'))});
    lg.start({ intervalMs: 100, timers: false, listeners: false });
    setTimeout(() => {
      const before = history().length;
      const end = Date.now() + 1500;
      while (Date.now() < end); // blocked: no JS runs, the Rust thread does
      const during = history().length - before;
      setTimeout(() => {
        const r = lg.report();
        console.log(JSON.stringify({ during, maxMs: r.eventLoopLag.maxMs }));
        lg.stop();
      }, 300);
    }, 300);
  `;
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(out.status, 0, out.stderr);
  const { during, maxMs } = JSON.parse(out.stdout);
  assert.ok(during >= 5, `only ${during} samples taken during a 1.5 s block at 100 ms`);
  assert.ok(maxMs >= 1000, `lag max ${maxMs} ms after a 1.5 s block`);
});

test('start() in a worker works, and the worker exits on its own without stop()', async () => {
  const source = `
    const { parentPort } = require('node:worker_threads');
    const lg = require(${JSON.stringify(ROOT)});
    const { flush } = require(${JSON.stringify(path.join(ROOT, 'lib/internal/unsafe-internals.js'))}).unsafeExposeInternals('sampler');
    lg.start({ intervalMs: 50 });
    const t = setTimeout(() => {}, 10); // through the worker's own timers patch
    flush();
    const r = lg.report();
    parentPort.postMessage({ running: r.running, used: r.heap.usedBytes, samples: r.heap.samples });
    // No stop(): the sampler must not keep this thread alive.
  `;
  const w = new Worker(source, { eval: true });
  const msg = await new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  assert.equal(msg.running, true);
  assert.ok(msg.used > 0 && msg.samples >= 1);
  const code = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the worker did not exit within 10 s')), 10_000);
    w.once('exit', (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
  assert.equal(code, 0);
});

test('terminating workers that run the sampler never crashes the process', () => {
  assertWorkerChurnSurvives(
    `require(${JSON.stringify(ROOT)}).start({ intervalMs: 20 });
     setInterval(() => { const a = []; for (let i = 0; i < 1e4; i++) a.push({ i }); }, 1);`,
    { runs: 8, delayMs: (i) => 50 + (i % 4) * 40 },
  );
});

test('leakguard/register never stops the application: a start() that fails is a warning', () => {
  // Stands in for a failure that is not an option (the addon missing for this
  // platform, a worker's limits): lib/sampler/index.js whose start() throws.
  const sampler = path.join(ROOT, 'lib/sampler/index.js');
  const breakIt = `require.cache[${JSON.stringify(sampler)}] = { id: ${JSON.stringify(sampler)}, filename: ${JSON.stringify(sampler)}, loaded: true,
    exports: { start() { throw new Error('no addon here'); }, formatReport() { return ''; } } };`;
  const out = spawnSync(process.execPath, ['-e', `${breakIt} require(${JSON.stringify(path.join(ROOT, 'register.js'))}); console.log('the app ran');`], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout.trim(), 'the app ran');
  assert.match(out.stderr, /LEAKGUARD_START_FAILED/);
  assert.match(out.stderr, /no addon here/);
});

test('leakguard/register starts from LEAKGUARD_* variables; a bad value warns and falls back', () => {
  const probe = `const r = require(${JSON.stringify(path.join(ROOT, 'lib/sampler/index.js'))}).report();
    console.log(JSON.stringify({ running: r.running, interval: r.sampler && r.sampler.intervalMs, patched: require(${JSON.stringify(path.join(ROOT, 'lib/timers/index.js'))}).timersPatched() }));`;
  const run = (env, args) =>
    spawnSync(process.execPath, [...args, '-e', probe], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
  let out = run({ LEAKGUARD_INTERVAL_MS: '250', LEAKGUARD_TIMERS: '0' }, ['-r', path.join(ROOT, 'register.js')]);
  assert.equal(out.status, 0, out.stderr);
  let r = JSON.parse(out.stdout);
  assert.equal(r.running, true);
  assert.equal(r.interval, 250);
  assert.equal(r.patched, false, 'LEAKGUARD_TIMERS=0 leaves timers alone');
  out = run({ LEAKGUARD_INTERVAL_MS: 'often', LEAKGUARD_REPORT: 'loud' }, ['-r', path.join(ROOT, 'register.js')]);
  assert.equal(out.status, 0, out.stderr);
  r = JSON.parse(out.stdout);
  assert.equal(r.interval, 1000);
  assert.equal(r.patched, true);
  assert.match(out.stderr, /LEAKGUARD_BAD_ENV/);
  out = run({ LEAKGUARD_INTERVAL_MS: '3' }, ['-r', path.join(ROOT, 'register.js')]);
  assert.equal(JSON.parse(out.stdout).interval, 1000, 'out of range: defaults');
  out = run({ LEAKGUARD_DISABLE: '1' }, ['-r', path.join(ROOT, 'register.js')]);
  assert.equal(JSON.parse(out.stdout).running, false);
  out = spawnSync(
    process.execPath,
    ['--import', path.join(ROOT, 'register.mjs'), '--input-type=module', '-e', `import { report } from ${JSON.stringify(path.join(ROOT, 'index.mjs'))}; console.log(report().running);`],
    { encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout.trim(), 'true');
});
