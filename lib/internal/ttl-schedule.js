'use strict';
// Time for TTL caches, shared by every cache of this thread:
//
// - `defaultClock`: a performance.now() call costs about as much as a whole
//   cache get, so its reading is reused for a bounded number of reads and
//   dropped by one unref'd 1 ms timer (the reading is never older than the
//   current event-loop turn's first millisecond, nor than READS_PER_READING
//   reads in a long synchronous loop).
// - `autopurge`: ONE unref'd timer for all caches with `ttlAutopurge`. It is
//   armed for the earliest expiry any such cache reported, and on firing asks
//   each live cache to drop what has expired (each cache pays O(expired)).
//   Caches are held through WeakRefs: the schedule never keeps a cache alive,
//   and its timer never keeps the process alive.

const { performance } = require('node:perf_hooks');
const { callUser } = require('./errors');

const READS_PER_READING = 64;
let reading = 0;
let readsLeft = 0;
let resetTimer = null;

function dropReading() {
  resetTimer = null;
  readsLeft = 0;
}

const defaultClock = Object.freeze({
  now() {
    if (readsLeft-- > 0) return reading;
    reading = performance.now();
    readsLeft = READS_PER_READING;
    if (resetTimer === null) {
      resetTimer = setTimeout(dropReading, 1);
      resetTimer.unref();
    }
    return reading;
  },
});

// A cache that wants purging implements this symbol: purge what has expired,
// return ms until its next expiry on its own clock (Infinity when none).
const PURGE = Symbol('leakguard.purgeExpired');

// Delays below this are rounded up: expirations due within it are purged in
// one firing instead of one firing each.
const MIN_DELAY_MS = 5;

class AutopurgeSchedule {
  constructor() {
    this.caches = new Set(); // of WeakRef
    this.sweepAt = 64;
    this.timer = null;
    this.due = Infinity; // performance.now() time the timer fires at
    this.fire = this.fire.bind(this);
  }

  /** Enrols a cache; the WeakRef is dropped once the cache is collected. */
  add(cache) {
    if (this.caches.size >= this.sweepAt) {
      // Caches that never expire anything never meet fire(): sweep their
      // dead WeakRefs here, amortised O(1) per enrolment.
      for (const ref of this.caches) if (ref.deref() === undefined) this.caches.delete(ref);
      this.sweepAt = Math.max(64, 2 * this.caches.size);
    }
    this.caches.add(new WeakRef(cache));
  }

  /** A cache has an expiry `delayMs` from now: make sure the timer fires by then. */
  wake(delayMs) {
    const due = performance.now() + Math.max(delayMs, MIN_DELAY_MS);
    if (due >= this.due) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.due = due;
    this.timer = setTimeout(this.fire, Math.ceil(due - performance.now()));
    this.timer.unref();
  }

  fire() {
    this.timer = null;
    this.due = Infinity;
    let next = Infinity;
    for (const ref of this.caches) {
      const cache = ref.deref();
      if (cache === undefined) {
        this.caches.delete(ref);
        continue;
      }
      // A cache whose injected clock fails (ERR_LEAKGUARD_INVALID_CLOCK) must
      // not throw out of this timer: warned about, and skipped this round.
      const delay = callUser('LruCache autopurge', cache[PURGE], cache);
      if (delay < next) next = delay;
    }
    if (next !== Infinity) this.wake(next);
  }
}

const autopurge = new AutopurgeSchedule();

module.exports = { defaultClock, autopurge, PURGE, MIN_DELAY_MS };
