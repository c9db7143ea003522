'use strict';
// What a timer handle that user code keeps still retains, measured with
// WeakRef + forced GC. Each patched case has an unpatched control beside it
// showing that Node 20's own Timeout retains the same thing, so the patched
// assertion can fail.
const test = require('node:test');
const assert = require('node:assert/strict');
const { AsyncLocalStorage } = require('node:async_hooks');
const { within, collect, alive, bigStore, inStore } = require('./support/retention');

const native = { setTimeout, setInterval, clearTimeout, clearInterval };
const { patchTimers, unpatchTimers } = require('../lib/timers');
patchTimers();
const patched = { setTimeout, setInterval, clearTimeout, clearInterval };
unpatchTimers();

const N = 200;
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** N one-shot timers, each created inside its own ALS store; resolves once all fired. */
async function firedInStores(t) {
  const als = new AsyncLocalStorage();
  const stores = [];
  const handles = [];
  let left = N;
  let allFired;
  const done = new Promise((resolve) => (allFired = resolve));
  const onFire = () => {
    if (--left === 0) allFired();
  };
  for (let i = 0; i < N; i++) handles.push(inStore(als, i, stores, () => t.setTimeout(onFire, 1)));
  await within(done, 10_000, 'all timers to fire');
  await collect();
  return { retained: alive(stores), handles, als };
}

/** N timers (one-shot or interval), each in its own ALS store, cleared at once. */
async function clearedInStores(t, interval) {
  const als = new AsyncLocalStorage();
  const stores = [];
  const handles = [];
  const noop = () => {};
  for (let i = 0; i < N; i++) {
    handles.push(inStore(als, i, stores, () => (interval ? t.setInterval(noop, 60_000) : t.setTimeout(noop, 60_000))));
  }
  for (const h of handles) (interval ? t.clearInterval : t.clearTimeout)(h);
  await collect();
  return { retained: alive(stores), handles, als };
}

test('ALS store after the timer fired: patched retains none; Node 20 retains it (control)', async () => {
  const p = await firedInStores(patched);
  assert.equal(p.handles.length, N); // still held by the test
  assert.equal(p.retained, 0);
  const n = await firedInStores(native);
  assert.equal(n.handles.length, N);
  if (NODE_MAJOR === 20) assert.equal(n.retained, N, 'unpatched Node 20 retains every store');
});

test('ALS store after clearTimeout: patched retains none; Node 20 retains it (control)', async () => {
  const p = await clearedInStores(patched, false);
  assert.equal(p.handles.length, N);
  assert.equal(p.retained, 0);
  const n = await clearedInStores(native, false);
  if (NODE_MAJOR === 20) assert.equal(n.retained, N);
});

test('ALS store after clearInterval: patched retains none; Node 20 retains it (control)', async () => {
  const p = await clearedInStores(patched, true);
  assert.equal(p.handles.length, N);
  assert.equal(p.retained, 0);
  const n = await clearedInStores(native, true);
  if (NODE_MAJOR === 20) assert.equal(n.retained, N);
});

test('callback and arguments after clear: patched retains neither; Node keeps the arguments (control)', async () => {
  function schedule(t, i, callbacks, args) {
    const arg = bigStore(i);
    const cb = (a) => a.tenant + i;
    callbacks.push(new WeakRef(cb));
    args.push(new WeakRef(arg));
    return t.setTimeout(cb, 60_000, arg);
  }
  async function run(t) {
    const callbacks = [];
    const args = [];
    const handles = [];
    for (let i = 0; i < N; i++) handles.push(schedule(t, i, callbacks, args));
    for (const h of handles) t.clearTimeout(h);
    await collect();
    return { callbacks: alive(callbacks), args: alive(args), handles };
  }
  const p = await run(patched);
  assert.equal(p.handles.length, N);
  assert.equal(p.callbacks, 0);
  assert.equal(p.args, 0);
  // The control: Node 20 and 22 keep a cleared Timeout's arguments (Node 24 lets them go).
  const n = await run(native);
  if (NODE_MAJOR <= 22) assert.equal(n.args, N, "Node's cleared Timeout keeps its arguments");
});

test('the handle retains no Timeout after it fired or was cleared', async () => {
  const als = new AsyncLocalStorage();
  const reals = [];
  const handles = [];
  let left = N;
  let allFired;
  const done = new Promise((resolve) => (allFired = resolve));
  for (let i = 0; i < N; i++) {
    als.run(bigStore(i), () => {
      const h = patched.setTimeout(() => {
        if (--left === 0) allFired();
      }, 1);
      reals.push(new WeakRef(h.timer)); // the real Timeout, reachable only while live
      handles.push(h);
      const c = patched.setInterval(() => {}, 60_000);
      reals.push(new WeakRef(c.timer));
      handles.push(c);
      patched.clearInterval(c);
    });
  }
  await within(done, 10_000, 'all timers to fire');
  await collect();
  assert.equal(handles.length, 2 * N);
  assert.equal(alive(reals), 0);
});

test('+handle taken before or after firing pins nothing; Node pins a Timeout converted after firing (control)', async () => {
  async function run(t, convertAfter) {
    const als = new AsyncLocalStorage();
    const stores = [];
    const timers = [];
    let left = N;
    let allFired;
    const done = new Promise((resolve) => (allFired = resolve));
    let handles = [];
    const onFire = () => {
      if (--left === 0) allFired();
    };
    for (let i = 0; i < N; i++) {
      inStore(als, i, stores, () => {
        const h = t.setTimeout(onFire, 1);
        if (!convertAfter) assert.equal(typeof +h, 'number');
        timers.push(new WeakRef(h));
        handles.push(h);
      });
    }
    await within(done, 10_000, 'all timers to fire');
    if (convertAfter) assert.ok(handles.every((h) => typeof +h === 'number'));
    handles = null; // user code drops its handles
    await collect();
    return { stores: alive(stores), timers: alive(timers) };
  }
  for (const convertAfter of [false, true]) {
    const p = await run(patched, convertAfter);
    assert.deepEqual(p, { stores: 0, timers: 0 }, `patched, converted ${convertAfter ? 'after' : 'before'} firing`);
  }
  // The control: Node 20 and 22 keep a Timeout converted after it fired in
  // knownTimersById, with its store (Node 24 does not).
  const n = await run(native, true);
  if (NODE_MAJOR <= 22) {
    assert.equal(n.timers, N, 'Node keeps a Timeout converted after it fired in knownTimersById');
    assert.equal(n.stores, N);
  }
});

test('a live timer still holds what it needs, and clearing by id releases it', async () => {
  const als = new AsyncLocalStorage();
  const stores = [];
  const ids = [];
  for (let i = 0; i < N; i++) ids.push(inStore(als, i, stores, () => +patched.setTimeout(() => {}, 60_000)));
  await collect();
  assert.equal(alive(stores), N, 'live timers keep their context');
  for (const id of ids) patched.clearTimeout(id);
  await collect();
  assert.equal(alive(stores), 0);
});

test('a reused callback that leakguard keeps as its last lookup is released within a clock tick', async () => {
  // The registry remembers the last callback found in its WeakMap, so that
  // the next timer with it costs a comparison; it must not keep it (nor
  // what the closure holds) longer than one 500 ms tick.
  const testing = require('../lib/internal/unsafe-internals').unsafeExposeInternals('timers');
  patchTimers();
  try {
    const refs = [];
    const schedule = (i) => {
      const store = bigStore(i);
      const onTimeout = () => store.tenant;
      refs.push(new WeakRef(store));
      for (let k = 0; k < 3; k++) clearTimeout(setTimeout(onTimeout, 60_000));
    };
    schedule(1);
    assert.notEqual(testing.registry().sites.lastTimeout, null, 'the callback is remembered (else this test shows nothing)');
    await within(
      (async () => {
        while (alive(refs) !== 0) await collect();
      })(),
      5000,
      'the remembered callback to be dropped at a clock tick',
    );
  } finally {
    unpatchTimers();
  }
});
