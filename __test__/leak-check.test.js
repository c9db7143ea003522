'use strict';
// leakguard/test: checkLeaks and assertNoLeaks.
//
// The leak patterns of examples/leaks, written as one function per request or
// job (__test__/fixtures/leak-check/leaks), must each be reported leaking and
// named: timers and listeners by a suspect whose site is the line marked
// `// LEAK: <kind>`, allocations by that line among a suspect's candidate
// lines (buffer-array: the function enclosing it: the check reads the V8
// heap profile only, and a Buffer's contents are outside the V8 heap; the
// sampler's Buffer tracker, which names that line in a running process, is
// not used by the check). Every control (__test__/fixtures/leak-check/controls)
// must be clean. Each fixture runs in its own process
// (fixtures/leak-check/run-one.js), two at a time. The rest runs in this
// process: options, what the check restores, refusing a second check.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { EventEmitter } = require('node:events');
const nodeTimers = require('node:timers');
const { checkLeaks, assertNoLeaks, formatCheck } = require('../test.js');
const { patchTimers, unpatchTimers } = require('../index.js');

const DIR = path.join(__dirname, 'fixtures', 'leak-check');
const RUN_ONE = path.join(DIR, 'run-one.js');
// Named by the function that encloses the marked line (see the header).
const FUNCTION_ONLY = new Set(['leaks/buffer-array.js']);

function list(folder) {
  return fs.readdirSync(path.join(DIR, folder)).filter((n) => /\.m?js$/.test(n)).sort().map((n) => `${folder}/${n}`);
}

function runOne(rel) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [RUN_ONE, rel], { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${rel}: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()));
    });
  });
}

// Two fixture processes at a time.
let slots = 2;
const waiting = [];
async function limited(fn) {
  while (slots === 0) await new Promise((resolve) => waiting.push(resolve));
  slots--;
  try {
    return await fn();
  } finally {
    slots++;
    const next = waiting.shift();
    if (next) next();
  }
}

function describe(report) {
  return formatCheck(report);
}

function namesLine(report, marker) {
  return report.suspects.some(
    (s) =>
      (s.kind === marker.kind && s.site && s.site.file === marker.file && s.site.line === marker.line) ||
      (s.candidates ?? []).some((c) => c.file === marker.file && c.line === marker.line),
  );
}

function namesFunction(report, marker) {
  return report.suspects.some((s) => s.kind === 'allocation' && s.function && s.function.file === marker.file && s.function.line <= marker.line && marker.line <= s.function.endLine);
}

test('every leak pattern of examples/ as a function is reported leaking and named', async (t) => {
  const leaks = list('leaks');
  assert.ok(leaks.length >= 20, 'the leak fixtures are there');
  await Promise.all(
    leaks.map((rel) =>
      t.test(rel, async () => {
        const { report, marker } = await limited(() => runOne(rel));
        assert.ok(marker, `${rel} has a // LEAK: marker`);
        assert.equal(report.leaking, true, `${rel} reported leaking\n${describe(report)}`);
        if (FUNCTION_ONLY.has(rel)) assert.ok(namesFunction(report, marker), `${rel}: a suspect's function encloses line ${marker.line}\n${describe(report)}`);
        else assert.ok(namesLine(report, marker), `${rel}: line ${marker.line} (${marker.kind}) is named\n${describe(report)}`);
      }),
    ),
  );
});

test('every control of examples/ as a function is clean', async (t) => {
  await Promise.all(
    list('controls').map((rel) =>
      t.test(rel, async () => {
        const { report } = await limited(() => runOne(rel));
        assert.equal(report.leaking, false, `${rel} is clean\n${describe(report)}`);
      }),
    ),
  );
});

test("an app's own lru-cache still filling far below its max: listed in filling, and not a leak", async () => {
  const rel = 'app-lru-cache-filling.js';
  const { report } = await limited(() => runOne(rel));
  const line = fs.readFileSync(path.join(DIR, rel), 'utf8').split('\n').findIndex((l) => l.includes('catalogue.get(id)')) + 1;
  const isApp = (c) => c.kind === 'lru-cache' && c.site && c.site.file === path.join(DIR, rel) && c.site.line === line;
  assert.ok(report.caches.some(isApp), `the check found the lru-cache on its channel\n${describe(report)}`);
  const filling = report.filling.find(isApp);
  assert.ok(filling && filling.grown > 0 && filling.size < filling.max, `listed as filling\n${describe(report)}`);
  assert.match(filling.description, /^lru-cache at .*app-lru-cache-filling\.js:\d+:\d+ gained \d+ entries/);
  assert.equal(report.leaking, false, describe(report));
});

// ---- in this process ----------------------------------------------------------

// Few calls, for what does not need a verdict on a clean function (noise is
// spread over 100 calls only).
const small = { iterations: 100, warmup: 10, points: 4 };

test('checkLeaks refuses a non-function and bad options at the call with ERR_LEAKGUARD_INVALID_OPTION', () => {
  const fn = () => {};
  const refused = (call, Ctor) => assert.throws(call, (err) => err instanceof Ctor && err.code === 'ERR_LEAKGUARD_INVALID_OPTION');
  refused(() => checkLeaks(undefined), TypeError);
  refused(() => checkLeaks('fn'), TypeError);
  refused(() => assertNoLeaks('fn'), TypeError);
  refused(() => checkLeaks(fn, { iteration: 10 }), TypeError);
  refused(() => checkLeaks(fn, null), TypeError);
  refused(() => checkLeaks(fn, { iterations: 5 }), RangeError);
  refused(() => checkLeaks(fn, { iterations: 1.5 }), RangeError);
  refused(() => checkLeaks(fn, { warmup: -1 }), RangeError);
  refused(() => checkLeaks(fn, { threshold: 0 }), RangeError);
  refused(() => checkLeaks(fn, { points: 200, iterations: 100 }), RangeError);
  refused(() => checkLeaks(fn, { kinds: 'heap' }), TypeError);
  refused(() => checkLeaks(fn, { kinds: [] }), RangeError);
  refused(() => checkLeaks(fn, { kinds: ['heap', 'timer'] }), RangeError);
  refused(() => checkLeaks(fn, { samplingIntervalBytes: 1 }), RangeError);
});

function globalsNow() {
  return {
    setTimeout: globalThis.setTimeout,
    clearTimeout: globalThis.clearTimeout,
    setInterval: globalThis.setInterval,
    moduleSetTimeout: nodeTimers.setTimeout,
    on: EventEmitter.prototype.on,
    off: EventEmitter.prototype.off,
    addEventListener: EventTarget.prototype.addEventListener,
    waitForDebugger: require('node:inspector').waitForDebugger,
  };
}

test('a clean function: not leaking, and everything the check changed is put back', async () => {
  const before = globalsNow();
  let calls = 0;
  // The defaults: 100 calls (the small runs elsewhere) are too few for a verdict on a clean function.
  const report = await checkLeaks(() => {
    calls++;
    return { calls };
  });
  assert.equal(report.leaking, false, formatCheck(report));
  assert.equal(calls, 100 + report.check.calls, 'warm-up plus the calls measured');
  assert.ok(report.check.calls === 1000 || report.check.calls === 2000, 'the iterations (twice when a second run confirmed)');
  assert.equal(typeof report.bytesPerCall.value, 'number');
  assert.equal(typeof report.bytesPerCall.r2, 'number');
  assert.equal(report.bytesPerCall.points.length, report.check.calls === 1000 ? 11 : 21);
  assert.deepEqual(globalsNow(), before);
});

test("the check finds an app's lru-cache on its diagnostics channel and leaves the channel without its subscriber", async () => {
  const dc = require('node:diagnostics_channel');
  const { LRUCache } = require('lru-cache');
  const channel = dc.channel('lru-cache:metrics');
  const subscribed = channel.hasSubscribers;
  const cache = new LRUCache({ max: 10 });
  const report = await checkLeaks((i) => cache.set(i % 20, i), small);
  assert.ok(report.caches.some((c) => c.kind === 'lru-cache' && c.max === 10), formatCheck(report));
  assert.equal(channel.hasSubscribers, subscribed);
});

test('a throwing function: the error reaches the caller and everything is put back', async () => {
  const before = globalsNow();
  const boom = new Error('boom');
  await assert.rejects(
    checkLeaks((i) => {
      if (i === 50) throw boom;
    }, small),
    (err) => err === boom,
  );
  await assert.rejects(
    checkLeaks(async (i) => {
      if (i === 60) throw boom;
    }, small),
    (err) => err === boom,
  );
  assert.deepEqual(globalsNow(), before);
  // and a check can run again
  const report = await checkLeaks(() => {}, small);
  assert.equal(report.leaking, false);
  assert.ok(report.check.calls >= 100, 'it ran its calls');
});

test('a second check while one runs, concurrent or nested, is refused with ERR_LEAKGUARD_CHECK_RUNNING', async () => {
  const busy = (err) => err.code === 'ERR_LEAKGUARD_CHECK_RUNNING';
  const first = checkLeaks(async () => {}, small);
  assert.throws(() => checkLeaks(() => {}, small), busy);
  assert.throws(() => assertNoLeaks(() => {}, small), busy);
  await first;
  let inner = null;
  await assert.rejects(
    checkLeaks(async () => {
      try {
        await checkLeaks(() => {}, small);
      } catch (err) {
        inner = err;
        throw err;
      }
    }, small),
    busy,
  );
  assert.equal(inner.code, 'ERR_LEAKGUARD_CHECK_RUNNING');
  const report = await checkLeaks(() => {}, small);
  assert.ok(report.check.calls >= 100, 'the refused checks left nothing running: this one ran its calls');
});

test('timers patched by the caller stay patched after the check', async () => {
  assert.equal(patchTimers(), true);
  try {
    const patched = globalThis.setTimeout;
    await checkLeaks(() => {}, small);
    assert.equal(globalThis.setTimeout, patched);
  } finally {
    unpatchTimers();
  }
});

test('assertNoLeaks throws an AssertionError whose message names the leaking line, and passes a clean function', async () => {
  const handles = [];
  const leaky = () => {
    handles.push(setInterval(() => {}, 60_000)); // the leaking line
  };
  const line = fs.readFileSync(__filename, 'utf8').split('\n').findIndex((l) => l.includes('// the leaking line')) + 1;
  try {
    await assert.rejects(assertNoLeaks(leaky, small), (err) => {
      assert.ok(err instanceof assert.AssertionError);
      assert.match(err.message, /LEAKS/);
      assert.ok(err.message.includes(`leak-check.test.js:${line}:`), err.message);
      assert.equal(err.report.leaking, true);
      return true;
    });
  } finally {
    handles.forEach(clearInterval);
  }
  const report = await assertNoLeaks(() => [1, 2, 3].map((x) => x * 2));
  assert.equal(report.leaking, false);
});

test('a listener added per call on a long-lived emitter is named at its line', async () => {
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const report = await checkLeaks(() => {
    bus.on('tick', () => {}); // the listener line
  }, small);
  const line = fs.readFileSync(__filename, 'utf8').split('\n').findIndex((l) => l.includes('// the listener line')) + 1;
  assert.equal(report.leaking, true);
  const s = report.suspects.find((x) => x.kind === 'listener');
  assert.ok(s, formatCheck(report));
  assert.equal(s.site.line, line);
  assert.equal(s.count, report.check.calls, 'one per call (the iterations, and the confirming run when there was one)');
  assert.equal(EventEmitter.prototype.on.name, 'addListener', "Node's own method is back");
  bus.removeAllListeners();
});

test("kinds limits what is checked: without 'timers' a live interval per call is not a suspect", async () => {
  const handles = [];
  try {
    const report = await checkLeaks(() => handles.push(setInterval(() => {}, 60_000)), { ...small, kinds: ['listeners'] });
    assert.equal(report.suspects.filter((s) => s.kind === 'timer').length, 0);
    assert.equal(report.leaking, false, 'no heap verdict was asked for');
  } finally {
    handles.forEach(clearInterval);
  }
});

test('with the sampler running, the check leaves its sampling, patch and ledger as they were', async () => {
  const lg = require('../index.js');
  lg.start({ intervalMs: 1000 });
  try {
    const patched = globalThis.setTimeout;
    const on = EventEmitter.prototype.on;
    const report = await checkLeaks(() => {}, small);
    assert.equal(report.check.allocationSampling, null, 'V8 has one sampling profiler: the sampler keeps it');
    assert.ok(report.check.notes.some((n) => /already sampling/.test(n)), report.check.notes.join('\n'));
    assert.equal(report.check.listenerBooks, 'already on');
    assert.equal(globalThis.setTimeout, patched, 'the sampler still has its timers patch');
    assert.equal(EventEmitter.prototype.on, on, 'and its listener ledger');
    assert.equal(lg.report().running, true);
  } finally {
    lg.stop();
  }
});
