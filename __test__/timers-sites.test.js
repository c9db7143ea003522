'use strict';
// Per-line counts of timers whose callback is a fresh closure per call (the
// common `setTimeout(() => …, ms)` shape), which the registry finds by the
// closure's source text instead of a stack: identical texts at two lines are
// split once a check sees the second line, per-tenant intervals count exactly
// at their line, long texts, native and bound functions.
const test = require('node:test');
const assert = require('node:assert/strict');
const { patchTimers, unpatchTimers } = require('../lib/timers');
const { lineHere, linesOf } = require('./support/timer-lines');
const testing = require('../lib/internal/unsafe-internals').unsafeExposeInternals('timers');
const { statsTable, CELLS } = require('../lib/internal/stats');

const { rowAt, live } = linesOf(__filename);

/** Runs `body` with the registry's source-text checks set to `checks`, then puts them back. */
function withTextChecks(checks, body) {
  const previous = testing.configure(checks);
  try {
    body();
  } finally {
    testing.configure(previous);
  }
}

test.before(() => patchTimers());
test.after(() => unpatchTimers());

test('identical closure texts at two lines are split as soon as a check sees the second line (checks every hit)', () => {
  const made = [];
  let lineA;
  let lineB;
  withTextChecks({ textCheckEvery: 1, checksPerTick: 0 }, () => {
    for (let i = 0; i < 50; i++) {
      lineA = lineHere(); made.push(setInterval(() => i + 1, 60_000).unref());
    }
    for (let i = 0; i < 50; i++) {
      lineB = lineHere(); made.push(setInterval(() => i + 1, 60_000).unref());
    }
  });
  assert.notEqual(lineA, lineB);
  assert.equal(live(lineA, 'interval'), 50);
  assert.equal(live(lineB, 'interval'), 50);
  for (const t of made) clearInterval(t);
  assert.equal(rowAt(lineA, 'interval'), undefined);
  assert.equal(rowAt(lineB, 'interval'), undefined);
});

test('with sampled checks (1 in 16, no per-tick budget) identical texts are split within 16 timers, then counted exactly', () => {
  const made = [];
  let lineA;
  let lineB;
  const atA = () => {
    lineA = lineHere(); made.push(setTimeout(() => made.length + 2, 60_000).unref());
  };
  const atB = () => {
    lineB = lineHere(); made.push(setTimeout(() => made.length + 2, 60_000).unref());
  };
  withTextChecks({ textCheckEvery: 16, checksPerTick: 0, firstChecks: 0 }, () => {
    for (let i = 0; i < 100; i++) atA();
    for (let i = 0; i < 100; i++) atB();
    const a = live(lineA, 'timeout');
    const b = live(lineB, 'timeout');
    assert.equal(a + b, 200, 'every timer counted once');
    assert.ok(b >= 100 - 16, `line B has ${b} of its 100 timers`);
    assert.ok(a >= 100 && a <= 116, `line A has ${a}`);
    // Once split, both lines count exactly.
    for (let i = 0; i < 30; i++) atA();
    for (let i = 0; i < 20; i++) atB();
    assert.equal(live(lineA, 'timeout'), a + 30);
    assert.equal(live(lineB, 'timeout'), b + 20);
  });
  for (const t of made) clearTimeout(t);
  assert.equal(rowAt(lineA, 'timeout'), undefined);
});

test('a text seen often stops spending the per-tick check budget: one hot text re-reads a few stacks a tick, not the whole budget', () => {
  const made = [];
  let line;
  const sites = testing.registry().sites;
  withTextChecks({ textCheckEvery: 1e9, checksPerTick: 128, firstChecks: 64 }, () => {
    for (let i = 0; i < 1000; i++) {
      line = lineHere(); made.push(setTimeout(() => i * 3, 60_000).unref());
    }
    // Its first 64 hits are checked without the budget; then at most 4 a tick
    // come out of it (a heartbeat in between refills it: never below 124).
    assert.ok(sites.checkBudget >= 124, `budget left ${sites.checkBudget}`);
  });
  assert.equal(live(line, 'timeout'), 1000);
  for (const t of made) clearTimeout(t);
});

test('a setInterval per tenant with a fresh closure each counts every live interval at its exact line', () => {
  let line;
  function addTenant(name, poll) {
    line = lineHere(); return setInterval(() => poll(name), 60_000);
  }
  const polled = [];
  const tenants = [];
  // Past the per-tick budget and between sampled checks: the source-text path.
  withTextChecks({ textCheckEvery: 1024, checksPerTick: 0, firstChecks: 0 }, () => {
    for (let i = 0; i < 5000; i++) tenants.push(addTenant(`tenant-${i}`, (n) => polled.push(n)).unref());
  });
  const row = rowAt(line, 'interval');
  assert.ok(row, 'a row at the setInterval line');
  assert.equal(row.live, 5000);
  assert.equal(row.created, 5000);
  assert.equal(row.site.functionName, 'addTenant');
  const cells = statsTable()
    .snapshot()
    .find((r) => r.meta.kind === 'timer' && r.meta.detail === 'interval' && r.meta.site && r.meta.site.file === __filename && r.meta.site.line === line).cells;
  assert.equal(cells[CELLS.site.ADDS] - cells[CELLS.site.REMOVES], 5000);
  for (const t of tenants.splice(0, 2000)) clearInterval(t);
  assert.equal(rowAt(line, 'interval').live, 3000);
  for (const t of tenants) clearInterval(t);
  assert.equal(rowAt(line, 'interval'), undefined);
});

test('long closure texts sharing a prefix but not a length stay on their own lines with no checks at all', () => {
  const made = [];
  let lineA;
  let lineB;
  withTextChecks({ textCheckEvery: 1e9, checksPerTick: 0, firstChecks: 0 }, () => {
    for (let i = 0; i < 40; i++) {
      lineA = lineHere(); made.push(setTimeout(() => { const padding = 'a long callback body that goes on well past the key prefix'; return padding + i; }, 60_000).unref()); // prettier-ignore
      lineB = lineHere(); made.push(setTimeout(() => { const padding = 'a long callback body that goes on well past the key prefix'; return padding + i + 1; }, 60_000).unref()); // prettier-ignore
    }
  });
  assert.equal(live(lineA, 'timeout'), 40);
  assert.equal(live(lineB, 'timeout'), 40);
  for (const t of made) clearTimeout(t);
});

test('bound and native callbacks (whose text says nothing) are counted at their own lines with no checks at all', async () => {
  const made = [];
  let lineA;
  let lineB;
  function tick() {}
  withTextChecks({ textCheckEvery: 1e9, checksPerTick: 0, firstChecks: 0 }, () => {
    for (let i = 0; i < 20; i++) {
      lineA = lineHere(); made.push(setTimeout(tick.bind(null, i), 60_000).unref());
      lineB = lineHere(); made.push(setTimeout(tick.bind(null, i), 60_000).unref());
    }
  });
  assert.equal(live(lineA, 'timeout'), 20);
  assert.equal(live(lineB, 'timeout'), 20);
  for (const t of made) clearTimeout(t);
  // Promise resolvers are native functions too: `new Promise((r) => setTimeout(r, ms))`.
  let lineC;
  let lineD;
  const waits = [];
  withTextChecks({ textCheckEvery: 1e9, checksPerTick: 0, firstChecks: 0 }, () => {
    for (let i = 0; i < 10; i++) {
      waits.push(new Promise((r) => { lineC = lineHere(); setTimeout(r, 1); })); // prettier-ignore
      waits.push(new Promise((r) => { lineD = lineHere(); setTimeout(r, 1); })); // prettier-ignore
    }
  });
  assert.equal(live(lineC, 'timeout'), 10);
  assert.equal(live(lineD, 'timeout'), 10);
  await Promise.all(waits);
});

test('one callback function scheduled from a second line is found there by a sampled check', () => {
  function onTimeout() {}
  const handles = [];
  const fromA = () => handles.push(setTimeout(onTimeout, 60_000).unref());
  const lineA = lineHere() - 1;
  const fromB = () => handles.push(setTimeout(onTimeout, 60_000).unref());
  const lineB = lineHere() - 1;
  try {
    for (let i = 0; i < 5000; i++) fromA();
    for (let i = 0; i < 9000; i++) fromB();
    // The function is cached at line A; one hit in 4096 re-reads its line,
    // so line B is seen within 4096 of its timers and then read every time.
    assert.equal(live(lineA, 'timeout') + live(lineB, 'timeout'), 14_000);
    assert.ok(live(lineB, 'timeout') >= 9000 - 4096, `line B has ${live(lineB, 'timeout')} of its 9000 timers`);
  } finally {
    for (const h of handles) clearTimeout(h);
  }
  assert.equal(live(lineA, 'timeout') + live(lineB, 'timeout'), 0);
});
