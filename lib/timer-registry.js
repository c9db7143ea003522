'use strict';
// TimerRegistry: the handles that leakguard's patched setTimeout/setInterval
// return, and the per-call-site rows that count them.
//
// How and why
// -----------
// Node's own `Timeout` keeps its callback, its arguments and (Node 18–22) its
// AsyncLocalStorage store for as long as *anything* holds it, fired or not, and
// `+timeout` after it ended pins it in Node's `knownTimersById` for good. Users
// hold timers on long-lived objects all the time. So the patched functions
// return a LeakguardTimeout instead: a small object that owns the real
// `Timeout` only while the timer is live.
//
//   user code ──► LeakguardTimeout ──(while live)──► real Timeout ──► ALS store
//                  id, delay, callback, args           _onTimeout = onFire (shared)
//                  row ──► SiteRow                      _timerArgs = [handle]
//                          (stats row: ADDS / REMOVES / OLDEST_MS)
//
// The moment a one-shot fires, or any timer is cleared, the handle drops the
// real `Timeout` (and with it the ALS store); a clear also drops the callback
// and arguments. A fired one-shot keeps its callback because `refresh()` on a
// fired timer must re-arm it (Node documents it; undici's fetch relies on it):
// the re-arm creates a fresh real `Timeout` in the caller's async context.
//
// Call sites. A stack capture costs microseconds, a timer pair a few hundred
// nanoseconds, so the site of a timer is looked up by the identity of its
// callback (a WeakMap, ~10 ns); only the first time a callback object is seen
// is the line that called setTimeout read (one structured frame, a few µs), and
// only the first time that line is seen is the full stack captured and parsed
// (lib/callsite.js, ~10 µs or more). One cache hit in VERIFY_EVERY (a countdown
// shared by all callbacks) is re-read; a function found scheduled from two
// lines is never cached again. Per-line counts are therefore exact except for
// the timers of such a shared function made before the sharing is seen (about
// VERIFY_EVERY of them). A fresh closure per call (`setTimeout(() => …)`)
// misses the cache every time and pays the one-frame read: that is the price
// of exact per-line counts.
//
// Invariants: a handle counts in its row's creation-time bucket iff
// `timer !== null`; the `byId` map holds only live handles that were converted
// to a number; ids are
// leakguard's own (never the real Timeout's Symbol.toPrimitive). This module
// never keeps the process alive (its clock heartbeat is unref'd) and never
// calls into Rust per timer (rows are acquired once per site).

const { inspect } = require('node:util');
const { captureSite } = require('./callsite');
const { statsTable, CELLS } = require('./stats');

const { ADDS, REMOVES, OLDEST_MS } = CELLS.site;
const TIMEOUT_MAX = 2 ** 31 - 1;
const VERIFY_EVERY = 4096;
const STACK_LIMIT = 12;
const CLOCK_PERIOD_MS = 500;

// LeakguardTimeout.flags (one small integer keeps the handle small: every
// live timer pays for its handle on top of Node's own Timeout).
const REPEAT = 1; // an interval
const UNREFED = 2;
const NUMBERED = 4; // converted to a number once: findable by id while live
const FIRED = 8; // a one-shot that fired (kept for refresh())
const CLEARED = 16;

/** 'active' | 'fired' | 'cleared' */
function stateOf(handle) {
  if (handle.timer !== null) return 'active';
  return (handle.flags & CLEARED) !== 0 ? 'cleared' : 'fired';
}

const structured = (_, callSites) => callSites;

/**
 * "file:line:column" of the frame that called `below`, or '<unknown>' (also
 * when `Error` is frozen: a timer must never fail because its site could not
 * be read).
 */
function callerKey(below) {
  const savedPrepare = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  const holder = {};
  let frames;
  try {
    Error.prepareStackTrace = structured;
    Error.stackTraceLimit = 1;
    Error.captureStackTrace(holder, below);
    frames = holder.stack;
  } catch {
    frames = undefined;
  } finally {
    try {
      Error.prepareStackTrace = savedPrepare;
      Error.stackTraceLimit = savedLimit;
    } catch {
      // Error is frozen: nothing was changed.
    }
  }
  const frame = Array.isArray(frames) ? frames[0] : undefined;
  if (frame === undefined) return '<unknown>';
  return `${frame.getFileName()}:${frame.getLineNumber()}:${frame.getColumnNumber()}`;
}

function siteOf(below) {
  try {
    return captureSite(below, STACK_LIMIT);
  } catch {
    return null;
  }
}

/** A (call site, kind) row in the shared stats table plus its creation-time buckets. */
class SiteRow {
  constructor(kind, captured) {
    this.kind = kind;
    this.site = captured === null ? null : captured.site;
    this.stack = captured === null ? [] : captured.stack;
    const row = statsTable().acquire({ kind: 'timer', site: this.site, stack: this.stack, detail: kind });
    this.rowId = row.id;
    this.cells = row.cells;
    // Live timers by creation time: one bucket per clock tick that created
    // some, oldest first; a bucket leaves the list when its last timer ends,
    // except the newest, which may stay empty (only it can be empty).
    this.oldest = null;
    this.newest = null;
    this.delay = undefined; // the delay of every timer created here, or null when they differ
  }

  addBucket(ms) {
    if (this.newest !== null && this.newest.live === 0) this.dropBucket(this.newest);
    const bucket = { ms, live: 0, prev: this.newest, next: null };
    if (this.newest === null) {
      this.oldest = bucket;
      this.cells[OLDEST_MS] = ms;
    } else {
      this.newest.next = bucket;
    }
    this.newest = bucket;
    return bucket;
  }

  dropBucket(bucket) {
    const { prev, next } = bucket;
    if (prev === null) {
      this.oldest = next;
      this.cells[OLDEST_MS] = next === null || next.live === 0 ? 0 : next.ms;
    } else {
      prev.next = next;
    }
    if (next === null) this.newest = prev;
    else next.prev = prev;
    bucket.prev = null;
    bucket.next = null;
  }
}

// A function scheduled from more than one line: never cached.
const SHARED = Object.freeze({ shared: true });

class TimerRegistry {
  /** `native` holds the original setTimeout/setInterval/clearTimeout. */
  constructor(native) {
    this.native = native;
    this.nextId = 1;
    this.rows = new Map(); // "kind|file:line:column" → SiteRow
    this.sites = [new WeakMap(), new WeakMap()]; // [timeout, interval]: callback → SiteRow | SHARED
    this.verifyCountdown = VERIFY_EVERY;
    this.byId = new Map(); // String(id) → live handle that was converted to a number
    this.now = Date.now(); // coarse clock for creation times, refreshed by the heartbeat
    this.heartbeat = null;
  }

  startClock() {
    if (this.heartbeat !== null) return;
    this.now = Date.now();
    this.heartbeat = this.native.setInterval(() => {
      this.now = Date.now();
    }, CLOCK_PERIOD_MS);
    this.heartbeat.unref();
  }

  stopClock() {
    if (this.heartbeat === null) return;
    this.native.clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  /** The row of `callback` scheduled as `repeat`; captures a stack when not cached. */
  rowFor(callback, repeat, below) {
    const cache = this.sites[repeat ? 1 : 0];
    const cached = cache.get(callback);
    if (cached !== undefined && cached !== SHARED && --this.verifyCountdown !== 0) return cached;
    if (cached !== undefined && cached !== SHARED) this.verifyCountdown = VERIFY_EVERY;
    const row = this.rowAt(callerKey(below), repeat, below);
    if (cached === undefined) cache.set(callback, row);
    else if (cached !== SHARED && cached !== row) cache.set(callback, SHARED);
    return row;
  }

  // Rows are keyed by the line that called setTimeout/setInterval; the site
  // they report is the nearest user frame of the first stack seen there.
  rowAt(caller, repeat, below) {
    const kind = repeat ? 'interval' : 'timeout';
    const key = `${kind}|${caller}`;
    let row = this.rows.get(key);
    if (row === undefined) {
      row = new SiteRow(kind, siteOf(below));
      this.rows.set(key, row);
    }
    return row;
  }

  /** Starts the real timer of `handle` (new, or a fired one-shot re-armed). */
  arm(handle) {
    const n = this.native;
    const flags = handle.flags;
    const real = (flags & REPEAT) !== 0 ? n.setInterval(onFire, handle.delay, handle) : n.setTimeout(onFire, handle.delay, handle);
    if ((flags & UNREFED) !== 0) real.unref();
    handle.timer = real;
    handle.flags = flags & ~FIRED;
    const row = handle.row;
    let bucket = row.newest;
    if (bucket === null || bucket.ms !== this.now) bucket = row.addBucket(this.now);
    if (bucket.live++ === 0 && bucket === row.oldest) row.cells[OLDEST_MS] = bucket.ms;
    handle.bucket = bucket;
    row.cells[ADDS]++;
    if ((flags & NUMBERED) !== 0) this.byId.set(String(handle.id), handle);
    return handle;
  }

  /** The timer of `handle` ended (fired one-shot, or cleared): drop every reference to it. */
  end(handle, cleared) {
    const real = handle.timer;
    if (real !== null) {
      handle.timer = null;
      const row = handle.row;
      const bucket = handle.bucket;
      handle.bucket = null;
      if (--bucket.live === 0) {
        // The newest bucket stays, empty, for the next timer of this tick.
        if (bucket !== row.newest) row.dropBucket(bucket);
        else if (bucket === row.oldest) row.cells[OLDEST_MS] = 0;
      }
      row.cells[REMOVES]++;
      if ((handle.flags & NUMBERED) !== 0) this.byId.delete(String(handle.id));
    }
    if (cleared) {
      handle.flags |= CLEARED;
      handle.callback = null;
      handle.args = undefined;
    } else {
      handle.flags |= FIRED;
    }
  }

  /** Clears whatever `timer` is (handle, id, native Timeout); false when it is none of ours. */
  clear(timer) {
    if (timer instanceof LeakguardTimeout) {
      timer.clear();
      return true;
    }
    if (typeof timer === 'number' || typeof timer === 'string') {
      const handle = this.byId.get(String(timer));
      if (handle !== undefined) {
        handle.clear();
        return true;
      }
    }
    return false;
  }

  /** Live timers grouped by (site, kind), most live first. */
  list() {
    const now = Date.now();
    const out = [];
    for (const row of this.rows.values()) {
      const live = row.cells[ADDS] - row.cells[REMOVES];
      if (live === 0 || row.oldest === null) continue;
      const entry = {
        site: row.site === null ? null : { file: row.site.file, line: row.site.line, column: row.site.column, functionName: row.site.functionName },
        kind: row.kind,
        live,
        created: row.cells[ADDS],
        oldestAgeMs: Math.max(0, now - row.oldest.ms),
        stack: row.stack,
      };
      if (row.delay !== null && row.delay !== undefined) entry.delay = row.delay;
      out.push(entry);
    }
    out.sort((a, b) => b.live - a.live);
    return out;
  }
}

let registry = null; // the registry of this thread, set by lib/timers.js

// The callback of every real Timeout leakguard creates: one function, no
// closure per timer. `this` is the real Timeout.
function onFire(handle) {
  if ((handle.flags & REPEAT) === 0) registry.end(handle, false);
  const args = handle.args;
  if (args === undefined) handle.callback.call(handle);
  else Reflect.apply(handle.callback, handle, args);
}

/** Node's coercion of a timer delay: NaN, < 1 and > 2^31-1 become 1 (the last with a warning). */
function timerDuration(after) {
  after *= 1;
  if (!(after >= 1 && after <= TIMEOUT_MAX)) {
    if (after > TIMEOUT_MAX) {
      process.emitWarning(`${after} does not fit into a 32-bit signed integer.\nTimeout duration was set to 1.`, 'TimeoutOverflowWarning');
    }
    after = 1;
  }
  return after;
}

/** What patched setTimeout/setInterval return: holds no Timeout, store or callback it no longer needs. */
class LeakguardTimeout {
  constructor(callback, delay, args, repeat, row) {
    this.id = registry.nextId++;
    this.flags = repeat ? REPEAT : 0;
    this.delay = delay;
    this.callback = callback;
    this.args = args;
    this.row = row;
    this.timer = null;
    this.bucket = null; // the creation-time bucket of its row, while live
    if (row.delay !== delay) row.delay = row.delay === undefined ? delay : null;
  }

  ref() {
    this.flags &= ~UNREFED;
    if (this.timer !== null) this.timer.ref();
    return this;
  }

  unref() {
    this.flags |= UNREFED;
    if (this.timer !== null) this.timer.unref();
    return this;
  }

  hasRef() {
    return (this.flags & UNREFED) === 0;
  }

  /** Restarts the countdown; a fired one-shot is re-armed (in the caller's async context). */
  refresh() {
    if (this.timer !== null) this.timer.refresh();
    else if ((this.flags & (FIRED | CLEARED)) === FIRED) registry.arm(this);
    return this;
  }

  close() {
    this.clear();
    return this;
  }

  /** Same as clearTimeout(this). */
  clear() {
    const real = this.timer;
    if (real !== null) registry.native.clearTimeout(real);
    registry.end(this, true);
  }

  [Symbol.dispose]() {
    this.clear();
  }

  [Symbol.toPrimitive]() {
    if ((this.flags & NUMBERED) === 0) {
      this.flags |= NUMBERED;
      if (this.timer !== null) registry.byId.set(String(this.id), this);
    }
    return this.id;
  }

  [inspect.custom](depth, options) {
    const shown = { id: this.id, kind: (this.flags & REPEAT) !== 0 ? 'interval' : 'timeout', delay: this.delay, state: stateOf(this), hasRef: this.hasRef() };
    return `LeakguardTimeout ${inspect(shown, { ...options, depth: 0 })}`;
  }

  // Node's own clearTimeout (captured before the patch) recognises a timer by
  // `_onTimeout`, nulls it and unenrolls it: make that clear the handle, and
  // `_destroyed` true so its unenroll stops there. Setters are no-ops
  // otherwise: Node's strict-mode code assigns these fields.
  get _onTimeout() {
    return this.callback;
  }

  set _onTimeout(value) {
    if (value === null || value === undefined) this.clear();
  }

  get _destroyed() {
    return this.timer === null;
  }

  set _destroyed(value) {}

  get _idleTimeout() {
    return (this.flags & CLEARED) !== 0 ? -1 : this.delay;
  }

  set _idleTimeout(value) {}

  get _repeat() {
    return (this.flags & REPEAT) !== 0 ? this.delay : null;
  }

  set _repeat(value) {}
}

function createRegistry(native) {
  registry = new TimerRegistry(native);
  return registry;
}

module.exports = { TimerRegistry, LeakguardTimeout, SiteRow, createRegistry, timerDuration, stateOf };
