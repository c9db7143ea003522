'use strict';
// Lazy classification: in lazy mode a timer whose callback object was never
// seen (a fresh closure per call) is created without reading its source text
// and waits in a pending row; only the ones still live at a drain (pending
// array full, clock tick, timers()) are classified. These tests force lazy
// mode through the registry's internals (unsafeExposeInternals('timers')) and check what a user relies on:
// exact lines and live counts, cleared timers never counted live, the
// sampler's rows right after a classification, texts first seen in lazy mode
// still found at their line, nothing retained, handles that keep working.
const test = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');
const { AsyncLocalStorage } = require('node:async_hooks');

const { within, collect, alive, inStore } = require('./support/retention');
const native = { setTimeout, setInterval, clearTimeout, clearInterval };
const { patchTimers, unpatchTimers, timers } = require('../lib/timers');
const { lineHere, linesOf } = require('./support/timer-lines');
const testing = require('../lib/internal/unsafe-internals').unsafeExposeInternals('timers');
const { statsTable, CELLS } = require('../lib/internal/stats');

const { rowAt, live } = linesOf(__filename);

/** ADDS − REMOVES of this file's stats row at `line` as the Rust sampler reads it (no timers() call, so no drain). */
function sampled(line, kind) {
  const row = statsTable()
    .snapshot()
    .find((r) => r.meta.kind === 'timer' && r.meta.detail === kind && r.meta.site && r.meta.site.file === __filename && r.meta.site.line === line);
  return row === undefined ? 0 : row.cells[CELLS.site.ADDS] - row.cells[CELLS.site.REMOVES];
}

/** Live count of the unclassified row of `kind` (site null). */
function unclassified(kind) {
  const row = testing.registry().sites.rows.get(`${kind}|<unclassified>`);
  return row === undefined ? 0 : row.cells[CELLS.site.ADDS] - row.cells[CELLS.site.REMOVES];
}

/** Runs `body` with lazy classification set to `options`, then puts it back. */
async function withLazy(options, body) {
  const previous = testing.configure(options);
  try {
    return await body(testing.registry());
  } finally {
    testing.configure(previous);
  }
}

test.before(() => patchTimers());
test.after(() => unpatchTimers());

test('lazy: fresh closures from two lines are counted at their exact lines with exact live counts', async () => {
  const made = [];
  let lineA;
  let lineB;
  await withLazy({ lazyMode: 'lazy', sampleEvery: 8 }, (registry) => {
    let heldPending = 0;
    for (let i = 0; i < 300; i++) {
      lineA = lineHere(); made.push(setTimeout(() => `a${i}`, 60_000).unref());
      lineB = lineHere(); made.push(setTimeout(() => `b${i}`, 60_000).unref());
      heldPending = Math.max(heldPending, registry.pendingLive);
    }
    assert.ok(heldPending > 0, 'timers took the lazy path');
  });
  assert.equal(live(lineA, 'timeout'), 300);
  assert.equal(live(lineB, 'timeout'), 300);
  assert.equal(sampled(lineA, 'timeout'), 300, 'the stats row agrees once classified');
  for (const t of made.filter((_, i) => i % 2 === 0).slice(0, 100)) clearTimeout(t);
  assert.equal(live(lineA, 'timeout'), 200);
  assert.equal(sampled(lineA, 'timeout'), 200);
  assert.equal(live(lineB, 'timeout'), 300);
  for (const t of made) clearTimeout(t);
  assert.equal(rowAt(lineA, 'timeout'), undefined);
  assert.equal(rowAt(lineB, 'timeout'), undefined);
});

test('lazy: callbacks seen before wait pending too and are classified by identity, even when their text is shared', async () => {
  // Two functions with one source text at two lines: the text can never
  // tell them apart, only the WeakMap can.
  const onA = function () {};
  const onB = function () {};
  const made = [];
  let lineA;
  let lineB;
  const fromA = () => {
    lineA = lineHere(); made.push(setTimeout(onA, 60_000).unref());
  };
  const fromB = () => {
    lineB = lineHere(); made.push(setTimeout(onB, 60_000).unref());
  };
  await withLazy({ lazyMode: 'eager' }, () => {
    fromA();
    fromB();
  });
  await withLazy({ lazyMode: 'lazy', sampleEvery: 1e9 }, (registry) => {
    const pendingBefore = registry.pendingLive;
    for (let i = 0; i < 20; i++) {
      fromA();
      fromB();
    }
    assert.ok(registry.pendingLive > pendingBefore, 'lazy creations of known callbacks skipped the lookup');
  });
  assert.equal(live(lineA, 'timeout'), 21);
  assert.equal(live(lineB, 'timeout'), 21);
  // A function known to be scheduled from two lines cannot be classified
  // after the fact: counted at the unclassified row, and its kind turns
  // eager so that the next ones are read at their line.
  const shared = function sharedCallback() {};
  let lineS;
  let lineT;
  await withLazy({ lazyMode: 'eager' }, (registry) => {
    const previous = testing.configure({ textCheckEvery: 1, firstChecks: 1e9 });
    try {
      lineS = lineHere(); made.push(setTimeout(shared, 60_000).unref());
      for (let i = 0; i < 2; i++) {
        // Both lines re-read (the budget of verifications is per tick).
        registry.sites.verifyCountdown = 1;
        registry.sites.verifyBudget = 8;
        lineT = lineHere(); made.push(setTimeout(shared, 60_000).unref());
      }
    } finally {
      testing.configure(previous);
    }
  });
  assert.equal(live(lineS, 'timeout'), 1);
  assert.equal(live(lineT, 'timeout'), 2);
  const before = unclassified('timeout');
  await withLazy({ lazyMode: 'lazy', sampleEvery: 1e9 }, (registry) => {
    made.push(setTimeout(shared, 60_000).unref());
    testing.tick();
    assert.ok(registry.sites.eagerUntil[0] > registry.sites.tick, 'timeouts stay eager for a few ticks (in auto mode)');
  });
  assert.equal(unclassified('timeout'), before + 1);
  for (const t of made) clearTimeout(t);
  assert.equal(live(lineA, 'timeout') + live(lineB, 'timeout') + unclassified('timeout'), before);
});

test('lazy: timers cleared while pending are never counted live nor classified, and the pending array stays bounded', async () => {
  let line;
  const make = (i) => {
    line = lineHere(); return setTimeout(() => i * 7, 60_000).unref();
  };
  const keep = [];
  await withLazy({ lazyMode: 'eager' }, () => keep.push(make(-1))); // learns the text at its line
  assert.equal(rowAt(line, 'timeout').created, 1);
  await withLazy({ lazyMode: 'lazy', sampleEvery: 1e9, pendingBound: 64 }, (registry) => {
    for (let i = 0; i < 5000; i++) {
      clearTimeout(make(i));
      if (i % 250 === 0) keep.push(make(i));
      assert.ok(registry.pendingCount <= 64);
    }
    assert.ok(registry.pendingLive > 0 || rowAt(line, 'timeout').live > 1, 'some live ones were pending');
  });
  const row = rowAt(line, 'timeout');
  assert.equal(row.live, keep.length); // 21
  assert.equal(row.created, keep.length, 'the 5000 cleared while pending were never classified');
  assert.equal(sampled(line, 'timeout'), keep.length);
  for (const t of keep) clearTimeout(t);
  assert.equal(rowAt(line, 'timeout'), undefined);
  assert.equal(sampled(line, 'timeout'), 0);
});

test('lazy: long-lived pending intervals reach the stats row at a classification (a tick), oldest age kept', async () => {
  let line;
  const addTenant = (name) => {
    line = lineHere(); return setInterval(() => name.length, 60_000).unref();
  };
  const tenants = [];
  await withLazy({ lazyMode: 'eager' }, () => tenants.push(addTenant('first')));
  await withLazy({ lazyMode: 'lazy', sampleEvery: 1e9 }, async (registry) => {
    for (let i = 0; i < 50; i++) tenants.push(addTenant(`tenant-${i}`));
    assert.equal(registry.pendingLive, 50);
    assert.equal(sampled(line, 'interval'), 1, 'pending intervals are not in the stats row yet');
    testing.tick();
    assert.equal(registry.pendingLive, 0);
    assert.equal(sampled(line, 'interval'), 51, 'classified: the sampler sees all of them');
    // And the real clock tick does the same by itself.
    for (let i = 0; i < 10; i++) tenants.push(addTenant(`late-${i}`));
    await within(
      (async () => {
        while (sampled(line, 'interval') !== 61) await new Promise((resolve) => native.setTimeout(resolve, 20));
      })(),
      5000,
      'a clock tick to classify the pending intervals',
    );
  });
  const row = rowAt(line, 'interval');
  assert.equal(row.live, 61);
  assert.equal(row.site.line, line);
  assert.ok(row.oldestAgeMs >= 0 && row.oldestAgeMs < 60_000);
  for (const t of tenants) clearInterval(t);
  assert.equal(rowAt(line, 'interval'), undefined);
});

test('lazy: a text first seen in lazy mode is still found at its line', async () => {
  const made = [];
  // (1) Auto mode: a pending timer whose text is unknown at classification
  // waits; its kind goes eager, the next timer from that line teaches the
  // text, and the waiting one is then counted there.
  let line;
  await withLazy({ lazyMode: 'auto', lazyAfter: 1, lazyMinPerTick: 0, sampleEvery: 1e9 }, (registry) => {
    const known = () => setInterval(() => 'warm', 60_000).unref();
    made.push(known(), known(), known());
    assert.notEqual(registry.sites.lazyKinds & 2, 0, 'intervals went lazy');
    const poll = (i) => {
      line = lineHere(); return setInterval(() => `first seen lazily ${i}`, 60_000).unref();
    };
    const pendingBefore = registry.pendingLive;
    for (let i = 0; i < 5; i++) made.push(poll(i));
    assert.equal(registry.pendingLive, pendingBefore + 5);
    testing.tick();
    assert.equal(registry.sites.lazyKinds & 2, 0, 'an unknown text sent intervals back to eager');
    assert.equal(registry.waiting.filter((h) => h !== null).length, 5);
    for (let i = 5; i < 10; i++) made.push(poll(i));
    testing.tick();
    assert.equal(registry.waiting.length, 0);
  });
  assert.equal(live(line, 'interval'), 10);
  // (2) Lazy mode with sampling: a sampled creation learns the text.
  let lineM;
  await withLazy({ lazyMode: 'lazy', sampleEvery: 4 }, () => {
    for (let i = 0; i < 40; i++) {
      lineM = lineHere(); made.push(setInterval(() => `sampled ${i}`, 60_000).unref());
    }
  });
  assert.equal(live(lineM, 'interval'), 40);
  // (3) Never learned: counted, at the unclassified row (never lost).
  const before = unclassified('interval');
  let lineN;
  await withLazy({ lazyMode: 'lazy', sampleEvery: 1e9 }, () => {
    for (let i = 0; i < 3; i++) {
      lineN = lineHere(); made.push(setInterval(() => `never learned ${i}`, 60_000).unref());
    }
  });
  assert.equal(live(lineN, 'interval'), 0);
  assert.equal(unclassified('interval'), before + 3);
  assert.ok(timers().some((r) => r.site === null && r.kind === 'interval' && r.live >= 3));
  for (const t of made) clearInterval(t);
  assert.equal(unclassified('interval'), before);
});

test('lazy: a pending handle behaves like any other (ids, clear by id, unref, inspect, refresh after firing)', async () => {
  let line;
  let calls = 0;
  const thisValues = [];
  let fired = () => {};
  const make = (ms) => {
    line = lineHere(); return setTimeout(function () { thisValues.push(this); calls++; fired(); }, ms); // prettier-ignore
  };
  await withLazy({ lazyMode: 'eager' }, () => clearTimeout(make(60_000))); // learns the text at its line
  await withLazy({ lazyMode: 'lazy', sampleEvery: 1e9 }, async (registry) => {
    const a = make(60_000).unref();
    assert.equal(a.row.pending, true, 'took the lazy path');
    assert.equal(a.hasRef(), false);
    assert.match(util.inspect(a), /state: 'active'/);
    const pendingBefore = registry.pendingLive;
    const id = +a;
    assert.equal(typeof id, 'number');
    clearTimeout(String(id));
    assert.match(util.inspect(a), /state: 'cleared'/);
    assert.equal(registry.pendingLive, pendingBefore - 1);
    const firing = () => new Promise((resolve) => (fired = resolve));
    let next = firing();
    const b = make(1);
    assert.equal(b.row.pending, true);
    await within(next, 5000, 'the pending timer to fire');
    assert.equal(calls, 1);
    next = firing();
    b.refresh(); // a fired one-shot re-armed: classified at once (its text is known)
    assert.equal(b.row.pending, false);
    assert.equal(live(line, 'timeout'), 1);
    await within(next, 5000, 'the refreshed timer to fire');
    assert.equal(calls, 2);
    assert.deepEqual(thisValues, [b, b]);
    assert.equal(live(line, 'timeout'), 0);
  });
});

test('lazy: unpatchTimers() with pending handles classifies them; they keep working and Node clears them', async () => {
  let line;
  const make = (i) => {
    line = lineHere(); return setInterval(() => i + 11, 60_000).unref();
  };
  const made = [];
  await withLazy({ lazyMode: 'eager' }, () => made.push(make(0)));
  await withLazy({ lazyMode: 'lazy', sampleEvery: 1e9 }, (registry) => {
    for (let i = 1; i < 20; i++) made.push(make(i));
    assert.equal(registry.pendingLive, 19);
    unpatchTimers();
    try {
      assert.equal(registry.pendingLive, 0);
      assert.equal(sampled(line, 'interval'), 20);
      for (const t of made.slice(0, 10)) clearInterval(t); // Node's own clearInterval now
      assert.equal(live(line, 'interval'), 10);
    } finally {
      patchTimers();
    }
  });
  for (const t of made) clearInterval(t);
  assert.equal(rowAt(line, 'interval'), undefined);
});

// Retention (WeakRef + forced GC), as in timers-retention.test.js, for
// handles that were pending, classified, or waiting for their text.
const N = 200;

/** N timers, each `make(cb, i)` inside its own store of `als` with callback `callbackFor(i)`; WeakRefs to the stores and callbacks. */
function timersInStores(als, callbackFor, make) {
  const stores = [];
  const callbacks = [];
  const handles = [];
  for (let i = 0; i < N; i++) {
    handles.push(
      inStore(als, i, stores, () => {
        const cb = callbackFor(i);
        callbacks.push(new WeakRef(cb));
        return make(cb, i);
      }),
    );
  }
  return { stores, callbacks, handles };
}

test('lazy retention: pending handles cleared or fired retain no store and no callback; dropped handles are collected', async () => {
  await withLazy({ lazyMode: 'lazy', sampleEvery: 1e9 }, async (registry) => {
    const als = new AsyncLocalStorage();
    // Cleared while pending (unref: a failed assertion must not keep the test process alive).
    const { stores, callbacks, handles } = timersInStores(
      als,
      (i) => () => i,
      (cb) => setTimeout(cb, 60_000).unref(),
    );
    assert.equal(registry.pendingLive, N);
    for (const h of handles) clearTimeout(h);
    await collect();
    assert.equal(handles.length, N);
    assert.equal(alive(stores), 0);
    assert.equal(alive(callbacks), 0);
    // Fired while pending: stores go; handles dropped by the user are collected.
    const fstores = [];
    let refs = [];
    let left = N;
    let allFired;
    const done = new Promise((resolve) => (allFired = resolve));
    for (let i = 0; i < N; i++) {
      inStore(als, i, fstores, () => {
        const h = setTimeout(() => {
          if (--left === 0) allFired();
        }, 1);
        refs.push(new WeakRef(h));
      });
    }
    assert.ok(registry.pendingLive > 0);
    await within(done, 10_000, 'all pending timers to fire');
    await collect();
    assert.equal(alive(fstores), 0);
    assert.equal(alive(refs), 0, 'the pending array let go of every handle');
    refs = null;
  });
});

test('lazy retention: classified and waiting handles release their store and callback when cleared', async () => {
  let line;
  const make = (cb) => {
    line = lineHere(); return setInterval(cb, 60_000).unref();
  };
  await withLazy({ lazyMode: 'eager' }, () => clearInterval(make(() => 'learn')));
  await withLazy({ lazyMode: 'lazy', sampleEvery: 1e9 }, async (registry) => {
    const als = new AsyncLocalStorage();
    // Half share the learned text (classified), half have a text never seen (they wait).
    const { stores, callbacks, handles } = timersInStores(
      als,
      (i) => (i % 2 === 0 ? () => 'learn' : () => `unknown ${i}`),
      (cb, i) => (i % 2 === 0 ? make(cb) : setInterval(cb, 60_000).unref()),
    );
    testing.tick();
    assert.equal(sampled(line, 'interval'), N / 2);
    assert.equal(registry.waiting.length, N / 2);
    await collect();
    assert.equal(alive(stores), N, 'live intervals keep their context');
    for (const h of handles) clearInterval(h);
    await collect();
    assert.equal(alive(stores), 0);
    assert.equal(alive(callbacks), 0);
    assert.equal(sampled(line, 'interval'), 0);
    testing.tick();
    assert.equal(registry.waiting.length, 0);
  });
});
