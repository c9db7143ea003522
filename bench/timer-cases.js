'use strict';
// The timer benchmarks' variants and cases, shared by bench/timers.js (time)
// and bench/timers-instructions.js (instructions under callgrind).
const { patchTimers, unpatchTimers } = require('../lib/timers');

const native = { setTimeout, clearTimeout, setInterval, clearInterval };
patchTimers();
const patched = { setTimeout, clearTimeout, setInterval, clearInterval };
unpatchTimers();

// The least a handle-returning patch of the simplest kind pays: a handle
// object of eight fields, the real timer started with the handle as its
// argument (leakguard's handle has six and needs no argument array), and a
// callback that drops the real timer and calls the user's with the handle as
// `this`. No registry, no call site, no counts. Shown so the cost of the
// handle itself (which issue #4 requires) is told apart from leakguard's own.
class FloorHandle {
  constructor(callback, delay) {
    this.id = 0;
    this.flags = 0;
    this.delay = delay;
    this.callback = callback;
    this.args = undefined;
    this.row = null;
    this.timer = null;
    this.bucket = null;
  }
}
function floorFire(handle) {
  handle.timer = null;
  handle.callback.call(handle);
}
function floorClear(handle) {
  if (handle instanceof FloorHandle) {
    native.clearTimeout(handle.timer);
    handle.timer = null;
    handle.callback = null;
  }
}
const floor = {
  setTimeout: (callback, delay) => {
    const handle = new FloorHandle(callback, delay);
    handle.timer = native.setTimeout(floorFire, delay, handle);
    return handle;
  },
  setInterval: (callback, delay) => {
    const handle = new FloorHandle(callback, delay);
    handle.timer = native.setInterval(floorFire, delay, handle);
    return handle;
  },
  clearTimeout: floorClear,
  clearInterval: floorClear,
};

// Each case's loop is compiled once per variant (new Function), so each has
// its own type feedback: a real call site calls one setTimeout, and a loop
// shared between variants would measure V8's polymorphic calls instead.
const BODIES = {
  pair: 'const st = t.setTimeout, ct = t.clearTimeout; const start = meter.start(); for (let i = 0; i < n; i++) ct(st(noop, 1000)); return meter.stop(start, n);',
  closure: 'const st = t.setTimeout, ct = t.clearTimeout; let s = 0; const start = meter.start(); for (let i = 0; i < n; i++) ct(st(() => { s += i; }, 1000)); return meter.stop(start, n);',
  // A callback whose source text is long (~300 characters): the patched side
  // keys it on a prefix and the length, not the whole text. A request-timeout
  // handler of realistic length; none of it runs in this loop.
  longClosure: `const st = t.setTimeout, ct = t.clearTimeout; let s = 0; const start = meter.start();
    for (let i = 0; i < n; i++) {
      ct(st(() => {
        // It logs, counts and aborts the request it belongs to.
        if (s < 0) throw new Error('request ' + i + ' timed out after 1000 ms (closure with a long body, realistic length)');
        s += i;
      }, 1000));
    }
    return meter.stop(start, n);`,
  interval: 'const si = t.setInterval, ci = t.clearInterval; const start = meter.start(); for (let i = 0; i < n; i++) ci(si(noop, 1000)); return meter.stop(start, n);',
  firing: `return new Promise((resolve) => {
      let left = n;
      const done = () => { if (--left === 0) resolve(meter.stop(start, n)); };
      const st = t.setTimeout;
      const start = meter.start();
      for (let i = 0; i < n; i++) st(done, 1);
    });`,
};
// [name, body, operations per round, the same with --quick]
const CASES = [
  ['setTimeout+clearTimeout pair (same callback)', 'pair', 200_000],
  ['setTimeout+clearTimeout pair (fresh closure each call)', 'closure', 20_000, 5_000],
  ['setTimeout+clearTimeout pair (fresh closure, ~300-char source)', 'longClosure', 20_000, 5_000],
  ['setInterval+clearInterval pair', 'interval', 200_000],
  ['firing setTimeout (batches of 20 000)', 'firing', 20_000],
];
const VARIANTS = { native, patched, floor };


module.exports = { VARIANTS, BODIES, CASES };
