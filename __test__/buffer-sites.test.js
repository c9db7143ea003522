'use strict';
// Off-heap attribution (lib/sampler/buffer-sites.js): Buffer allocations
// sampled by call site, live bytes per site through a FinalizationRegistry.
// Heartbeats are simulated (observe(now) with a clock the test moves); GCs
// are forced, so the sites' series are post-GC values.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Buffer } = require('node:buffer');
const { collect, alive } = require('./support/retention');
const { BufferSites, FACTORIES } = require('../lib/sampler/buffer-sites');
const { captureWarnings } = require('./support/warnings');

// A small interval: every Buffer of 1 KiB or more is sampled (weight ≈ 1).
const options = { samplingIntervalBytes: 64, windowMs: 8000, intervalMs: 250, minGrowthBytes: 256 * 1024 };
const originals = Object.fromEntries(FACTORIES.map((name) => [name, Buffer[name]]));

const kept = [];
function leak() {
  kept.push(Buffer.alloc(4096)); // the leaking line
}
const LEAK_LINE = require('node:fs').readFileSync(__filename, 'utf8').split('\n').findIndex((l) => l.endsWith('// the leaking line')) + 1;
function churn() {
  return Buffer.concat([Buffer.allocUnsafe(2048), Buffer.from('x'.repeat(2048))]).length;
}

test('a Buffer leak at a known line is the growing site; a churn that is freed is not', async (t) => {
  let majorGcs = 0;
  const sites = new BufferSites({ ...options, majorGcs: () => majorGcs });
  t.after(() => {
    sites.disarm();
    kept.length = 0;
  });
  let now = 1_000_000;
  assert.equal(sites.arm(now), true);
  let found = [];
  for (let beat = 0; beat < 40; beat++) {
    for (let i = 0; i < 5; i++) {
      leak();
      churn();
    }
    await collect();
    majorGcs += 4;
    now += 250;
    found = sites.observe(now);
  }
  assert.equal(found.length, 1, JSON.stringify(found, null, 1));
  const [s] = found;
  assert.equal(s.site.file, __filename);
  assert.equal(s.site.line, LEAK_LINE);
  assert.equal(s.site.functionName, 'leak');
  assert.equal(s.api, 'Buffer.alloc');
  // 200 Buffers of 4 KiB kept; 20 per second of simulated time.
  assert.ok(Math.abs(s.count - 200) <= 5, `count ${s.count}`);
  assert.ok(Math.abs(s.bytes - 200 * 4096) <= 5 * 4096, `bytes ${s.bytes}`);
  assert.ok(s.growth > 0);
  // The churn's sites were sampled (concat once: its inner allocUnsafe is not a second allocation) and are back to nothing.
  const churned = [...sites.sites.values()].filter((r) => r.site.functionName === 'churn');
  assert.deepEqual(churned.map((r) => r.api).sort(), ['Buffer.allocUnsafe', 'Buffer.concat', 'Buffer.from']);
  for (const r of churned) assert.ok(r.bytes < 1, `${r.api} still has ${r.bytes} bytes live`);
});

test('Buffers no major GC has seen yet are not growth (garbage a weakly watched Buffer stays until then)', (t) => {
  const majorGcs = 7;
  const sites = new BufferSites({ ...options, majorGcs: () => majorGcs });
  t.after(() => sites.disarm());
  let now = 1_000_000;
  sites.arm(now);
  let found = [];
  for (let beat = 0; beat < 40; beat++) {
    for (let i = 0; i < 5; i++) churn();
    now += 250;
    found = sites.observe(now);
  }
  assert.ok(sites.samples > 0);
  assert.deepEqual(found, []);
});

test('the tracker holds no Buffer: a sampled Buffer dropped by the program is collected', async (t) => {
  const sites = new BufferSites(options);
  t.after(() => sites.disarm());
  sites.arm();
  const refs = [];
  (() => {
    for (let i = 0; i < 20; i++) refs.push(new WeakRef(Buffer.allocUnsafeSlow(8192)));
  })();
  assert.ok(sites.samples >= 20, `sampled ${sites.samples}`);
  await collect();
  assert.equal(alive(refs), 0, 'a sampled Buffer outlived the program');
  for (const r of sites.sites.values()) assert.ok(r.bytes < 1, `${r.api} keeps ${r.bytes} bytes counted`);
});

test('a view of an existing ArrayBuffer is not an allocation', (t) => {
  const sites = new BufferSites(options);
  t.after(() => sites.disarm());
  sites.arm();
  const ab = new ArrayBuffer(65536);
  Buffer.from(ab);
  Buffer.from(ab, 0, 1024);
  assert.equal(sites.samples, 0);
});

test('arming wraps Buffer factories and disarming puts the same functions back', () => {
  const sites = new BufferSites(options);
  sites.arm();
  for (const name of FACTORIES) {
    if (typeof originals[name] !== 'function') continue;
    assert.notEqual(Buffer[name], originals[name], `${name} is wrapped`);
    assert.equal(Buffer[name].name, name);
  }
  // A second tracker cannot arm while one is.
  assert.equal(new BufferSites(options).arm(), false);
  // The wrappers behave as Node's functions.
  assert.deepEqual(Buffer.from('abc'), originals.from('abc'));
  assert.equal(Buffer.alloc(3, 'z').toString(), 'zzz');
  assert.throws(() => Buffer.alloc(-1), { code: 'ERR_OUT_OF_RANGE' });
  assert.equal(sites.disarm(), true);
  assert.equal(sites.disarm(), false);
  for (const name of FACTORIES) assert.equal(Buffer[name], originals[name], `${name} restored`);
});

test('a factory another library wrapped after leakguard is left in place, and counts again when armed again', async (t) => {
  const captured = captureWarnings();
  t.after(() => captured.restore());
  const sites = new BufferSites(options);
  sites.arm();
  const ours = Buffer.alloc;
  let calls = 0;
  const theirs = function alloc(...args) {
    calls += 1;
    return ours(...args);
  };
  Buffer.alloc = theirs;
  t.after(() => {
    sites.disarm();
    Buffer.alloc = originals.alloc;
  });
  sites.disarm();
  assert.equal(Buffer.alloc, theirs, "the other library's wrapper is kept");
  assert.equal(Buffer.allocUnsafe, originals.allocUnsafe);
  assert.equal(Buffer.alloc(2048).length, 2048);
  assert.equal(calls, 1);
  assert.equal(sites.samples, 0, 'disarmed: nothing sampled');
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(captured.warnings.some((w) => w.code === 'LEAKGUARD_WRAPPED_AFTER' && /Buffer\.alloc/.test(w.message)), captured.warnings.map(String).join('\n'));
  sites.arm();
  assert.equal(Buffer.alloc, theirs);
  Buffer.alloc(2048);
  assert.equal(sites.samples, 1, 'armed again: counted through the chain');
});

// arrayBufferSites: `new ArrayBuffer` and typed-array constructors, their globals replaced by a Proxy while armed.
const { CONSTRUCTORS } = require('../lib/sampler/buffer-sites');
const originalGlobals = Object.fromEntries(CONSTRUCTORS.map((name) => [name, globalThis[name]]));

const samples = [];
function keepSamples() {
  samples.push(new Float64Array(512)); // the typed-array line
  samples.push(new ArrayBuffer(4096)); // the ArrayBuffer line
}
const lineOf = (text) => require('node:fs').readFileSync(__filename, 'utf8').split('\n').findIndex((l) => l.endsWith(text)) + 1;

test('without arrayBufferSites the constructors are left alone', (t) => {
  const sites = new BufferSites(options);
  t.after(() => sites.disarm());
  sites.arm();
  for (const name of CONSTRUCTORS) assert.equal(globalThis[name], originalGlobals[name], name);
  new Float64Array(4096);
  assert.equal(sites.samples, 0);
});

test('with arrayBufferSites, new ArrayBuffer and typed arrays are sampled at their line, and the globals behave as before', async (t) => {
  let majorGcs = 0;
  const sites = new BufferSites({ ...options, constructors: true, majorGcs: () => majorGcs });
  t.after(() => {
    sites.disarm();
    samples.length = 0;
  });
  let now = 1_000_000;
  assert.equal(sites.arm(now), true);
  assert.ok(CONSTRUCTORS.includes('Float64Array') && CONSTRUCTORS.includes('ArrayBuffer'));
  for (const name of CONSTRUCTORS) {
    const proxy = globalThis[name];
    const original = originalGlobals[name];
    assert.notEqual(proxy, original, `${name} is replaced while armed`);
    assert.equal(proxy.prototype, original.prototype, `${name}.prototype`);
    assert.equal(proxy.name, name);
    assert.ok(new proxy(8) instanceof original, `new ${name} makes the original's kind`);
    assert.ok(new original(8) instanceof proxy, `instanceof ${name}`);
    assert.equal(Object.getPrototypeOf(new proxy(8)), original.prototype);
  }
  // Statics, subclassing, views over an existing ArrayBuffer.
  assert.deepEqual([...Uint8Array.from([1, 2, 3])], [1, 2, 3]);
  assert.equal(Uint8Array.BYTES_PER_ELEMENT, 1);
  assert.equal(ArrayBuffer.isView(new Uint8Array(1)), true);
  class Samples extends Float32Array {}
  const sub = new Samples(4);
  assert.ok(sub instanceof Samples && sub instanceof originalGlobals.Float32Array);
  assert.equal(Object.getPrototypeOf(sub), Samples.prototype);
  assert.throws(() => Uint8Array(4), TypeError, 'a constructor still needs new');
  assert.throws(() => new ArrayBuffer(-1), RangeError);
  const before = sites.samples;
  const ab = new originalGlobals.ArrayBuffer(65536);
  new Uint8Array(ab);
  new Float64Array(ab, 0, 1024);
  assert.equal(sites.samples, before, 'a view of an existing ArrayBuffer is not an allocation');

  let found = [];
  for (let beat = 0; beat < 40; beat++) {
    for (let i = 0; i < 5; i++) keepSamples();
    await collect();
    majorGcs += 4;
    now += 250;
    found = sites.observe(now);
  }
  const byApi = Object.fromEntries(found.map((s) => [s.api, s]));
  assert.deepEqual(Object.keys(byApi).sort(), ['new ArrayBuffer', 'new Float64Array'], JSON.stringify(found, null, 1));
  assert.equal(byApi['new Float64Array'].site.line, lineOf('// the typed-array line'));
  assert.equal(byApi['new ArrayBuffer'].site.line, lineOf('// the ArrayBuffer line'));
  assert.equal(byApi['new Float64Array'].site.functionName, 'keepSamples');
  // 200 of each kept, 4 KiB each.
  for (const s of found) assert.ok(Math.abs(s.bytes - 200 * 4096) <= 5 * 4096, `${s.api}: bytes ${s.bytes}`);

  assert.equal(sites.disarm(), true);
  for (const name of CONSTRUCTORS) assert.equal(globalThis[name], originalGlobals[name], `${name} restored`);
  // The subclass made while armed still works, and samples nothing once disarmed.
  const sampled = sites.samples;
  assert.equal(new Samples(4096).length, 4096);
  assert.equal(sites.samples, sampled);
});

test('with arrayBufferSites the tracker holds no ArrayBuffer: a sampled typed array dropped by the program is collected', async (t) => {
  const sites = new BufferSites({ ...options, constructors: true });
  t.after(() => sites.disarm());
  sites.arm();
  const refs = [];
  (() => {
    for (let i = 0; i < 20; i++) refs.push(new WeakRef(new Uint8Array(8192).buffer));
  })();
  assert.ok(sites.samples >= 20, `sampled ${sites.samples}`);
  await collect();
  assert.equal(alive(refs), 0, 'a sampled ArrayBuffer outlived the program');
});

test('with arrayBufferSites a global another library replaced is left alone, before arming and after', async (t) => {
  const captured = captureWarnings();
  t.after(() => captured.restore());
  const theirs = class Uint8Array extends originalGlobals.Uint8Array {};
  globalThis.Uint8Array = theirs;
  t.after(() => {
    globalThis.Uint8Array = originalGlobals.Uint8Array;
    globalThis.Float64Array = originalGlobals.Float64Array;
  });
  const sites = new BufferSites({ ...options, constructors: true });
  sites.arm();
  assert.equal(globalThis.Uint8Array, theirs, 'replaced before arming: not wrapped');
  assert.notEqual(globalThis.Float64Array, originalGlobals.Float64Array);
  const ours = globalThis.Float64Array;
  const later = function Float64Array(...args) {
    return new ours(...args);
  };
  globalThis.Float64Array = later;
  sites.disarm();
  assert.equal(globalThis.Uint8Array, theirs);
  assert.equal(globalThis.Float64Array, later, 'replaced after arming: kept in place');
  assert.equal(globalThis.ArrayBuffer, originalGlobals.ArrayBuffer);
  assert.equal(new later(4).length, 4);
  assert.equal(sites.samples, 0, 'disarmed: nothing sampled');
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(captured.warnings.some((w) => w.code === 'LEAKGUARD_WRAPPED_AFTER' && /Float64Array/.test(w.message)), captured.warnings.map(String).join('\n'));
  assert.ok(!captured.warnings.some((w) => /Uint8Array/.test(w.message)), 'a global leakguard never replaced is not reported as left in place');
  // Once the other library puts the original back, the next arming samples it again.
  globalThis.Uint8Array = originalGlobals.Uint8Array;
  sites.arm();
  assert.notEqual(globalThis.Uint8Array, originalGlobals.Uint8Array, 'replaced again while armed');
  sites.disarm();
  assert.equal(globalThis.Uint8Array, originalGlobals.Uint8Array);
});
