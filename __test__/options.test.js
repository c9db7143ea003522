'use strict';
// Settings are never silently ignored: every public entry refuses unknown
// option names, wrong types and out-of-range values with a coded error and
// changes nothing when it does; injected clocks that misbehave are refused at
// construction and contained at use; formatReport refuses a malformed report.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const EventEmitter = require('node:events');
const lg = require('..');
const { OPTION_NAMES } = require('../lib/internal/options');
const { CODES } = require('../lib/internal/errors');
const { checkLeaks } = require('../test.js');

const ROOT = path.join(__dirname, '..');
const INVALID = 'ERR_LEAKGUARD_INVALID_OPTION';
const CLOCK = 'ERR_LEAKGUARD_INVALID_CLOCK';

function tmpDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-options-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A minimal stand-in for an OpenTelemetry Meter that records what is registered. */
function fakeMeter() {
  const created = [];
  const make = (name) => (created.push(name), { name });
  return {
    created,
    createObservableGauge: make,
    createObservableCounter: make,
    createObservableUpDownCounter: make,
    addBatchObservableCallback() {},
    removeBatchObservableCallback() {},
  };
}

// Each public entry: a call with given options, the key of its names in
// OPTION_NAMES, one wrong type and one out-of-range value (null when the entry
// has no numeric option), and a check that a refused call changed nothing.
function entries(t) {
  const dir = tmpDir(t);
  const html = path.join(dir, 'report.html');
  const promClient = require('prom-client');
  const registry = new promClient.Registry();
  const meter = fakeMeter();
  const onBefore = EventEmitter.prototype.on;
  const setTimeoutBefore = globalThis.setTimeout;
  return [
    { name: 'LruCache', call: (o) => new lg.LruCache({ max: 2, ...o }), wrongType: { max: '2' }, outOfRange: { max: 0 } },
    {
      name: 'LruCache#set',
      call: (o) => new lg.LruCache({ max: 2 }).set('k', 1, o),
      wrongType: { ttl: '5' },
      outOfRange: { ttl: -1 },
    },
    {
      name: 'LruCache#fetch',
      call: (o) => new lg.LruCache({ max: 2, fetchMethod: async () => 1 }).fetch('k', o),
      wrongType: { ttl: '5' },
      outOfRange: { ttl: -1 },
    },
    {
      name: 'LruCache#peek',
      call: (o) => new lg.LruCache({ max: 2 }).peek('k', o),
      wrongType: { allowStale: 'yes' },
      outOfRange: null,
    },
    {
      name: 'OffHeapCache#set',
      call: (o) => {
        const c = new lg.OffHeapCache({ maxSize: 4096 });
        try {
          c.set('k', 'v', o);
        } finally {
          c.close();
        }
      },
      wrongType: { ttl: '5' },
      outOfRange: { ttl: -1 },
    },
    {
      name: 'OffHeapCache',
      call: (o) => new lg.OffHeapCache({ maxSize: 4096, ...o }).close(),
      wrongType: { maxSize: '4096' },
      outOfRange: { maxSize: 0 },
    },
    {
      name: 'start',
      call: (o) => lg.start(o),
      wrongType: { intervalMs: '250' },
      outOfRange: { intervalMs: 5 },
      unchanged: () => assert.equal(lg.report().running, false),
    },
    {
      name: 'trackListeners',
      call: (o) => lg.trackListeners(o),
      wrongType: { sampleEvery: '1' },
      outOfRange: { sampleEvery: 0 },
      unchanged: () => assert.equal(EventEmitter.prototype.on, onBefore),
    },
    {
      name: 'patchTimers',
      call: (o) => lg.patchTimers(o),
      wrongType: null,
      outOfRange: null,
      unchanged: () => assert.equal(globalThis.setTimeout, setTimeoutBefore),
    },
    {
      name: 'metrics.prometheus',
      call: (o) => lg.metrics.prometheus(o),
      wrongType: { topSites: '10' },
      outOfRange: { topSites: 0 },
    },
    {
      name: 'metrics.register',
      call: (o) => lg.metrics.register(registry, o),
      wrongType: { standardNames: 1 },
      outOfRange: { topCaches: 1001 },
      unchanged: () => assert.deepEqual(registry.getMetricsAsArray(), []),
    },
    {
      name: 'metrics.otel',
      call: (o) => lg.metrics.otel(meter, o),
      wrongType: { topSites: null },
      outOfRange: { topSites: 2.5 },
      unchanged: () => assert.deepEqual(meter.created, []),
    },
    {
      name: 'checkLeaks',
      // Every call here is refused before a check starts (thrown at the call).
      call: (o) => checkLeaks(() => {}, o),
      wrongType: { iterations: '100' },
      outOfRange: { iterations: 5 },
    },
    {
      name: 'writeHtmlReport',
      call: (o) => lg.writeHtmlReport(html, o),
      wrongType: { title: 3 },
      outOfRange: null,
      unchanged: () => assert.equal(fs.existsSync(html), false),
    },
  ];
}

test('every public entry with options has a list of names, and every list belongs to an entry tested here', (t) => {
  const tested = entries(t).map((e) => e.name);
  assert.deepEqual(
    Object.keys(OPTION_NAMES)
      .filter((k) => k !== 'register')
      .sort(),
    tested.slice().sort(),
  );
  for (const [entry, names] of Object.entries(OPTION_NAMES)) {
    assert.ok(Object.isFrozen(names), `${entry}'s names are frozen`);
    assert.equal(new Set(names).size, names.length, `${entry}'s names are distinct`);
  }
});

test('an unknown option name is refused by every entry, naming it and the known ones', (t) => {
  for (const e of entries(t)) {
    const known = OPTION_NAMES[e.name];
    assert.throws(
      () => e.call({ surelyNotAnOption: 1 }),
      (err) => {
        assert.equal(err.code, INVALID, e.name);
        assert.equal(err.name, 'TypeError', e.name);
        assert.match(err.message, /"surelyNotAnOption"/, e.name);
        for (const k of known) assert.ok(err.message.includes(k), `${e.name}: the message lists ${k}`);
        return true;
      },
    );
    if (e.unchanged) e.unchanged();
  }
});

test('every accepted name is read and validated: a value of no valid type (a Symbol) is refused for each', (t) => {
  // An accepted name that no validator reads would be silently ignored: this
  // is the drift between the name lists and the validators that must not happen.
  // Options whose value is the user's own, of any type, handed back untouched.
  const anyValue = { 'LruCache#fetch': ['context'] };
  for (const e of entries(t)) {
    for (const name of OPTION_NAMES[e.name]) {
      if ((anyValue[e.name] ?? []).includes(name)) continue;
      assert.throws(
        () => e.call({ [name]: Symbol('not a setting') }),
        (err) => {
          assert.ok(['ERR_LEAKGUARD_INVALID_OPTION', 'ERR_LEAKGUARD_INVALID_SIZE'].includes(err.code), `${e.name} ${name}: ${err.code}`);
          assert.ok(err.message.includes(name), `${e.name}: the error names ${name}: ${err.message}`);
          return true;
        },
        `${e.name} reads and validates ${name}`,
      );
      if (e.unchanged) e.unchanged();
    }
  }
});

test('a name in the wrong case is refused and the right one is suggested', () => {
  assert.throws(() => lg.start({ intervalMS: 50 }), { code: INVALID, message: /"intervalMS".*did you mean "intervalMs"/ });
  assert.throws(() => lg.start({ onleak() {} }), { code: INVALID, message: /did you mean "onLeak"/ });
  assert.throws(() => new lg.OffHeapCache({ maxSize: 1024, ttL: 5 }), { code: INVALID, message: /did you mean "ttl"/ });
  assert.equal(lg.report().running, false);
});

test('options that are not an object are refused by every entry', (t) => {
  for (const e of entries(t)) {
    for (const bad of [null, 5, 'x', [], () => {}]) {
      // LruCache and OffHeapCache spread their options into a bound; test the raw call.
      const call = e.name === 'LruCache' ? () => new lg.LruCache(bad) : e.name === 'OffHeapCache' ? () => new lg.OffHeapCache(bad) : () => e.call(bad);
      assert.throws(call, (err) => {
        assert.ok(err.code === INVALID || err.code === 'ERR_LEAKGUARD_UNBOUNDED', `${e.name}(${String(bad)}): ${err.code}`);
        assert.equal(err.name, 'TypeError');
        return true;
      });
    }
    if (e.unchanged) e.unchanged();
  }
});

test('a wrong type is a TypeError and an out-of-range value a RangeError, both coded, for every entry', (t) => {
  for (const e of entries(t)) {
    if (e.wrongType !== null) {
      assert.throws(() => e.call(e.wrongType), { code: INVALID, name: 'TypeError' }, `${e.name} wrong type`);
      if (e.unchanged) e.unchanged();
    }
    if (e.outOfRange !== null) {
      assert.throws(() => e.call(e.outOfRange), { code: INVALID, name: 'RangeError' }, `${e.name} out of range`);
      if (e.unchanged) e.unchanged();
    }
  }
});

test('OffHeapCache ttl is validated exactly as LruCache ttl is', () => {
  const make = {
    LruCache: (ttl) => new lg.LruCache({ max: 2, ttl }),
    OffHeapCache: (ttl) => new lg.OffHeapCache({ maxSize: 4096, ttl }).close(),
  };
  const cases = [0, 1, 1000, 2 ** 31, 1.5, -1, NaN, Infinity, -Infinity, '5', 5n, null, true, Number.MAX_SAFE_INTEGER + 2];
  for (const ttl of cases) {
    const outcome = {};
    for (const [name, fn] of Object.entries(make)) {
      try {
        fn(ttl);
        outcome[name] = 'ok';
      } catch (err) {
        outcome[name] = `${err.name} ${err.code}`;
      }
    }
    assert.equal(outcome.OffHeapCache, outcome.LruCache, `ttl ${String(ttl)}: ${JSON.stringify(outcome)}`);
  }
  assert.throws(() => make.OffHeapCache(1.5), { code: INVALID, name: 'RangeError' });
  assert.throws(() => make.OffHeapCache('5'), { code: INVALID, name: 'TypeError' });
});

// ---- clocks -----------------------------------------------------------------

const BAD_READINGS = [
  ['NaN', () => NaN],
  ['a string', () => '5'],
  ['a Symbol', () => Symbol('t')],
  ['a BigInt', () => 5n],
  ['undefined', () => undefined],
  ['null', () => null],
  ['a negative number', () => -1],
  ['Infinity', () => Infinity],
  ['a throw', () => {
    throw new Error('clock broke');
  }],
];

const CACHES = {
  LruCache: (clock) => new lg.LruCache({ max: 10, ttl: 100, clock }),
  OffHeapCache: (clock) => new lg.OffHeapCache({ maxSize: 1 << 16, ttl: 100, clock }),
};

test('a clock whose now() misbehaves is refused when the cache is made', () => {
  for (const [cacheName, make] of Object.entries(CACHES)) {
    for (const [what, read] of BAD_READINGS) {
      assert.throws(() => make({ now: read }), { code: INVALID }, `${cacheName}, now() gives ${what}`);
    }
    for (const clock of [null, 5, {}, { now: 5 }, () => 5]) {
      assert.throws(() => make(clock), { code: INVALID, name: 'TypeError' }, `${cacheName}, clock ${String(clock)}`);
    }
  }
});

/** A cache's visible state, read with a good clock. */
function snapshot(cache) {
  return { size: cache.size, entries: [...cache.entries()].map(([k, v]) => [k, String(v)]) };
}

test('a clock that turns bad later: every operation throws ERR_LEAKGUARD_INVALID_CLOCK and changes nothing', () => {
  for (const [cacheName, make] of Object.entries(CACHES)) {
    for (const [what, read] of BAD_READINGS) {
      let bad = false;
      let t = 0;
      const clock = { now: () => (bad ? read() : t) };
      const c = make(clock);
      c.set('a', 'A');
      c.set('b', 'B');
      t = 50;
      c.set('c', 'C');
      const before = snapshot(c);
      const ops = {
        get: () => c.get('a'),
        has: () => c.has('a'),
        set: () => c.set('d', 'D'),
        'set existing': () => c.set('a', 'A2'),
        delete: () => c.delete('b'),
        size: () => c.size,
        purgeStale: () => c.purgeStale(),
        keys: () => [...c.keys()],
        entries: () => [...c.entries()],
      };
      if (cacheName === 'LruCache') {
        ops.resize = () => c.resize(1);
        ops.ttlOf = () => c.ttlOf('a');
      } else {
        ops.peek = () => c.peek('a');
      }
      bad = true;
      for (const [op, fn] of Object.entries(ops)) {
        assert.throws(fn, { code: CLOCK }, `${cacheName}.${op} with now() giving ${what}`);
      }
      bad = false;
      assert.deepEqual(snapshot(c), before, `${cacheName} unchanged after now() gave ${what}`);
      if (cacheName === 'LruCache') assert.equal(c.max, 10);
      // The cache still works, and expires on the good clock.
      t = 100;
      assert.equal(c.get('a'), undefined, `${cacheName}: 'a' expired at t=100`);
      assert.equal(String(c.get('c')), 'C');
      if (typeof c.close === 'function') c.close();
    }
  }
});

test('an LruCache entry does not outlive its ttl because the clock once read NaN', () => {
  let t = 0;
  const c = new lg.LruCache({ max: 10, ttl: 10, clock: { now: () => t } });
  t = NaN;
  assert.throws(() => c.set('k', 1), { code: CLOCK });
  t = 0;
  c.set('k', 1);
  t = NaN;
  assert.throws(() => c.get('k'), { code: CLOCK });
  t = 10;
  assert.equal(c.get('k'), undefined);
  assert.equal(c.size, 0);
});

test('the autopurge timer survives a clock that throws: a warning, not a crash', async () => {
  const seen = [];
  const emitWarning = process.emitWarning;
  process.emitWarning = (message, options) => seen.push({ message: String(message), code: options && options.code });
  let bad = false;
  let t = 0;
  // A ref'd guard keeps the event loop alive while the unref'd purge timer is due.
  const guard = setTimeout(() => {}, 60_000);
  try {
    const c = new lg.LruCache({
      max: 10,
      ttl: 1,
      ttlAutopurge: true,
      clock: {
        now() {
          if (bad) throw new Error('clock gone');
          return t;
        },
      },
    });
    c.set('k', 1);
    bad = true;
    while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(seen[0].code, 'LEAKGUARD_CALLBACK_THREW');
    assert.match(seen[0].message, /ERR_LEAKGUARD_INVALID_CLOCK|clock gone/);
    bad = false;
    t = 0;
    assert.equal(c.get('k'), 1, 'the entry was not touched by the failed purge');
  } finally {
    clearTimeout(guard);
    process.emitWarning = emitWarning;
  }
});

// ---- formatReport -------------------------------------------------------------

test('formatReport of a malformed report throws a coded error naming the field', () => {
  const good = lg.report();
  assert.equal(typeof lg.formatReport(good), 'string');
  assert.equal(typeof lg.formatReport({}), 'string', 'missing fields are printed as absent');
  assert.equal(typeof lg.formatReport({ heap: { usedBytes: null } }), 'string', 'null figures (JSON has no NaN) are absent');
  const cases = [
    [null, /"report"/],
    [[], /"report"/],
    ['{}', /"report"/],
    [{ leaking: 'yes' }, /report\.leaking/],
    [{ since: '2024' }, /report\.since/],
    [{ heap: 5 }, /report\.heap/],
    [{ heap: { usedBytes: '12 MB' } }, /report\.heap\.usedBytes/],
    [{ heap: { growing: 'heap' } }, /report\.heap\.growing/],
    [{ eventLoopLag: { p99Ms: '3' } }, /report\.eventLoopLag\.p99Ms/],
    [{ gcPause: [] }, /report\.gcPause/],
    [{ suspects: {} }, /report\.suspects/],
    [{ suspects: [null] }, /report\.suspects\[0\]/],
    [{ suspects: [{ kind: 'timer', description: 'x', stack: [null] }] }, /report\.suspects\[0\]\.stack\[0\]/],
    [{ suspects: [{ kind: 'timer', description: 'x', stack: 'at a.js:1' }] }, /report\.suspects\[0\]\.stack/],
    [{ suspects: [{ kind: 'timer', site: { file: 1, line: 1, column: 1 } }] }, /report\.suspects\[0\]\.site\.file/],
    [{ suspects: [{ kind: 7 }] }, /report\.suspects\[0\]\.kind/],
    [{ sampler: { overhead: { threadPercent: '1' , jsPercent: 1 } } }, /report\.sampler\.overhead\.threadPercent/],
    [{ sampler: { overhead: { threadPercent: 1, jsPercent: 1, allocation: 5 } } }, /report\.sampler\.overhead\.allocation/],
    [{ sampler: { overhead: { threadPercent: 1, jsPercent: 1, allocation: { estimatedBytes: 'x', bytesPerSec: 1 } } } }, /report\.sampler\.overhead\.allocation\.estimatedBytes/],
  ];
  for (const [report, field] of cases) {
    assert.throws(() => lg.formatReport(report), { code: INVALID, name: 'TypeError', message: field }, JSON.stringify(report));
  }
});

// ---- the code tables ------------------------------------------------------------

test('the JavaScript and Rust error-code tables list the same codes', () => {
  const rust = fs.readFileSync(path.join(ROOT, 'src', 'errors.rs'), 'utf8');
  const rustCodes = new Set(rust.match(/"ERR_LEAKGUARD_[A-Z_]+"/g).map((s) => s.slice(1, -1)));
  assert.deepEqual([...rustCodes].sort(), Object.values(CODES).sort());
  assert.deepEqual(lg.errorCodes, CODES);
  assert.equal(CODES.INVALID_CLOCK, CLOCK);
});

// ---- options given to an entry that is already running -------------------------

function captureWarnings() {
  const seen = [];
  const emitWarning = process.emitWarning;
  process.emitWarning = (message, options) => seen.push({ message: String(message), code: options && options.code });
  return { seen, restore: () => (process.emitWarning = emitWarning) };
}

test('options given to start() or trackListeners() while running are not dropped silently: a warning says so', () => {
  const w = captureWarnings();
  try {
    assert.equal(lg.trackListeners(), true);
    try {
      assert.equal(lg.trackListeners(), false);
      assert.equal(w.seen.length, 0, 'no options, nothing to say');
      assert.equal(lg.trackListeners({ sampleEvery: 1 }), false);
      assert.equal(w.seen.length, 1);
      assert.equal(w.seen[0].code, 'LEAKGUARD_ALREADY_STARTED');
      assert.match(w.seen[0].message, /sampleEvery/);
      assert.throws(() => lg.trackListeners({ sampleEvry: 1 }), { code: INVALID }, 'still validated');
    } finally {
      lg.untrackListeners();
    }
    w.seen.length = 0;
    lg.start({ timers: false, listeners: false });
    try {
      lg.start();
      assert.equal(w.seen.length, 0);
      lg.start({ onLeak() {} });
      assert.equal(w.seen.length, 1);
      assert.equal(w.seen[0].code, 'LEAKGUARD_ALREADY_STARTED');
      assert.match(w.seen[0].message, /onLeak/);
      assert.throws(() => lg.start({ onleak() {} }), { code: INVALID }, 'still validated');
    } finally {
      lg.stop();
    }
  } finally {
    w.restore();
  }
});
