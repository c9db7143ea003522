'use strict';
// The listener ledger: counts per add call site, emitter behaviour unchanged,
// nothing kept alive, prototypes restored exactly.
const test = require('node:test');
const { captureWarnings } = require('./support/warnings');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const EventEmitter = require('node:events');
const { getEventListeners } = EventEmitter;
const { trackListeners, untrackListeners, listeners } = require('../lib/listeners');
const { ledgerTick } = require('../lib/internal/unsafe-internals').unsafeExposeInternals('listeners');
const { statsTable, CELLS } = require('../lib/internal/stats');

const SOURCE = fs.readFileSync(__filename, 'utf8').split('\n');
/** 1-based line of the line carrying `// @site:<name>`. */
function lineOf(name) {
  const i = SOURCE.findIndex((l) => l.includes(`// @site:${name}`));
  assert.notEqual(i, -1, name);
  return i + 1;
}
function siteAt(name, event) {
  const line = lineOf(name);
  return listeners().find((s) => s.site && s.site.file === __filename && s.site.line === line && s.event === event);
}

// Each test runs with a fresh ledger and exact attribution unless it says
// otherwise, in the default (sampled) mode, or in the mode
// LEAKGUARD_LISTENERS names (`LEAKGUARD_LISTENERS=exact node --test …` runs
// them all against the exact books). A test of what only exact books promise
// at volume names `mode: 'exact'` itself.
const MODE = ['exact', 'sampled'].includes(process.env.LEAKGUARD_LISTENERS) ? process.env.LEAKGUARD_LISTENERS : undefined;
function tracked(fn, options = { sampleEvery: 1, capturesPerSecond: Infinity }) {
  return async (t) => {
    trackListeners(MODE === undefined || 'mode' in options ? options : { ...options, mode: MODE });
    try {
      await fn(t);
    } finally {
      untrackListeners();
    }
  };
}

test(
  'balanced per-request on + off on close, over real HTTP requests: zero live growth at the site',
  tracked(async () => {
    const bus = new EventEmitter();
    bus.setMaxListeners(0);
    let closed = 0;
    let allClosed;
    const done = new Promise((resolve) => (allClosed = resolve));
    const N = 40;
    const server = http.createServer((req, res) => {
      const send = (data) => res.write(String(data));
      bus.on('update', send); // @site:balanced
      res.on('close', () => {
        bus.off('update', send);
        if (++closed === N) allClosed();
      });
      bus.emit('update', 'hi ');
      res.end('done');
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    try {
      const { port } = server.address();
      await Promise.all(
        Array.from({ length: N }, () =>
          new Promise((resolve, reject) => {
            http.get({ host: '127.0.0.1', port, agent }, (r) => r.resume().on('end', resolve)).on('error', reject);
          }),
        ),
      );
      await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error('closes timed out')), 10_000).unref())]);
    } finally {
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
    const site = siteAt('balanced', 'update');
    assert.ok(site, 'the bus.on line is a site');
    assert.equal(site.adds, N);
    assert.equal(site.removes, N);
    assert.equal(site.live, 0);
    assert.equal(site.emitters, 0);
    assert.equal(bus.listenerCount('update'), 0);
  }),
);

test(
  'unbalanced subscribe with setMaxListeners(0): the exact bus.on line, with the right live count',
  tracked(() => {
    const bus = new EventEmitter();
    bus.setMaxListeners(0);
    const { warnings, restore } = captureWarnings();
    function handle(i) {
      const send = () => i;
      bus.on('update', send); // @site:unbalanced
    }
    for (let i = 0; i < 25; i++) handle(i);
    restore();
    const top = listeners()[0];
    assert.equal(top.site.file, __filename);
    assert.equal(top.site.line, lineOf('unbalanced'));
    assert.equal(top.site.column, SOURCE[lineOf('unbalanced') - 1].indexOf('bus.on') + 5);
    assert.equal(top.event, 'update');
    assert.equal(top.live, 25);
    assert.equal(top.adds, 25);
    assert.equal(top.emitters, 1);
    assert.ok(Array.isArray(top.stack) && top.stack.length >= 1);
    assert.equal(warnings.length, 0, 'Node stays silent: only the ledger sees it');
  }),
);

test(
  'the counts are in a listener row of the shared stats table',
  tracked(() => {
    const e = new EventEmitter();
    e.on('tick', () => {}); // @site:row
    e.on('tick', () => {}); // @site:row2
    const line = lineOf('row');
    const row = statsTable()
      .snapshot()
      .find((r) => r.meta.kind === 'listener' && r.meta.site && r.meta.site.line === line && r.meta.site.file === __filename);
    assert.ok(row);
    assert.equal(row.meta.detail, 'tick');
    assert.equal(row.cells[CELLS.site.ADDS], 1);
    assert.equal(row.cells[CELLS.site.REMOVES], 0);
    assert.equal(row.cells[CELLS.site.EMITTERS], 1);
    assert.ok(Array.isArray(row.meta.stack));
  }),
);

test(
  'once: fired counts as removed, not fired stays live, removable by the original function',
  tracked(() => {
    const e = new EventEmitter();
    const seen = [];
    const f = (x) => seen.push(x);
    e.once('a', f); // @site:onceA
    e.once('a', f); // @site:onceA2
    e.once('b', f); // @site:onceB
    const raw = e.rawListeners('b')[0];
    assert.equal(raw.listener, f, 'once wrapper unchanged');
    assert.deepEqual(e.listeners('b'), [f]);
    assert.equal(e.emit('a', 1), true);
    assert.deepEqual(seen, [1, 1]);
    assert.equal(siteAt('onceA', 'a').live, 0);
    assert.equal(siteAt('onceA', 'a').removes, 1);
    assert.equal(siteAt('onceA2', 'a').live, 0);
    assert.equal(siteAt('onceB', 'b').live, 1);
    e.removeListener('b', f);
    assert.equal(siteAt('onceB', 'b').live, 0);
    assert.equal(e.listenerCount('b'), 0);
  }),
);

test(
  'prependListener keeps order and is credited on removal',
  tracked(() => {
    const e = new EventEmitter();
    const a = () => {};
    const b = () => {};
    e.on('x', a);
    e.prependListener('x', b); // @site:prepend
    e.prependOnceListener('x', a); // @site:prependOnce
    assert.deepEqual(e.listeners('x'), [a, b, a]);
    assert.equal(siteAt('prepend', 'x').live, 1);
    assert.equal(siteAt('prependOnce', 'x').live, 1);
    e.off('x', b);
    assert.deepEqual(e.listeners('x'), [a, a]);
    assert.equal(siteAt('prepend', 'x').live, 0);
    e.emit('x');
    assert.equal(siteAt('prependOnce', 'x').live, 0);
  }),
);

test(
  'removeAllListeners(event) and removeAllListeners() credit every site, with or without removeListener listeners',
  tracked(() => {
    for (const watched of [false, true]) {
      const e = new EventEmitter();
      const removed = [];
      if (watched) e.on('removeListener', (name) => removed.push(name)); // @site:watcher
      e.on('p', () => {}); // @site:allP
      e.on('p', () => {}); // @site:allP2
      e.on('q', () => {}); // @site:allQ
      assert.equal(e.removeAllListeners('p'), e);
      assert.equal(siteAt('allP', 'p').live, 0);
      assert.equal(siteAt('allP2', 'p').live, 0);
      assert.equal(siteAt('allQ', 'q').live, 1);
      e.removeAllListeners();
      assert.equal(siteAt('allQ', 'q').live, 0);
      assert.equal(e.eventNames().length, 0);
      if (watched) {
        assert.deepEqual(removed, ['p', 'p', 'q']);
        assert.equal(siteAt('watcher', 'removeListener').live, 0);
      }
    }
    // Credited once each, never twice.
    assert.equal(siteAt('allP', 'p').removes, 2);
    assert.equal(siteAt('allP', 'p').adds, 2);
  }),
);

test(
  'the same function added twice: two live listeners, each removal credits one',
  tracked(() => {
    const e = new EventEmitter();
    const f = () => {};
    e.on('x', f); // @site:twice
    e.on('x', f); // @site:twice2
    assert.equal(e.listenerCount('x'), 2);
    assert.equal(siteAt('twice', 'x').live + siteAt('twice2', 'x').live, 2);
    e.off('x', f);
    assert.equal(siteAt('twice', 'x').live + siteAt('twice2', 'x').live, 1);
    e.off('x', f);
    e.off('x', f); // nothing left: not counted
    assert.equal(siteAt('twice', 'x').removes + siteAt('twice2', 'x').removes, 2);
    assert.equal(siteAt('twice', 'x').live + siteAt('twice2', 'x').live, 0);
  }),
);

test(
  'emitter behaviour is unchanged: return values, newListener/removeListener, errors, getEventListeners',
  tracked(() => {
    const e = new EventEmitter();
    const events = [];
    e.on('newListener', (name, fn) => events.push(['new', name, fn]));
    e.on('removeListener', (name, fn) => events.push(['remove', name, fn]));
    const f = () => {};
    assert.equal(e.on('x', f), e);
    assert.equal(e.once('y', f), e);
    assert.equal(e.off('x', f), e);
    assert.equal(e.emit('y'), true);
    assert.deepEqual(events, [
      ['new', 'removeListener', events[0][2]],
      ['new', 'x', f],
      ['new', 'y', f],
      ['remove', 'x', f],
      ['remove', 'y', f],
    ]);
    assert.throws(() => e.on('x', 'nope'), { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' });
    assert.throws(() => e.off('x', 42), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.equal(EventEmitter.prototype.on, EventEmitter.prototype.addListener);
    assert.equal(EventEmitter.prototype.off, EventEmitter.prototype.removeListener);
    assert.equal(EventEmitter.prototype.on.name, 'addListener');
    assert.equal(e.listenerCount('x'), 0);
    e.on('z', f);
    assert.deepEqual(getEventListeners(e, 'z'), [f]);
    // Symbols as event names.
    const sym = Symbol('evt');
    e.on(sym, f); // @site:symbol
    assert.equal(siteAt('symbol', sym).live, 1);
  }),
);

test(
  'EventTarget: add/remove, duplicates, capture, { once: true }, { signal } and AbortSignal listeners',
  tracked(() => {
    const et = new EventTarget();
    const calls = [];
    const f = (ev) => calls.push(ev.type);
    et.addEventListener('x', f); // @site:etAdd
    et.addEventListener('x', f); // a duplicate: Node ignores it, so does the ledger
    et.addEventListener('x', f, { capture: true }); // @site:etCapture
    assert.equal(siteAt('etAdd', 'x').adds, 1);
    assert.equal(siteAt('etCapture', 'x').live, 1);
    et.removeEventListener('x', f);
    assert.equal(siteAt('etAdd', 'x').live, 0);
    assert.equal(siteAt('etCapture', 'x').live, 1, 'the capture listener is another listener');
    et.removeEventListener('x', f, { capture: true });
    assert.equal(siteAt('etCapture', 'x').live, 0);
    assert.deepEqual(getEventListeners(et, 'x'), []);

    const g = () => calls.push('once');
    et.addEventListener('y', g, { once: true }); // @site:etOnce
    assert.equal(siteAt('etOnce', 'y').live, 1);
    assert.equal(et.dispatchEvent(new Event('y')), true);
    et.dispatchEvent(new Event('y'));
    assert.deepEqual(calls, ['once']);
    assert.equal(siteAt('etOnce', 'y').live, 0);

    const ac = new AbortController();
    const h = () => {};
    et.addEventListener('z', h, { signal: ac.signal }); // @site:etSignal
    assert.equal(siteAt('etSignal', 'z').live, 1);
    const onAbort = () => calls.push('abort');
    ac.signal.addEventListener('abort', onAbort, { once: true }); // @site:abortOnce
    const stays = () => {};
    ac.signal.addEventListener('abort', stays); // @site:abortStays
    ac.abort();
    assert.equal(ac.signal.aborted, true);
    assert.deepEqual(calls, ['once', 'abort']);
    assert.equal(siteAt('etSignal', 'z').live, 0, 'the signal removed it');
    assert.deepEqual(getEventListeners(et, 'z'), []);
    assert.equal(siteAt('abortOnce', 'abort').live, 0);
    assert.equal(siteAt('abortStays', 'abort').live, 1);

    // An already aborted signal adds nothing; a null listener adds nothing.
    et.addEventListener('w', h, { signal: ac.signal }); // @site:etAborted
    assert.equal(siteAt('etAborted', 'w'), undefined);
    assert.throws(() => et.addEventListener('w', 'nope'), { code: 'ERR_INVALID_ARG_TYPE' });
  }),
);

test(
  'EventTarget: the ledger counts from what Node filed (an object type, accessor or function options), never reading them again',
  tracked(() => {
    const et = new EventTarget();
    const f = () => {};
    let conversions = 0;
    const type = {
      toString() {
        conversions++;
        return 'x';
      },
    };
    let captureReads = 0;
    const captureOn = {
      get capture() {
        captureReads++;
        return true;
      },
    };
    et.addEventListener(type, f); // @site:etObjType
    et.addEventListener('x', f, captureOn); // @site:etGetter
    assert.equal(siteAt('etObjType', 'x').live, 1);
    assert.equal(siteAt('etGetter', 'x').live, 1, 'filed under the name Node gave it');
    et.removeEventListener(type, f, captureOn); // the capture one (Node reads capture once)
    assert.equal(siteAt('etGetter', 'x').live, 0);
    assert.equal(siteAt('etObjType', 'x').live, 1);
    et.removeEventListener(type, f);
    assert.equal(siteAt('etObjType', 'x').live, 0);
    assert.deepEqual([conversions, captureReads], [3, 2], "only Node's own reads: one per call");

    const once = Object.assign(() => {}, { once: true });
    et.addEventListener('y', f, once); // @site:etFnOptions
    assert.equal(siteAt('etFnOptions', 'y').live, 1);
    et.dispatchEvent(new Event('y'));
    assert.equal(siteAt('etFnOptions', 'y').live, 0, 'a once listener, credited after its dispatch');
  }),
);

test(
  'a handleEvent object on an EventTarget is tracked and released',
  tracked(() => {
    const et = new EventTarget();
    const handler = { handleEvent() {} };
    et.addEventListener('m', handler); // @site:handleEvent
    assert.equal(siteAt('handleEvent', 'm').live, 1);
    et.removeEventListener('m', handler);
    assert.equal(siteAt('handleEvent', 'm').live, 0);
  }),
);

const v8 = require('node:v8');
const vm = require('node:vm');
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const tick = () => new Promise((resolve) => setImmediate(resolve));
// WeakRef#deref keeps its target alive until the current job ends, so each
// collection starts in a fresh job, and the check runs after the
// FinalizationRegistry callbacks had a turn.
async function collect(until) {
  for (let i = 0; i < 30; i++) {
    await tick();
    gc();
    await tick();
    if (until()) return;
  }
}

test(
  'weak EventTarget listeners stay weak: util.aborted with dead resources leaves no listener after a GC, and the ledger credits them',
  tracked(
    async () => {
      const util = require('node:util');
      const signal = new AbortController().signal;
      const events = require('node:events');
      events.setMaxListeners(0, signal);
      (function add() {
        for (let i = 0; i < 1000; i++) util.aborted(signal, {}); // each resource dies at once
      })();
      assert.equal(getEventListeners(signal, 'abort').length, 1000);
      const abortRows = () => listeners().filter((s) => s.event === 'abort');
      assert.equal(abortRows().reduce((n, s) => n + s.live, 0), 1000, 'counted while attached');
      await collect(() => getEventListeners(signal, 'abort').length === 0);
      assert.equal(getEventListeners(signal, 'abort').length, 0, 'Node dropped every weak listener (the ledger held none)');
      assert.equal(abortRows().reduce((n, s) => n + s.live, 0), 0, 'and the ledger credited them');
    },
    { sampleEvery: 1, capturesPerSecond: Infinity, internal: true },
  ),
);

test(
  'a garbage-collected emitter releases its bookkeeping, and the tracker holds no emitter alive',
  tracked(async () => {
    let ref;
    let targetRef;
    (function make() {
      const e = new EventEmitter();
      e.setMaxListeners(0);
      // Listeners that reach their emitter: the usual closure shape.
      for (let i = 0; i < 5; i++) e.on('data', () => e.listenerCount('data')); // @site:gcEmitter
      ref = new WeakRef(e);
      const et = new EventTarget();
      et.addEventListener('ping', () => et, { once: true }); // @site:gcTarget
      targetRef = new WeakRef(et);
    })();
    assert.equal(siteAt('gcEmitter', 'data').live, 5);
    await collect(() => ref.deref() === undefined && targetRef.deref() === undefined && siteAt('gcEmitter', 'data').live === 0);
    assert.equal(ref.deref(), undefined, 'the emitter was collected');
    assert.equal(targetRef.deref(), undefined, 'the EventTarget was collected');
    const site = siteAt('gcEmitter', 'data');
    assert.equal(site.live, 0);
    assert.equal(site.removes, 5);
    assert.equal(site.emitters, 0);
    assert.equal(siteAt('gcTarget', 'ping').live, 0);
  }),
);

test(
  'thousands of short-lived emitters share a few GC registrations, and a GC brings the bookkeeping back to zero',
  tracked(async () => {
    // The per-request shape at volume: a new emitter per "request" that dies
    // with its close listener still attached, and a balanced bus on/off.
    // Registering every emitter with the FinalizationRegistry kept ~300 bytes
    // per emitter alive between major GCs (a false "growing heap" at 1 000
    // requests/s); emitters are registered in cohorts instead.
    const { ledgerBookkeeping } = require('../lib/listeners');
    const N = 5000;
    const bus = new EventEmitter();
    bus.setMaxListeners(0);
    for (let i = 0; i < N; i++) {
      const res = new EventEmitter();
      const send = () => res;
      bus.on('update', send); // @site:churnBus
      res.on('close', () => bus.off('update', send)); // @site:churnClose
      res.emit('close');
    }
    const made = ledgerBookkeeping();
    assert.ok(made.books >= N, `every emitter has a book (${made.books})`);
    assert.ok(made.cohorts <= N / 16, `${made.cohorts} FinalizationRegistry registrations for ${made.books} emitters`);
    const close = () => siteAt('churnClose', 'close');
    // Left alive: the bus's own cohort (the bus is still referenced here).
    await collect(() => close().live === 0 && ledgerBookkeeping().cohortsAlive <= 1);
    assert.equal(close().adds, N);
    assert.equal(close().removes, N, 'every collected emitter credited its listener');
    assert.equal(close().live, 0);
    assert.equal(close().emitters, 0);
    const busSite = siteAt('churnBus', 'update');
    assert.deepEqual([busSite.adds, busSite.removes, busSite.live, busSite.emitters], [N, N, 0, 0]);
    assert.ok(ledgerBookkeeping().cohortsAlive <= 1, `${ledgerBookkeeping().cohortsAlive} cohorts outlived their emitters`);
    assert.equal(bus.listenerCount('update'), 0);
  }, { mode: 'exact', sampleEvery: 1, capturesPerSecond: Infinity }),
);

test('untrackListeners() restores the prototypes exactly; both calls are idempotent', () => {
  const names = ['on', 'addListener', 'prependListener', 'once', 'prependOnceListener', 'off', 'removeListener', 'removeAllListeners'];
  const before = Object.fromEntries(names.map((n) => [n, EventEmitter.prototype[n]]));
  const etNames = ['addEventListener', 'removeEventListener', 'dispatchEvent'];
  const etBefore = Object.fromEntries(etNames.map((n) => [n, EventTarget.prototype[n]]));
  const descriptors = Object.getOwnPropertyDescriptors(EventEmitter.prototype);
  assert.equal(trackListeners(), true);
  assert.equal(trackListeners(), false, 'second call changes nothing');
  assert.notEqual(EventEmitter.prototype.on, before.on);
  assert.notEqual(EventTarget.prototype.addEventListener, etBefore.addEventListener);
  assert.equal(untrackListeners(), true);
  assert.equal(untrackListeners(), false);
  for (const n of names) assert.equal(EventEmitter.prototype[n], before[n], n);
  for (const n of etNames) assert.equal(EventTarget.prototype[n], etBefore[n], n);
  assert.deepEqual(Object.getOwnPropertyDescriptors(EventEmitter.prototype), descriptors);
  assert.deepEqual(listeners(), [], 'no ledger when not tracking');
});

test('listeners added before tracking are not credited when removed later', () => {
  const e = new EventEmitter();
  const f = () => {};
  e.on('x', f);
  trackListeners({ sampleEvery: 1 });
  try {
    e.off('x', f);
    e.on('x', f); // @site:afterTrack
    e.removeAllListeners('x');
    const site = siteAt('afterTrack', 'x');
    assert.equal(site.adds, 1);
    assert.equal(site.removes, 1);
    assert.equal(listeners().reduce((n, s) => n + s.removes, 0), 1);
  } finally {
    untrackListeners();
  }
});

test(
  'sampled attribution: a second site sharing a cached key gets its own row once a sample sees it',
  tracked(
    () => {
      const e = new EventEmitter();
      e.setMaxListeners(0);
      const fromA = () => e.on('t', () => {}); // @site:sampledA
      const fromB = () => e.on('t', () => {}); // @site:sampledB
      for (let i = 0; i < 300; i++) {
        fromA();
        fromB();
      }
      const a = siteAt('sampledA', 't');
      const b = siteAt('sampledB', 't');
      assert.ok(b, 'the second site was found by sampling');
      // Totals are exact whatever the attribution.
      assert.equal(a.adds + b.adds, 600);
      assert.equal(a.live + b.live, 600);
    },
    { sampleEvery: 16, capturesPerSecond: Infinity },
  ),
);

test(
  'removals in any order credit the line that added each listener, on short and long lists',
  tracked(() => {
    for (const count of [5, 200]) {
      const e = new EventEmitter();
      e.setMaxListeners(0);
      const fromA = [];
      const fromB = [];
      for (let i = 0; i < count; i++) {
        const a = () => i;
        const b = () => -i;
        e.on('m', a); // @site:orderA
        e.on('m', b); // @site:orderB
        fromA.push(a);
        fromB.push(b);
      }
      const expect = (a, b) => {
        assert.equal(siteAt('orderA', 'm').live, a);
        assert.equal(siteAt('orderB', 'm').live, b);
      };
      // Oldest first (every removal mid-list), then the rest newest first.
      fromA.forEach((a, i) => {
        e.off('m', a);
        expect(count - i - 1, count);
      });
      [...fromB].reverse().forEach((b, i) => {
        e.off('m', b);
        expect(0, count - i - 1);
      });
      assert.equal(e.listenerCount('m'), 0);
    }
  }),
);


test(
  'a shared emitter whose listeners leave in arrival order: counts stay exact across thousands of removals, duplicates and removeAllListeners',
  tracked(() => {
    const bus = new EventEmitter();
    bus.setMaxListeners(0);
    const addRolling = (fn) => bus.on('tick', fn); // @site:rolling
    const twice = () => 'twice';
    const addTwice = () => bus.on('tick', twice); // @site:sameTwice
    const window = [];
    for (let i = 0; i < 3000; i++) {
      const fn = () => i;
      addRolling(fn);
      window.push(fn);
      if (window.length > 50) bus.off('tick', window.shift());
      if (i % 500 === 0) assert.equal(siteAt('rolling', 'tick').live, window.length);
    }
    assert.equal(siteAt('rolling', 'tick').live, 50);
    assert.equal(siteAt('rolling', 'tick').live, bus.listenerCount('tick'));
    // The same function twice, among the others: each removal takes one.
    addTwice();
    addRolling(window[0]);
    addTwice();
    assert.equal(siteAt('sameTwice', 'tick').live, 2);
    bus.off('tick', twice);
    assert.equal(siteAt('sameTwice', 'tick').live, 1);
    bus.off('tick', window[10]);
    bus.off('tick', window[20]);
    bus.off('tick', twice);
    assert.equal(siteAt('sameTwice', 'tick').live, 0);
    assert.equal(siteAt('rolling', 'tick').live, 49);
    assert.equal(siteAt('rolling', 'tick').live, bus.listenerCount('tick'));
    // What is left after removals from the middle is credited by removeAllListeners.
    bus.removeAllListeners('tick');
    assert.equal(siteAt('rolling', 'tick').live, 0);
    addTwice();
    assert.equal(siteAt('sameTwice', 'tick').live, 1, 'the list works again after being emptied');
    bus.off('tick', twice);
    assert.equal(siteAt('sameTwice', 'tick').live, 0);
  }, { mode: 'exact', sampleEvery: 1, capturesPerSecond: Infinity }),
);

test(
  'fresh closures on fresh emitters of one class: each line gets its own row, totals exact',
  tracked(
    () => {
      // A fresh function is first looked up by its emitter's class and the
      // event; two lines sharing both are told apart by sampled stacks.
      class Request extends EventEmitter {}
      const held = [];
      const fromA = () => held.push(new Request().on('done', () => {})); // @site:classA
      const fromB = () => held.push(new Request().on('done', () => {})); // @site:classB
      for (let i = 0; i < 300; i++) {
        fromA();
        fromB();
      }
      const a = siteAt('classA', 'done');
      const b = siteAt('classB', 'done');
      assert.ok(a && b, 'both lines have a row');
      assert.equal(a.adds + b.adds, 600);
      assert.equal(a.live + b.live, 600);
      assert.equal(a.emitters + b.emitters, 600);
      for (const r of held) r.removeAllListeners();
      assert.equal(siteAt('classA', 'done').live + siteAt('classB', 'done').live, 0);
    },
    { sampleEvery: 16, capturesPerSecond: Infinity },
  ),
);

test(
  'a line that starts adding to a class and event long after another is found at the next periodic check',
  tracked(
    () => {
      class Job extends EventEmitter {}
      const held = [];
      const fromA = () => held.push(new Job().on('end', () => {})); // @site:lateA
      const fromB = () => held.push(new Job().on('end', () => {})); // @site:lateB
      for (let i = 0; i < 2000; i++) fromA(); // the class key's checks agree and back off
      for (let s = 0; s < 5; s++) ledgerTick(); // five seconds of the ledger's clock
      fromB();
      const b = siteAt('lateB', 'end');
      assert.ok(b, 'the late line has a row');
      assert.equal(b.live, 1);
      assert.equal(siteAt('lateA', 'end').live, 2000);
    },
    { mode: 'exact', sampleEvery: 16, capturesPerSecond: Infinity },
  ),
);

test(
  'an emitter whose constructor getter throws is still counted and never stops the ledger',
  tracked(() => {
    const hostile = new Proxy(new EventEmitter(), {
      get(target, key, receiver) {
        if (key === 'constructor') throw new Error('no constructor for you');
        return Reflect.get(target, key, receiver);
      },
    });
    const f = () => {};
    hostile.on('h', () => {}); // @site:hostile
    hostile.on('h', f);
    assert.equal(siteAt('hostile', 'h').live, 1);
    const plain = new EventEmitter();
    plain.on('p', f); // @site:afterHostile
    assert.equal(siteAt('afterHostile', 'p').live, 1, 'the ledger kept counting');
  }),
);

test('options are validated with a code naming the option', () => {
  assert.throws(() => trackListeners({ sampleEvery: 0 }), { name: 'RangeError', code: 'ERR_LEAKGUARD_INVALID_OPTION', message: /sampleEvery/ });
  assert.throws(() => trackListeners({ internal: 'yes' }), { name: 'TypeError', code: 'ERR_LEAKGUARD_INVALID_OPTION', message: /internal/ });
  assert.throws(() => trackListeners({ capturesPerSecond: -1 }), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => trackListeners('fast'), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.equal(listeners().length, 0, 'a refused call installs nothing');
  assert.equal(untrackListeners(), false);
});

test(
  'adds made by Node with no user frame are skipped unless { internal: true }',
  tracked(
    async () => {
      const server = http.createServer((req, res) => res.end('ok'));
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address();
      await new Promise((resolve, reject) => http.get({ host: '127.0.0.1', port }, (r) => r.resume().on('end', resolve)).on('error', reject));
      await new Promise((resolve) => server.close(resolve));
      const internal = listeners().filter((s) => s.site && s.site.file.startsWith('node:'));
      assert.ok(internal.length > 0, 'Node-internal sites are counted with { internal: true }');
    },
    { sampleEvery: 1, capturesPerSecond: Infinity, internal: true },
  ),
);

test(
  'the ledger adds nothing visible to an emitter, and handles frozen and proxied emitters',
  tracked(() => {
    const util = require('node:util');
    const plain = new EventEmitter();
    const tracked = new EventEmitter();
    const f = () => {};
    plain.on('x', f);
    tracked.on('x', f);
    assert.deepEqual(Object.keys(tracked), Object.keys(plain));
    assert.equal(util.inspect(tracked), util.inspect(plain));
    assert.deepStrictEqual(tracked, plain);

    const frozen = Object.freeze(new EventEmitter());
    // A frozen emitter cannot take new listeners in Node either (its _events is
    // replaced on the first add); a sealed-but-writable one can.
    const sealed = Object.preventExtensions(new EventEmitter());
    sealed.on('s', f); // @site:sealed
    assert.equal(siteAt('sealed', 's').live, 1);
    sealed.off('s', f);
    assert.equal(siteAt('sealed', 's').live, 0);
    assert.ok(Object.isFrozen(frozen));

    const defined = [];
    const proxied = new Proxy(new EventEmitter(), {
      defineProperty(target, key, descriptor) {
        defined.push(key);
        return Reflect.defineProperty(target, key, descriptor);
      },
    });
    proxied.on('p', f); // @site:proxied
    assert.equal(siteAt('proxied', 'p').live, 1);
    proxied.off('p', f);
    assert.equal(siteAt('proxied', 'p').live, 0);
    assert.deepEqual(defined.filter((k) => typeof k === 'symbol'), [], 'nothing of ours defined through a proxy');
  }),
);

test(
  'removeAllListeners(undefined) is not removeAllListeners()',
  tracked(() => {
    const e = new EventEmitter();
    e.on('kept', () => {}); // @site:keptAll
    e.removeAllListeners(undefined);
    assert.equal(e.listenerCount('kept'), 1);
    assert.equal(siteAt('keptAll', 'kept').live, 1);
  }),
);

test('a ledger failure never reaches the emitter: one warning, counting stops, emitters keep working', async () => {
  const { ListenerLedger } = require('../lib/listeners/ledger');
  const original = ListenerLedger.prototype.added;
  ListenerLedger.prototype.added = () => {
    throw new Error('ledger bug');
  };
  const { warnings, restore } = captureWarnings();
  trackListeners();
  try {
    const e = new EventEmitter();
    const f = () => {};
    assert.equal(e.on('x', f), e);
    assert.equal(e.on('x', f), e);
    assert.equal(e.listenerCount('x'), 2);
    e.off('x', f);
    assert.equal(e.listenerCount('x'), 1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(warnings.filter((w) => w.code === 'LEAKGUARD_LISTENER_LEDGER').length, 1);
    assert.deepEqual(listeners(), []);
  } finally {
    await restore();
    ListenerLedger.prototype.added = original;
    assert.equal(untrackListeners(), true, 'untrack still restores the prototypes');
  }
});
