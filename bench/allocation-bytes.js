'use strict';
// Bytes of heap the timers patch and the listener ledger allocate per tracked
// operation: the figures behind report().sampler.overhead.allocation
// (lib/sampler/own-allocation.js, BYTES).
//
// Method: each case runs 100 000 operations in a child process whose young
// generation (256 MB semi-spaces) holds all they allocate, so no GC runs in
// between; the heap used after minus before, over 100 000, is what one
// operation allocates, garbage included. Each case runs bare and tracked
// (patchTimers() + trackListeners()), after a warm-up that teaches the sites;
// the difference is leakguard's.
//   timer:   a live setTimeout (its handle, its share of the registry's arrays)
//   emitter: a new emitter with one tracked listener (its book, its list,
//            the field holding the book, its share of a cohort)
//   add:     one more listener on a long-lived emitter (its pair in the list,
//            the list's growth)
//
// Run: node bench/allocation-bytes.js

const { execFileSync } = require('node:child_process');
const path = require('node:path');

const N = 100_000;
const CASES = ['timer', 'emitter', 'add'];
const LIB = path.join(__dirname, '..', 'lib');

function child(variant, name) {
  const EventEmitter = require('node:events');
  if (variant === 'tracked') {
    require(path.join(LIB, 'listeners')).trackListeners();
    require(path.join(LIB, 'timers')).patchTimers();
  }
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  class Response extends EventEmitter {}
  function noop() {}
  const cases = {
    timer: () => setTimeout(noop, 1e7),
    emitter: (i) => {
      const res = new Response();
      res.on('close', () => i);
      return res;
    },
    add: (i) => {
      const fn = () => i;
      bus.on('x', fn);
      return fn;
    },
  };
  const run = cases[name];
  const held = new Array(N);
  for (let i = 0; i < 2000; i++) held[i] = run(i);
  bus.removeAllListeners('x');
  held.fill(undefined);
  globalThis.gc();
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < N; i++) held[i] = run(i);
  const after = process.memoryUsage().heapUsed;
  process.stdout.write(String((after - before) / N));
  process.exit(0);
}

function measure(variant, name) {
  const args = ['--expose-gc', '--min-semi-space-size=256', '--max-semi-space-size=256', __filename, '--child', variant, name];
  return Number(execFileSync(process.execPath, args, { encoding: 'utf8' }));
}

if (process.argv[2] === '--child') {
  child(process.argv[3], process.argv[4]);
} else {
  console.log(`node ${process.version}; bytes of heap allocated per operation (${N} operations, no GC in between)`);
  const rows = CASES.map((name) => {
    const bare = measure('bare', name);
    const tracked = measure('tracked', name);
    return { case: name, bare: bare.toFixed(1), tracked: tracked.toFixed(1), 'leakguard bytes': (tracked - bare).toFixed(1) };
  });
  console.table(rows);
}
