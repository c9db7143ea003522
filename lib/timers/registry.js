'use strict';
// TimerRegistry: the handles that leakguard's patched setTimeout/setInterval
// return, and the live-timer bookkeeping of the per-call-site rows that count
// them. Which row a timer belongs to is the site table's business
// (lib/timers/sites.js).
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
//                  flags, delay, callback              _onTimeout = onFire (shared)
//                  timer, bucket                       [kHasPrimitive] = handle (startReal)
//                  row ──► TimerSiteRow
//                          (stats row: ADDS / REMOVES / OLDEST_MS)
//   beside it (WeakMaps, for the few that have them): its id, its arguments
//
// Every live timer pays for each field of its handle on top of Node's own
// Timeout, so the handle has six and nothing per timer is allocated besides it
// and the real Timeout (docs/timers.md, "Memory").
//
// The moment a one-shot's callback has run (it is live during the call, as a
// Node Timeout is), or any timer is cleared, the handle drops the real
// `Timeout` (and with it the ALS store); a clear also drops the callback
// and arguments. A fired one-shot keeps its callback because `refresh()` on a
// fired timer must re-arm it (Node documents it; undici's fetch relies on it):
// the re-arm creates a fresh real `Timeout` in the caller's async context.
//
// A live timer counts in one creation-time bucket of its row (one bucket per
// clock tick that created some, oldest first), so the row's ADDS − REMOVES is
// its live count and OLDEST_MS the creation time of its oldest live timer,
// both read by the Rust sampler without calling JavaScript.
//
// Lazy classification. When the site table returns a kind's pending row (see
// lib/timers/sites.js), the handle is created without a site:
//
//   pending row (placeholder, no stats row) + slot in `pending` (pendingBound)
//        │ ended while pending: slot nulled, never classified
//        ▼ still live at a drain: array full with over half of it live,
//        │ clock tick, timers(), unpatch (stopClock), refresh() re-arm
//   sites.classify() → its row, in the bucket of its creation time (ADDS++)
//        │ text unknown: the kind goes eager for WAIT_TICKS (so the next
//        │ timer from that literal teaches it) and the handle waits in
//        │ `waiting`, retried each tick; native function, text or function at
//        ▼ two lines: at once, and the kind goes eager likewise
//   unclassified row (site null), after WAIT_TICKS or at timers()
//
// A handle is counted exactly once: in the pending row (invisible) until
// classified, then in one stats row. So the rows the Rust sampler reads lag
// by at most one tick for pending handles (a handle is pending only during
// the tick it was created in), WAIT_TICKS for an unknown text; after each
// full drain (timers() does one) the rows' ADDS − REMOVES is the exact live
// count.
//
// Invariants: a handle counts in its row's creation-time bucket, or (pending
// row) holds a slot of `pending` (`bucket` ≥ 0) or `waiting` (`bucket` < 0),
// iff `timer !== null`; the pending and waiting arrays hold only live handles
// (never a dead one's callback or ALS store); the `byId` map holds only live
// handles that were converted to a number; ids are leakguard's own (never the
// real Timeout's Symbol.toPrimitive), given at a handle's first conversion.
// This module never keeps the process alive (its clock heartbeat is unref'd)
// and never calls into Rust per timer (rows are acquired once per site).

const { inspect, debuglog } = require('node:util');
const { SiteTable, WAIT_TICKS } = require('./sites');
const { CELLS } = require('../internal/stats');
const { expose } = require('../internal/unsafe-internals');

const { ADDS, REMOVES, OLDEST_MS } = CELLS.site;
const TIMEOUT_MAX = 2 ** 31 - 1;
const CLOCK_PERIOD_MS = 500;
const PENDING_BOUND = 1024; // pending handles held before the live ones among them are looked at
// What a drain of the pending handles does with the live ones (TimerRegistry.drainPending).
const BOUND = 0; // the pending array is full: keep them unless more than half of it is live
const TICK = 1; // a clock tick: classify them; unknown texts wait up to WAIT_TICKS
const LIST = 2; // timers(), stopClock(): classify them; unknown texts go to the unclassified row now
const DRAIN_NAMES = ['bound', 'tick', 'list'];

// NODE_DEBUG=leakguard prints each drain of the pending handles.
let debug = debuglog('leakguard', (fn) => {
  debug = fn;
});

// LeakguardTimeout.flags (one small integer rather than a field each).
const REPEAT = 1; // an interval
const UNREFED = 2;
const NUMBERED = 4; // converted to a number once: findable by id while live
const FIRED = 8; // a one-shot that fired (kept for refresh())
const CLEARED = 16;
const ARGS = 32; // called with arguments (kept in extraArgs)

/** 'active' | 'fired' | 'cleared' */
function stateOf(handle) {
  if (handle.timer !== null) return 'active';
  return (handle.flags & CLEARED) !== 0 ? 'cleared' : 'fired';
}

class TimerRegistry {
  /**
   * `native` holds the original setTimeout/setInterval/clearTimeout/clearInterval.
   * `options` (tests only, through `testing` below): `pendingBound`, the size
   * of the pending array, and SiteTable's options (lib/timers/sites.js).
   */
  constructor(native, options = {}) {
    const { pendingBound = PENDING_BOUND, ...siteOptions } = options;
    this.native = native;
    this.sites = new SiteTable(siteOptions);
    this.nextId = 2 ** 50; // ids of handles converted after they ended (idOf)
    this.created = 0; // handles made by the patched setTimeout/setInterval (the allocation estimate)
    this.byId = new Map(); // String(id) → live handle that was converted to a number
    this.now = Date.now(); // coarse clock for creation times, refreshed by the heartbeat
    this.heartbeat = null;
    this.pendingBound = pendingBound;
    this.pending = new Array(pendingBound).fill(null); // handles of the pending rows, live or null, in slots 0..pendingCount-1
    this.pendingCount = 0;
    this.pendingLive = 0; // the non-null ones
    this.waiting = []; // live handles whose text was unknown when classified, or null
    this.waitingMs = []; // …their creation times
    this.waitingTick = []; // …the tick their text was found unknown
  }

  startClock() {
    if (this.heartbeat !== null) return;
    this.now = Date.now();
    this.heartbeat = this.native.setInterval(() => this.onTick(), CLOCK_PERIOD_MS);
    this.heartbeat.unref();
  }

  onTick() {
    // Pending handles were all created at the current `now`: classified at it.
    this.drainPending(TICK);
    this.now = Date.now();
    this.sites.onTick();
  }

  stopClock() {
    if (this.heartbeat === null) return;
    this.native.clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.sites.forgetLast();
    // No tick will classify them any more.
    this.drainPending(LIST);
    // Nothing new is counted until the next patch: the rows without a live timer go.
    this.sites.releaseIdle();
  }

  /** Resizes the pending array (its live handles are classified first). */
  resizePending(bound) {
    if (bound === this.pendingBound) return;
    this.drainPending(LIST);
    this.pending = new Array(bound).fill(null);
    this.pendingBound = bound;
  }

  /** Counts live pending `handle`, created at `ms`, in `row` (moved out of the pending row). */
  place(handle, row, ms) {
    handle.row = row;
    if (row.delay !== handle.delay) row.delay = row.delay === undefined ? handle.delay : null;
    const bucket = row.bucketAt(ms);
    if (bucket.live++ === 0 && bucket === row.oldest) row.cells[OLDEST_MS] = bucket.ms;
    handle.bucket = bucket;
    row.cells[ADDS]++;
  }

  /** Classifies live pending `handle`, created at `ms`; an unknown text waits (its slot: ~index in `waiting`). */
  settle(handle, ms) {
    const row = this.sites.classify(handle.callback, (handle.flags & REPEAT) !== 0);
    if (row !== null) {
      this.place(handle, row, ms);
      return;
    }
    this.sites.missed((handle.flags & REPEAT) !== 0 ? 1 : 0);
    handle.bucket = ~this.waiting.length;
    this.waiting.push(handle);
    this.waitingMs.push(ms);
    this.waitingTick.push(this.sites.tick);
  }

  /** Holds `handle`, just started in a pending row, in the pending array (its slot in `bucket`). */
  hold(handle) {
    const slot = this.pendingCount;
    handle.bucket = slot;
    this.pending[slot] = handle;
    this.pendingLive++;
    if ((handle.flags & NUMBERED) !== 0) this.byId.set(String(ids.get(handle)), handle);
    if ((this.pendingCount = slot + 1) >= this.pendingBound) this.drainPending(BOUND);
  }

  /**
   * Empties the pending array: dead handles were already nulled; live ones
   * are kept (BOUND, while at most half the array is live: a timer cleared
   * within its tick is then never classified) or classified. TICK and LIST
   * also retry the waiting ones.
   */
  drainPending(mode) {
    if (debug.enabled && (this.pendingCount !== 0 || this.waiting.length !== 0)) {
      debug('timers: %s drain, %d pending (%d live), %d waiting for their text', DRAIN_NAMES[mode], this.pendingCount, this.pendingLive, this.waiting.length);
    }
    if (this.pendingCount !== 0) this.emptyPending(mode === BOUND && this.pendingLive <= this.pendingBound >> 1);
    if (mode !== BOUND && this.waiting.length !== 0) this.retryWaiting(mode === LIST);
  }

  /** Moves the live pending handles to a new array (`keep`) or classifies them. */
  emptyPending(keep) {
    const pending = this.pending;
    const count = this.pendingCount;
    // A new array after each use: V8 allocates it young, and storing a new
    // handle in a young array skips the write barrier's slow path, which an
    // old-generation array pays on every store.
    const fresh = new Array(this.pendingBound);
    let kept = 0;
    if (this.pendingLive !== 0) {
      for (let i = 0; i < count; i++) {
        const handle = pending[i];
        if (handle === null) continue;
        if (keep) {
          handle.bucket = kept;
          fresh[kept++] = handle;
        } else {
          this.settle(handle, this.now);
        }
      }
    }
    this.pending = fresh;
    this.pendingCount = kept;
    this.pendingLive = kept;
  }

  /** Classifies the waiting handles whose text is known now; the rest after WAIT_TICKS (or `now`) go to the unclassified row. */
  retryWaiting(now) {
    const { waiting, waitingMs, waitingTick } = this;
    let kept = 0;
    for (let i = 0; i < waiting.length; i++) {
      const handle = waiting[i];
      if (handle === null) continue;
      waiting[i] = null;
      const repeat = (handle.flags & REPEAT) !== 0;
      const row = this.sites.classify(handle.callback, repeat);
      if (row !== null) {
        this.place(handle, row, waitingMs[i]);
      } else if (now || this.sites.tick - waitingTick[i] >= WAIT_TICKS) {
        this.place(handle, this.sites.unclassifiedRow(repeat), waitingMs[i]);
      } else {
        handle.bucket = ~kept;
        waiting[kept] = handle;
        waitingMs[kept] = waitingMs[i];
        waitingTick[kept] = waitingTick[i];
        kept++;
      }
    }
    waiting.length = kept;
    waitingMs.length = kept;
    waitingTick.length = kept;
  }

  /** Starts the real timer of `handle` (new, or a fired one-shot re-armed). */
  arm(handle) {
    if (handle.row.pending || handle.row.evicted) {
      // A fired one-shot never classified, or whose row was given back
      // (sites.js, "Bounded rows"), re-armed by refresh(): classified now if
      // its text is known; else it waits in the pending row (never evicted) or
      // counts among the other sites.
      const repeat = (handle.flags & REPEAT) !== 0;
      let row = this.sites.classify(handle.callback, repeat);
      if (row === null && handle.row.evicted) row = this.sites.otherRow(repeat);
      if (row !== null) {
        handle.row = row;
        if (row.delay !== handle.delay) row.delay = row.delay === undefined ? handle.delay : null;
      }
    }
    const n = this.native;
    const flags = handle.flags;
    const real = startReal((flags & REPEAT) !== 0 ? n.setInterval : n.setTimeout, handle);
    if ((flags & UNREFED) !== 0) real.unref();
    handle.flags = flags & ~FIRED;
    this.started(handle);
    return handle;
  }

  // The two halves of a timer's life in its row: `started` once its real
  // timer is set, `ended` once that timer fired (one-shot) or was cleared.
  // The patched setTimeout/clearTimeout call them directly, not through the
  // generic arm() (which re-arming by refresh() uses): the create/clear path
  // stays small enough for V8 to inline.

  /** Counts `handle`, whose real timer was just set, as live in its row. */
  started(handle) {
    const row = handle.row;
    if (row.pending) {
      this.hold(handle);
      return;
    }
    let bucket = row.newest;
    if (bucket === null || bucket.ms !== this.now) bucket = row.addBucket(this.now);
    if (bucket.live++ === 0 && bucket === row.oldest) row.cells[OLDEST_MS] = bucket.ms;
    handle.bucket = bucket;
    row.cells[ADDS]++;
    if ((handle.flags & NUMBERED) !== 0) this.byId.set(String(ids.get(handle)), handle);
  }

  /** Clears live real Timeout `real` (its handle's pointer first: see releaseReal). */
  stopReal(real) {
    releaseReal(real);
    this.native.clearTimeout(real);
  }

  /** Drops the real timer of live `handle` and counts it as ended in its row. */
  ended(handle) {
    handle.timer = null;
    const row = handle.row;
    if (row.pending) {
      this.endPending(handle);
      return;
    }
    const bucket = handle.bucket;
    handle.bucket = null;
    if (--bucket.live === 0) {
      // The newest bucket stays, empty, for the next timer of this tick.
      if (bucket !== row.newest) row.dropBucket(bucket);
      else if (bucket === row.oldest) row.cells[OLDEST_MS] = 0;
    }
    row.cells[REMOVES]++;
    if ((handle.flags & NUMBERED) !== 0) this.byId.delete(String(ids.get(handle)));
  }

  /** ended() of a handle never classified (and now never will be): only its slot goes. */
  endPending(handle) {
    const slot = handle.bucket;
    handle.bucket = null;
    if (slot >= 0) {
      this.pending[slot] = null;
      this.pendingLive--;
    } else {
      this.waiting[~slot] = null;
    }
    if ((handle.flags & NUMBERED) !== 0) this.byId.delete(String(ids.get(handle)));
  }

  /** Clears `handle` (clearTimeout, clearInterval, handle.close()): its timer, callback and arguments go. */
  clearHandle(handle) {
    const real = handle.timer;
    if (real !== null) {
      this.stopReal(real);
      this.ended(handle);
    }
    if ((handle.flags & ARGS) !== 0) extraArgs.delete(handle);
    handle.flags = (handle.flags & ~ARGS) | CLEARED;
    handle.callback = null;
  }

  /** Clears the live handle converted to the number or string `id`; false when there is none. */
  clearById(id) {
    if (typeof id !== 'number' && typeof id !== 'string') return false;
    const handle = this.byId.get(String(id));
    if (handle === undefined) return false;
    this.clearHandle(handle);
    return true;
  }

  /** Live timers grouped by (site, kind), most live first. */
  list() {
    this.drainPending(LIST);
    const now = Date.now();
    const out = [];
    for (const row of this.sites.rows.values()) {
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
      if (row.otherSites) entry.otherSites = true;
      if (row.delay !== null && row.delay !== undefined) entry.delay = row.delay;
      out.push(entry);
    }
    out.sort((a, b) => b.live - a.live);
    return out;
  }
}

let registry = null; // the registry of this thread, set by lib/timers/index.js
let nodeTimeout = null; // Node's own Timeout.prototype (for methods called on something not ours)
const NO_ARGS = Object.freeze([]);
// What most timers never have lives beside the handle, not in it (every live
// timer pays for each field of its handle): the arguments of a timer given
// some (flag ARGS), the id of one converted to a number or inspected.
const extraArgs = new WeakMap(); // handle → its callback's arguments
const ids = new WeakMap(); // handle → its id, given at its first conversion or inspection

// A handle's id must never be a number Node gives one of its own Timeouts
// (`+timeout` is the Timeout's async id): `clearTimeout(n)` finds a leakguard
// id first, so a Timeout made with a setTimeout kept from before the patch
// would otherwise be missed, and a leakguard timer cleared in its place. A
// live handle therefore takes the async id of its real Timeout, which leakguard
// never converts, so Node never files it; a handle first converted after it
// ended takes one from a range Node's ids do not reach (2^50 onwards).
let asyncIdSlot;

function idOf(handle) {
  let id = ids.get(handle);
  if (id === undefined) {
    const real = handle.timer;
    const asyncId = real !== null && asyncIdSlot !== undefined ? real[asyncIdSlot] : undefined;
    id = typeof asyncId === 'number' && asyncId > 0 ? asyncId : registry.nextId++;
    ids.set(handle, id);
  }
  return id;
}

// Node's timers keep a Timeout's async id under a symbol of their own,
// Symbol('asyncId') (lib/internal/timers.js); the native binding's
// 'async_id_symbol' is another symbol, used on native handles. Either is
// accepted, and only when it holds a positive integer on the probe timer.
function findAsyncIdSlot(probe) {
  for (const symbol of Object.getOwnPropertySymbols(probe)) {
    const { description } = symbol;
    if ((description === 'asyncId' || description === 'async_id_symbol') && Number.isSafeInteger(probe[symbol]) && probe[symbol] > 0) return symbol;
  }
  return undefined;
}

// Where a real Timeout points back to its handle. Node's Timeout has a slot
// that only Node's own Symbol.toPrimitive and the code that undoes it read
// (`kHasPrimitive`: set, the timer is filed in knownTimersById; cleared or
// fired, Node deletes that entry, a no-op for a timer never filed), and
// leakguard never converts a real Timeout: the handle is kept there, so no
// argument array is allocated per timer. Found by its description on a probe
// timer (createRegistry); on a Node without it the handle is passed as the
// callback's argument instead, as Node's setTimeout(fn, ms, arg) does.
let handleSlot;

function findHandleSlot(probe) {
  for (const symbol of Object.getOwnPropertySymbols(probe)) {
    if (symbol.description === 'kHasPrimitive' && probe[symbol] === false) return symbol;
  }
  return undefined;
}

/**
 * Puts `false` back in the slot of real Timeout `real` before Node ends it:
 * Node's clearTimeout and its end of a fired timer delete the timer's entry
 * from knownTimersById when the slot is truthy, a runtime call per timer
 * for an entry that does not exist.
 */
function releaseReal(real) {
  if (handleSlot !== undefined) real[handleSlot] = false;
}

/**
 * Starts the real Timeout of `handle` with Node's own setTimeout/setInterval
 * (`start`); onFire is its callback. `delay` is the number the user's delay
 * coerced to (Node warns about it as it does bare), else the handle's.
 */
function startReal(start, handle, delay = handle.delay) {
  let real;
  if (handleSlot !== undefined) {
    real = start(onFire, delay);
    real[handleSlot] = handle;
  } else {
    real = start(onFire, delay, handle);
  }
  handle.timer = real;
  return real;
}

// The callback of every real Timeout leakguard creates: one function, no
// closure per timer. `this` is the real Timeout. The user's callback is called
// with Reflect.apply, as Node calls it: its own `.call` may have been replaced.
//
// A one-shot stays live while its callback runs, as Node's Timeout does: Node
// decides whether a timer ended only after its callback returned (or threw),
// so inside it `_destroyed` reads false, and a `_repeat` set there turns the
// timeout into an interval. The handle ends after the call, unless the
// callback had Node put its real Timeout back (see settleFired).
function onFire(argument) {
  const handle = handleSlot === undefined ? argument : this[handleSlot];
  const flags = handle.flags;
  const args = (flags & ARGS) === 0 ? NO_ARGS : extraArgs.get(handle);
  if ((flags & REPEAT) !== 0) {
    Reflect.apply(handle.callback, handle, args);
    return;
  }
  try {
    Reflect.apply(handle.callback, handle, args);
  } finally {
    settleFired(handle, this);
  }
}

/**
 * After the callback of one-shot `handle` (whose real Timeout is `real`)
 * returned or threw, before Node's own end of it: the handle ends as a fired
 * one-shot unless Node is about to keep `real` — the callback gave it a
 * `_repeat` (Node re-inserts a timer whose `_repeat` is set and whose
 * `_idleTimeout` is not -1, and the `_repeat` setter made the handle an
 * interval) or re-inserted it (refresh(), active()). A callback that cleared,
 * unenrolled or re-armed the handle has already moved it off `real`.
 */
function settleFired(handle, real) {
  if (handle.timer !== real) {
    if ((handle.flags & CLEARED) === 0 && handle.timer === null) handle.flags |= FIRED;
    return;
  }
  if ((real._repeat && real._idleTimeout !== -1) || !firing(real)) return;
  releaseReal(real);
  registry.ended(handle);
  handle.flags = (handle.flags & ~REPEAT) | FIRED;
}

/**
 * Node's coercion of a timer delay (a number or undefined): NaN, < 1 and
 * > 2^31-1 become 1. Node warns about those itself (which ones depends on its
 * version) when the real Timeout is made with the same number.
 */
function timerDuration(after) {
  return after >= 1 && after <= TIMEOUT_MAX ? after : 1;
}

/**
 * Whether `real`, the live Timeout of a handle, is being fired now: Node takes
 * a timer out of its list (`_idleNext` null) before calling it, and puts an
 * interval back only after the call returns.
 */
function firing(real) {
  return real._idleNext === null;
}

/**
 * A live interval stops repeating (its `_repeat` or `_idleTimeout` was changed
 * as on a Node Timeout): Node will not put its real Timeout back after the
 * current fire, or after the next one when it is not being fired now. Either
 * way the handle then ends as a fired one-shot does.
 */
function stopRepeating(handle) {
  handle.flags &= ~REPEAT;
  if (firing(handle.timer)) {
    releaseReal(handle.timer);
    registry.ended(handle);
    handle.flags |= FIRED;
  }
}

/**
 * A LeakguardTimeout method called on something else (`name`: the method's
 * name, or Symbol.dispose): Node's own method for a Node Timeout or a
 * non-object (same result, same TypeError); for any other object, what Node's
 * method does with a plain object (nothing; hasRef() reads undefined), without
 * its side effects (Node's ref() would count the object among the event
 * loop's references).
 */
function foreign(name, self) {
  if (nodeTimeout !== null && (self === null || typeof self !== 'object' || self instanceof nodeTimeout.constructor)) {
    return Reflect.apply(nodeTimeout[name], self, NO_ARGS);
  }
  return name === 'hasRef' || name === Symbol.dispose ? undefined : self;
}

/** What patched setTimeout/setInterval return: holds no Timeout, store or callback it no longer needs. */
class LeakguardTimeout {
  constructor(callback, delay, args, repeat, row) {
    this.flags = repeat ? REPEAT : 0;
    this.delay = delay;
    this.callback = callback;
    if (args !== undefined) {
      this.flags |= ARGS;
      extraArgs.set(this, args);
    }
    this.row = row;
    this.timer = null;
    this.bucket = null; // the creation-time bucket of its row, while live
    if (row.delay !== delay) row.delay = row.delay === undefined ? delay : null;
  }

  // Each public method called on something that is not a LeakguardTimeout
  // (`t.unref.call(other)`) does what Node's own Timeout method does with it
  // (see foreign()): never throws where Node does not.

  ref() {
    if (!(this instanceof LeakguardTimeout)) return foreign('ref', this);
    this.flags &= ~UNREFED;
    if (this.timer !== null) this.timer.ref();
    return this;
  }

  unref() {
    if (!(this instanceof LeakguardTimeout)) return foreign('unref', this);
    this.flags |= UNREFED;
    if (this.timer !== null) this.timer.unref();
    return this;
  }

  hasRef() {
    if (!(this instanceof LeakguardTimeout)) return foreign('hasRef', this);
    return (this.flags & UNREFED) === 0;
  }

  /** Restarts the countdown; a fired one-shot is re-armed (in the caller's async context). */
  refresh() {
    if (!(this instanceof LeakguardTimeout)) return foreign('refresh', this);
    if (this.timer !== null) this.timer.refresh();
    else if ((this.flags & (FIRED | CLEARED)) === FIRED && this.delay >= 0) registry.arm(this);
    return this;
  }

  close() {
    if (!(this instanceof LeakguardTimeout)) return foreign('close', this);
    registry.clearHandle(this);
    return this;
  }

  /** Same as clearTimeout(this). */
  clear() {
    if (this instanceof LeakguardTimeout) registry.clearHandle(this);
  }

  [Symbol.dispose]() {
    if (this instanceof LeakguardTimeout) registry.clearHandle(this);
    else foreign(Symbol.dispose, this);
  }

  [Symbol.toPrimitive]() {
    // Node's own would file a plain object in its id table: never called on one.
    if (!(this instanceof LeakguardTimeout)) return undefined;
    if ((this.flags & NUMBERED) !== 0) return ids.get(this);
    const id = idOf(this);
    this.flags |= NUMBERED;
    if (this.timer !== null) registry.byId.set(String(id), this);
    return id;
  }

  [inspect.custom](depth, options) {
    const shown = { id: idOf(this), kind: (this.flags & REPEAT) !== 0 ? 'interval' : 'timeout', delay: this.delay, state: stateOf(this), hasRef: this.hasRef() };
    return `LeakguardTimeout ${inspect(shown, { ...options, depth: 0 })}`;
  }

  // The fields of a Node Timeout that old code and Node's own functions read
  // and write (docs/timers.md, "Legacy fields"). Each acts on the handle as it
  // would on a Node Timeout: while live, through the real Timeout, whose own
  // semantics then apply; after, on what the handle kept for refresh().

  /** The user's callback; null or undefined cancels (as Node's clearTimeout does), a function replaces it. */
  get _onTimeout() {
    return this.callback;
  }

  set _onTimeout(value) {
    if (value === null || value === undefined) registry.clearHandle(this);
    else if ((this.flags & CLEARED) === 0) this.callback = value;
  }

  /** True once fired (one-shot, after its callback ran), stopped or cleared; setting it true is how Node's unenroll() starts: it stops the timer. */
  get _destroyed() {
    return this.timer === null;
  }

  set _destroyed(value) {
    if (value === true && this.timer !== null) legacy.unenroll(this);
  }

  /** The delay; -1 once cleared. Set: the delay of the next refresh() (-1: none, and an interval stops repeating). */
  get _idleTimeout() {
    if (this.timer !== null) return this.timer._idleTimeout;
    return (this.flags & CLEARED) !== 0 ? -1 : this.delay;
  }

  set _idleTimeout(value) {
    if ((this.flags & CLEARED) !== 0) return;
    this.delay = value;
    const real = this.timer;
    if (real === null) return;
    real._idleTimeout = value;
    if (value === -1 && (this.flags & REPEAT) !== 0) stopRepeating(this);
  }

  /** The repeat delay of an interval, else null. Set: a live timeout starts repeating, a live interval stops. */
  get _repeat() {
    if (this.timer !== null) return this.timer._repeat;
    return (this.flags & REPEAT) !== 0 ? this.delay : null;
  }

  set _repeat(value) {
    if ((this.flags & CLEARED) !== 0) return;
    const real = this.timer;
    if (real === null) {
      this.flags = value ? this.flags | REPEAT : this.flags & ~REPEAT;
      return;
    }
    real._repeat = value;
    if (value) this.flags |= REPEAT;
    else if ((this.flags & REPEAT) !== 0) stopRepeating(this);
  }
}

/**
 * timers.enroll/unenroll/active/_unrefActive (deprecated, but still in Node)
 * applied to a LeakguardTimeout, as they act on a Node Timeout. Node's own
 * functions would treat the handle as a bare timer-list item (and fire its
 * callback beside its real timer): lib/timers/index.js routes handles here.
 */
const legacy = {
  /** Stops a live one (keeping its callback, as Node does) with -1 as its delay, so active()/refresh() do not restart it until enroll() gives it one. */
  unenroll(handle) {
    if (handle.timer === null) return;
    registry.stopReal(handle.timer);
    registry.ended(handle);
    handle.flags |= FIRED;
    handle.delay = -1;
  },

  /** Stops it and sets its delay, without starting it (active() does); the callback is kept. */
  enroll(handle, msecs) {
    if ((handle.flags & CLEARED) !== 0) return;
    if (handle.timer !== null) {
      registry.stopReal(handle.timer);
      registry.ended(handle);
    }
    handle.flags |= FIRED;
    handle.delay = msecs;
  },

  /** Restarts its countdown (a stopped one too, unless its delay is -1), referenced or not. */
  active(handle, refed) {
    if ((handle.flags & CLEARED) !== 0 || !(handle.delay >= 0)) return;
    if (refed) handle.ref();
    else handle.unref();
    handle.refresh();
  },
};

function createRegistry(native) {
  registry = new TimerRegistry(native);
  if (nodeTimeout === null) {
    const probe = native.setTimeout(() => {}, 1);
    native.clearTimeout(probe);
    nodeTimeout = Object.getPrototypeOf(probe);
    handleSlot = findHandleSlot(probe);
    asyncIdSlot = findAsyncIdSlot(probe);
  }
  return registry;
}

/**
 * What tests reach through lib/internal/unsafe-internals.js as
 * unsafeExposeInternals('timers'): the registry of this thread and its
 * sampled parts, never through methods of the production classes.
 *   registry(): the TimerRegistry of this thread, or null before patchTimers();
 *   configure(options): applies TimerRegistry/SiteTable options
 *     (pendingBound, textCheckEvery, checksPerTick, firstChecks, lazyMode,
 *     sampleEvery, lazyAfter, lazyMinPerTick, maxRows) to it; returns the previous
 *     ones, to pass back when done;
 *   tick(): what a clock tick does to the pending handles, now.
 */
expose('timers', {
  registry() {
    return registry;
  },
  configure(options) {
    const { pendingBound, ...siteOptions } = options;
    const previousBound = registry.pendingBound;
    if (pendingBound !== undefined) registry.resizePending(pendingBound);
    return { pendingBound: previousBound, ...registry.sites.configure(siteOptions) };
  },
  tick() {
    registry.drainPending(TICK);
  },
});

module.exports = { TimerRegistry, LeakguardTimeout, createRegistry, timerDuration, stateOf, startReal, legacy };
