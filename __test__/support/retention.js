'use strict';
// Shared by the timer retention tests: forced GC, WeakRef counting, values
// made inside an AsyncLocalStorage store, and a deadline on Node's own timers
// (taken when this module loads: require it before any patch is installed).

const v8 = require('node:v8');
const vm = require('node:vm');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const { setTimeout: nativeSetTimeout, clearTimeout: nativeClearTimeout } = globalThis;

/** `promise`, or a rejection naming `what` after `ms` ms. */
function within(promise, ms, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = nativeSetTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => nativeClearTimeout(timer));
}

/** A few event-loop turns, each followed by a full GC. */
async function collect() {
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
}

/** How many of the WeakRefs `refs` still point at something. */
const alive = (refs) => refs.filter((r) => r.deref() !== undefined).length;

function bigStore(i) {
  return { tenant: i, payload: new Array(64).fill(i) };
}

// Values are made in plain (non-async) functions: a suspended async function
// keeps its last loop variables alive, which would hide what a timer retains.
/** Runs `make` inside a new store of `als`, whose WeakRef goes to `refs`. */
function inStore(als, i, refs, make) {
  const store = bigStore(i);
  refs.push(new WeakRef(store));
  return als.run(store, make);
}

module.exports = { within, collect, alive, bigStore, inStore };
