'use strict';
// An estimate of the heap leakguard's own bookkeeping allocates, for
// report().sampler.overhead.allocation: the garbage collection leakguard
// causes is part of what it costs, and busy time alone does not show it.
//
// Counting bytes as they are allocated would put work on the hot paths; the
// timers patch and the listener ledger already count what they make (timer
// handles, emitter books, listeners counted in a row), so the estimate is
// those counts times what each costs in bytes of heap on this Node:
//   TIMER: one patched setTimeout/setInterval: its handle and its share of the
//     registry's per-tick arrays and buckets;
//   BOOK:  the first tracked listener of an emitter: its book, its list, the
//     field that holds it and its share of a cohort;
//   ADD:   any further tracked listener: its (key, row) pair and its share of
//     the list's growth.
// Each is the heap used by 100 000 such operations, tracked minus bare,
// divided by 100 000, with a young generation large enough that no GC runs in
// between (`node bench/allocation-bytes.js`). The estimate covers the tracked
// operations only: the sampler's own work (a JSON report, a profile read) is
// occasional and is not in it.

const timers = require('../timers');
const listeners = require('../listeners');

const BYTES = Object.freeze({ TIMER: 83, BOOK: 229, ADD: 66 });

/** What the patch and the ledger have made so far in this thread. */
function ownCounts() {
  const ledger = listeners.ledgerBookkeeping();
  return {
    timers: timers.timersCreated(),
    books: ledger === null ? 0 : ledger.books,
    charged: ledger === null ? 0 : ledger.charged,
  };
}

/**
 * The estimate since `base` (ownCounts() when the sampler started),
 * `elapsedMs` ago: { estimatedBytes, bytesPerSec, timersCreated, listenersCounted,
 * emittersTracked }. A ledger restarted since `base` counts from zero.
 */
function ownAllocation(base, elapsedMs) {
  const now = ownCounts();
  // A ledger stopped and started again since `base` counts from zero.
  const sameLedger = now.books >= base.books && now.charged >= base.charged;
  const timersCreated = Math.max(0, now.timers - base.timers);
  const emittersTracked = sameLedger ? now.books - base.books : now.books;
  const listenersCounted = sameLedger ? now.charged - base.charged : now.charged;
  const estimatedBytes = timersCreated * BYTES.TIMER + emittersTracked * BYTES.BOOK + Math.max(0, listenersCounted - emittersTracked) * BYTES.ADD;
  return {
    estimatedBytes,
    bytesPerSec: elapsedMs > 0 ? (estimatedBytes / elapsedMs) * 1000 : 0,
    timersCreated,
    listenersCounted,
    emittersTracked,
  };
}

module.exports = { ownCounts, ownAllocation, BYTES };
