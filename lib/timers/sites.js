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
// nanoseconds, so the site of a timer is looked up without one nearly always:
//   0. the callback of the kind's last WeakMap hit (a reused callback): one
//      comparison. The registry holds that function for one clock tick at
//      most (forgetLast);
//   1. by the identity of its callback (a WeakMap, ~90 instructions): a
//      function object seen before;
//   2. else by its source text (Function.prototype.toString, a V8 runtime call
//      allocating a substring, ~0.1–0.25 µs; identical for every closure made
//      from one function literal). Texts are filed by length and compared
//      with `===`, never hashed: hashing a fresh substring costs ~1.5 ns a
//      character, the compare stops at the first difference. A text over
//      TEXT_KEY_CHARS is compared on its first TEXT_PREFIX_CHARS only (with
//      its length); two texts that match are two lines sharing one text,
//      split as below;
//   3. else (a text never seen, a native or bound function, whose text says
//      nothing, or a text found at two lines) the line that called
//      setTimeout is read (one structured frame, a few µs), and only the first
//      time that line is seen is the full stack captured and parsed
//      (lib/internal/callsite.js, ~10 µs or more).
// Checks keep 1 and 2 honest: one WeakMap hit in VERIFY_EVERY is re-read, at
// most VERIFIES_PER_TICK a clock tick (a function found scheduled from two
// lines is never cached again; in a loop arming a million timers a second,
// one read in 4096 was ~1% of its time); a text's
// first FIRST_CHECKS hits are re-read; after that a hit is re-read while the
// check budget of the current clock tick lasts (CHECKS_PER_TICK per
// CLOCK_PERIOD_MS tick, at most CHECKS_PER_TEXT of it per text: a frame read
// inside a loaded HTTP server costs ~15 µs, and one hot text spending the
// whole budget cost that server ~0.6–0.9% of its CPU), and one in
// TEXT_CHECK_EVERY after that; a text found at two lines is never used again
// (its closures take path 3).
//
// Lazy classification. A fresh closure per call (`setTimeout(() => …)` on
// every request) would pay path 2 on every timer, yet what users and the
// sampler read is each site's *live* count: a timer cleared or fired before
// anyone looks never needs a site. So each kind (timeout, interval) is eager
// (0–3 above at creation) while the process is learning, and goes lazy once
// LAZY_AFTER text hits in a row found nothing new (no new text, no text at
// two lines) with at least LAZY_MIN_PER_TICK of them in the current tick
// (below that rate path 2 costs nothing worth saving):
//
//   creation, callback not the last hit ──(1 in ~LAZY_SAMPLE_EVERY)──► eager (1–3, checks)
//        │ (the rest: no lookup, no text, no stack)
//        ▼
//   pending row (placeholder, no stats row) + slot in `pending` (PENDING_BOUND)
//        │ ended while pending: slot nulled, never classified
//        ▼ still live at a drain: array full with over half of it live,
//        │ clock tick, timers(), unpatch (stopClock), refresh() re-arm
//   WeakMap, else source text → TextTable → its row, in the bucket of its creation time (ADDS++)
//        │ text unknown: the kind goes eager for WAIT_TICKS (so the next
//        │ timer from that literal teaches it) and the handle waits in
//        │ `waiting`, retried each tick; native function, text or function at two lines:
//        ▼ at once, and the kind goes eager likewise
//   unclassified row (site null), after WAIT_TICKS or at timers()
//
// A handle is counted exactly once: in the pending row (invisible) until
// classified, then in one stats row. So the rows the Rust sampler reads lag
// by at most one tick for pending handles (a handle is pending only during
// the tick it was created in), WAIT_TICKS for an unknown text; after each
// full drain (timers() does one) the rows' ADDS − REMOVES is the exact live
// count, and ADDS counts the timers classified there: every eager one, and
// the lazy ones still live at a drain. Counts per line are exact except for
// the timers of a function, or of identical function texts at different
// lines, made before the sharing is seen: none while the text has been seen
// fewer than FIRST_CHECKS times or fewer than CHECKS_PER_TEXT times a tick,
// at most about TEXT_CHECK_EVERY otherwise (in lazy mode checks run only on
// the sampled creations, so the split can take ~LAZY_SAMPLE_EVERY times
// longer, and live timers of the second line meanwhile count at the first).
// Closures made from one literal are counted at their own line however many
// there are. A literal first seen in lazy mode whose timers outlive a tick is
// found at its line once one of its timers is created eagerly (sampled, or
// after its kind went back to eager); one never created again is counted at
// the unclassified row. A native or bound callback, or a function known to be
// scheduled from two lines, created lazily and still live at a drain is
// counted there too (the kind then turns eager, so the next ones are found
// by their line).
//
// Invariants: a handle counts in its row's creation-time bucket, or (pending
// row) holds a slot of `pending` (`bucket` ≥ 0) or `waiting` (`bucket` < 0),
// iff `timer !== null`; the pending and waiting arrays hold only live handles
// (never a dead one's callback or ALS store); the `byId` map holds only live
// handles that were converted to a number; ids are leakguard's own (never the
// real Timeout's Symbol.toPrimitive), given at a handle's first conversion.
// This module never keeps the process alive (its clock heartbeat is unref'd)
// and never calls into Rust per timer (rows are acquired once per site).

const { inspect } = require('node:util');
const { captureSite } = require('../internal/callsite');
const { statsTable, CELLS } = require('../internal/stats');

const { ADDS, REMOVES, OLDEST_MS } = CELLS.site;
const TIMEOUT_MAX = 2 ** 31 - 1;
const VERIFY_EVERY = 4096; // one WeakMap hit in this many re-reads its line…
const VERIFIES_PER_TICK = 8; // …at most this many times per clock tick
const TEXT_CHECK_EVERY = 1024; // one text hit in this many re-reads its line, past the tick's budget
const CHECKS_PER_TICK = 128; // text hits re-read per clock tick (CLOCK_PERIOD_MS) before sampling…
const CHECKS_PER_TEXT = 4; // …at most this many of them for one text
const FIRST_CHECKS = 64; // a text's first hits, all re-read
const TEXT_KEY_CHARS = 256; // longer source texts are compared on a prefix (and their length)…
const TEXT_PREFIX_CHARS = 128; // …this long
const MAX_TEXTS = 2048; // distinct source texts remembered per kind (generated code must not grow it forever; ≤ ~0.5 MB)
const REMEMBER_EVERY = 32; // one unchecked text hit in this many enters the WeakMap (a reused callback)
const NATIVE_TAIL = '{ [native code] }';
const fnSource = Function.prototype.toString;
const STACK_LIMIT = 12;
const CLOCK_PERIOD_MS = 500;
const LAZY_AFTER = 2048; // source-text hits of a kind in a row, nothing new among them, before it goes lazy
const LAZY_MIN_PER_TICK = 256; // …and at least this many of them in the current clock tick (below ~500/s eager costs nothing worth saving)
const LAZY_SAMPLE_EVERY = 256; // in lazy mode, one creation (not of the last-hit callback) in this many, on average, still takes the eager path
const PENDING_BOUND = 1024; // pending handles held before the live ones among them are looked at
const WAIT_TICKS = 8; // clock ticks a pending handle with an unknown text waits to be learned (and its kind stays eager)
const TIMEOUT_BIT = 1; // TimerRegistry.lazyKinds
const INTERVAL_BIT = 2;
// What a drain of the pending handles does with the live ones (TimerRegistry.drainPending).
const BOUND = 0; // the pending array is full: keep them unless more than half of it is live
const TICK = 1; // a clock tick: classify them; unknown texts wait up to WAIT_TICKS
const LIST = 2; // timers(), stopClock(): classify them; unknown texts go to the unclassified row now

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
  /** `pending`: the placeholder of a kind's handles not classified yet (no stats row: the sampler never sees it). */
  constructor(kind, captured, pending = false) {
    this.kind = kind;
    this.site = captured === null ? null : captured.site;
    this.stack = captured === null ? [] : captured.stack;
    this.pending = pending;
    const row = pending ? { id: -1, cells: new Float64Array(8) } : statsTable().acquire({ kind: 'timer', site: this.site, stack: this.stack, detail: kind });
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

  /** The bucket of creation time `ms`, inserted in order when missing (a classified handle can be older than the newest). */
  bucketAt(ms) {
    let after = this.newest;
    while (after !== null && after.ms > ms) after = after.prev;
    if (after !== null && after.ms === ms) return after;
    if (after === this.newest) return this.addBucket(ms);
    const next = after === null ? this.oldest : after.next;
    const bucket = { ms, live: 0, prev: after, next };
    next.prev = bucket;
    if (after === null) {
      this.oldest = bucket;
      this.cells[OLDEST_MS] = ms;
    } else {
      after.next = bucket;
    }
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

/** What a text is compared on: the text itself, or the prefix of a long one. */
function textKey(text) {
  return text.length <= TEXT_KEY_CHARS ? text : text.slice(0, TEXT_PREFIX_CHARS);
}

/** A flat copy of `key`, so a remembered key never pins the whole script source it was sliced from. */
function ownCopy(key) {
  return key.split('').join('');
}

/**
 * What a source text maps to: the row of the one line it was seen at, or
 * null once seen at two. Entries of one text length form a chain.
 */
class TextEntry {
  constructor(key, row, next) {
    this.key = key; // ownCopy(textKey(text))
    this.row = row;
    this.hits = 0;
    this.checks = 0; // hits re-read, ever
    this.tick = -1; // the clock tick of tickChecks
    this.tickChecks = 0; // hits re-read in that tick
    this.next = next; // another text of the same length, or undefined
  }

  matches(text) {
    return text.length <= TEXT_KEY_CHARS ? text === this.key : text.startsWith(this.key);
  }
}

/** Source texts by length (each a chain of TextEntry), at most MAX_TEXTS of them. */
class TextTable {
  constructor() {
    this.byLength = new Map();
    this.size = 0;
  }

  get(text) {
    let entry = this.byLength.get(text.length);
    while (entry !== undefined && !entry.matches(text)) entry = entry.next;
    return entry;
  }

  add(text, row) {
    if (this.size >= MAX_TEXTS) return;
    this.byLength.set(text.length, new TextEntry(ownCopy(textKey(text)), row, this.byLength.get(text.length)));
    this.size++;
  }
}

class TimerRegistry {
  /** `native` holds the original setTimeout/setInterval/clearTimeout. */
  constructor(native) {
    this.native = native;
    this.nextId = 1;
    this.rows = new Map(); // "kind|file:line:column" → SiteRow
    this.sites = [new WeakMap(), new WeakMap()]; // [timeout, interval]: callback → SiteRow | SHARED
    this.verifyCountdown = VERIFY_EVERY;
    this.verifyBudget = VERIFIES_PER_TICK;
    // The callback of each kind's last WeakMap hit and its row: a reused
    // callback then costs one comparison, not a lookup (~90 instructions).
    this.lastTimeout = null;
    this.lastTimeoutRow = null;
    this.lastInterval = null;
    this.lastIntervalRow = null;
    this.texts = [new TextTable(), new TextTable()]; // [timeout, interval]: source text → TextEntry
    this.textCheckEvery = TEXT_CHECK_EVERY;
    this.checksPerTick = CHECKS_PER_TICK;
    this.firstChecks = FIRST_CHECKS;
    this.textCountdown = TEXT_CHECK_EVERY;
    this.checkBudget = CHECKS_PER_TICK;
    this.tick = 0; // clock ticks so far
    this.byId = new Map(); // String(id) → live handle that was converted to a number
    this.now = Date.now(); // coarse clock for creation times, refreshed by the heartbeat
    this.heartbeat = null;
    // Lazy classification (see the header): per kind, eager or lazy.
    this.lazyMode = 'auto'; // 'auto' | 'lazy' | 'eager' (the last two: tests)
    this.lazyKinds = 0; // TIMEOUT_BIT | INTERVAL_BIT: the kinds in lazy mode now
    this.lazyAfter = LAZY_AFTER;
    this.lazyMinPerTick = LAZY_MIN_PER_TICK;
    this.sampleEvery = LAZY_SAMPLE_EVERY;
    this.sampleCountdown = LAZY_SAMPLE_EVERY;
    this.streak = [0, 0]; // per kind: text hits since the last text that was new, shared or unknown
    this.tickHits = [0, 0]; // per kind: text hits in the current clock tick
    this.eagerUntil = [0, 0]; // per kind: the clock tick before which it stays eager (an unknown text was met)
    this.pendingRows = [new SiteRow('timeout', null, true), new SiteRow('interval', null, true)];
    this.pendingBound = PENDING_BOUND;
    this.pending = new Array(PENDING_BOUND).fill(null); // handles of pendingRows, live or null, in slots 0..pendingCount-1
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
    this.checkBudget = this.checksPerTick;
    this.verifyBudget = VERIFIES_PER_TICK;
    this.forgetLast();
    this.tickHits[0] = this.tickHits[1] = 0;
    this.tick++;
  }

  stopClock() {
    if (this.heartbeat === null) return;
    this.native.clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.forgetLast();
    // No tick will classify them any more.
    this.drainPending(LIST);
  }

  /**
   * How often source-text hits are re-read (internal; tests set 1 / 0 to make
   * the split of identical texts deterministic). Returns the previous values.
   */
  setTextChecks({ every = this.textCheckEvery, perTick = this.checksPerTick, first = this.firstChecks } = {}) {
    const previous = { every: this.textCheckEvery, perTick: this.checksPerTick, first: this.firstChecks };
    this.textCheckEvery = every;
    this.textCountdown = every;
    this.checksPerTick = perTick;
    this.checkBudget = perTick;
    this.firstChecks = first;
    return previous;
  }

  /**
   * Lazy classification (internal; tests force it). `mode`: 'auto' (eager
   * while learning, lazy once a kind's texts are all known), 'lazy', 'eager';
   * `sampleEvery`: in lazy mode one unknown callback in this many still takes
   * the eager path; `bound`: the pending array's size; `after`, `perTick`:
   * text hits in a row, and in the current tick, before 'auto' goes lazy.
   * Returns the previous values.
   */
  setLazy({ mode = this.lazyMode, sampleEvery = this.sampleEvery, bound = this.pendingBound, after = this.lazyAfter, perTick = this.lazyMinPerTick } = {}) {
    const previous = { mode: this.lazyMode, sampleEvery: this.sampleEvery, bound: this.pendingBound, after: this.lazyAfter, perTick: this.lazyMinPerTick };
    if (bound !== this.pendingBound) {
      this.drainPending(LIST);
      this.pending = new Array(bound).fill(null);
      this.pendingBound = bound;
    }
    this.lazyMode = mode;
    this.lazyKinds = mode === 'lazy' ? TIMEOUT_BIT | INTERVAL_BIT : 0;
    this.sampleEvery = sampleEvery;
    this.sampleCountdown = sampleEvery;
    this.lazyAfter = after;
    this.lazyMinPerTick = perTick;
    this.streak[0] = this.streak[1] = 0;
    this.tickHits[0] = this.tickHits[1] = 0;
    this.eagerUntil[0] = this.eagerUntil[1] = 0;
    return previous;
  }

  /** What a clock tick does to pending handles, now (internal: tests). */
  classifyPending() {
    this.drainPending(TICK);
  }

  /**
   * The row of `callback` scheduled as `repeat` (`below`: the patched
   * function, where a stack read starts); the pending row when it waits.
   */
  rowFor(callback, repeat, below) {
    // The callback of this kind's last WeakMap hit: no lookup at all.
    if (repeat ? callback === this.lastInterval : callback === this.lastTimeout) {
      if (--this.verifyCountdown > 0) return repeat ? this.lastIntervalRow : this.lastTimeoutRow;
      return this.verify(callback, repeat ? this.lastIntervalRow : this.lastTimeoutRow, repeat, below);
    }
    return this.rowOfOther(callback, repeat, below);
  }

  /** rowFor() of any other callback (kept apart so that rowFor stays small enough to inline). */
  rowOfOther(callback, repeat, below) {
    // Lazy: no lookup either, the handle waits in the pending row (but for a sampled one).
    if ((this.lazyKinds & (repeat ? INTERVAL_BIT : TIMEOUT_BIT)) !== 0) {
      if (--this.sampleCountdown > 0) return this.pendingRows[repeat ? 1 : 0];
      this.sampleCountdown = this.nextSampleGap();
    }
    return this.rowOfCallback(callback, repeat, below);
  }

  /** Eager: the row of `callback` by the WeakMap, else by its source text. */
  rowOfCallback(callback, repeat, below) {
    const cached = this.sites[repeat ? 1 : 0].get(callback);
    if (cached === undefined) return this.rowByText(callback, repeat, below);
    if (cached === SHARED) return this.rowAt(callerKey(below), repeat, below);
    if (repeat) {
      this.lastInterval = callback;
      this.lastIntervalRow = cached;
    } else {
      this.lastTimeout = callback;
      this.lastTimeoutRow = cached;
    }
    if (--this.verifyCountdown > 0) return cached;
    return this.verify(callback, cached, repeat, below);
  }

  /** Re-reads the line of cached `callback` (VERIFIES_PER_TICK a tick at most); found at a second line, it is never cached again. */
  verify(callback, cached, repeat, below) {
    this.verifyCountdown = VERIFY_EVERY;
    if (this.verifyBudget <= 0) return cached;
    this.verifyBudget--;
    const row = this.rowAt(callerKey(below), repeat, below);
    if (row !== cached) {
      this.sites[repeat ? 1 : 0].set(callback, SHARED);
      this.forgetLast();
    }
    return row;
  }

  /** Drops the last-hit callbacks (each tick: the registry holds a user's function one tick at most). */
  forgetLast() {
    this.lastTimeout = this.lastTimeoutRow = this.lastInterval = this.lastIntervalRow = null;
  }

  // A callback object never seen: its row by its source text when that text
  // is known at exactly one line, else by reading the caller's line.
  rowByText(callback, repeat, below) {
    const cache = this.sites[repeat ? 1 : 0];
    let text;
    try {
      text = fnSource.call(callback);
    } catch {
      text = NATIVE_TAIL;
    }
    // Native and bound functions all read "function () { [native code] }".
    if (text.endsWith(NATIVE_TAIL)) {
      const row = this.rowAt(callerKey(below), repeat, below);
      cache.set(callback, row);
      return row;
    }
    const k = repeat ? 1 : 0;
    const texts = this.texts[k];
    const entry = texts.get(text);
    if (entry === undefined || entry.row === null) {
      this.learning(k);
      const row = this.rowAt(callerKey(below), repeat, below);
      if (entry === undefined) texts.add(text, row);
      cache.set(callback, row);
      return row;
    }
    // Nothing new among the last lazyAfter hits, enough of them this tick: lazy.
    if (++this.streak[k] >= this.lazyAfter && ++this.tickHits[k] >= this.lazyMinPerTick && this.lazyMode === 'auto' && this.tick >= this.eagerUntil[k]) {
      this.lazyKinds |= repeat ? INTERVAL_BIT : TIMEOUT_BIT;
    }
    let check;
    if (entry.checks < this.firstChecks) {
      check = true;
    } else if (this.checkBudget > 0 && (entry.tick !== this.tick || entry.tickChecks < CHECKS_PER_TEXT)) {
      if (entry.tick !== this.tick) {
        entry.tick = this.tick;
        entry.tickChecks = 0;
      }
      entry.tickChecks++;
      this.checkBudget--;
      check = true;
    } else {
      check = --this.textCountdown <= 0;
      if (check) this.textCountdown = this.textCheckEvery;
    }
    if (!check) {
      // Now and then remember the object itself: a callback reused later
      // then costs a WeakMap hit, not a source text.
      if (++entry.hits % REMEMBER_EVERY === 0) cache.set(callback, entry.row);
      return entry.row;
    }
    entry.checks++;
    const row = this.rowAt(callerKey(below), repeat, below);
    if (row !== entry.row) {
      entry.row = null; // seen at two lines: never used again
      this.learning(k);
    }
    cache.set(callback, row);
    return row;
  }

  /** A text of kind `k` was new or is shared by two lines: eager until LAZY_AFTER plain hits in a row. */
  learning(k) {
    this.streak[k] = 0;
    this.tickHits[k] = 0;
    if (this.lazyMode === 'auto') this.lazyKinds &= k === 1 ? ~INTERVAL_BIT : ~TIMEOUT_BIT;
  }

  /** A pending handle of kind `k` could not be classified: eager for WAIT_TICKS, so the next one from its line is. */
  missed(k) {
    this.learning(k);
    this.eagerUntil[k] = this.tick + WAIT_TICKS;
  }

  /** Creations until the next sampled one in lazy mode: 1 … 2·sampleEvery − 1, mean sampleEvery (random: no pattern aliases it). */
  nextSampleGap() {
    return 1 + Math.floor(Math.random() * (2 * this.sampleEvery - 1));
  }

  /** The row of a kind's handles that could not be classified (a text shared by two lines, a native function, a text never learned). */
  unclassifiedRow(repeat) {
    const kind = repeat ? 'interval' : 'timeout';
    const key = `${kind}|<unclassified>`;
    let row = this.rows.get(key);
    if (row === undefined) {
      row = new SiteRow(kind, null);
      this.rows.set(key, row);
    }
    return row;
  }

  /**
   * The row of live pending `handle` by its callback's source text: a SiteRow,
   * the unclassified row when no line can ever be told (a native function, a
   * text shared by two lines), or null when the text is not known (yet).
   */
  classify(handle) {
    const repeat = (handle.flags & REPEAT) !== 0;
    const k = repeat ? 1 : 0;
    // A callback object seen before (lazy creations skip the WeakMap).
    const known = this.sites[k].get(handle.callback);
    if (known !== undefined) {
      if (known !== SHARED) return known;
      this.missed(k);
      return this.unclassifiedRow(repeat);
    }
    let text;
    try {
      text = fnSource.call(handle.callback);
    } catch {
      text = NATIVE_TAIL;
    }
    const entry = text.endsWith(NATIVE_TAIL) ? null : this.texts[k].get(text);
    if (entry === undefined) return null;
    if (entry === null || entry.row === null) {
      this.missed(k);
      return this.unclassifiedRow(repeat);
    }
    if (++entry.hits % REMEMBER_EVERY === 0) this.sites[k].set(handle.callback, entry.row);
    return entry.row;
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
    const row = this.classify(handle);
    if (row !== null) {
      this.place(handle, row, ms);
      return;
    }
    this.missed((handle.flags & REPEAT) !== 0 ? 1 : 0);
    handle.bucket = ~this.waiting.length;
    this.waiting.push(handle);
    this.waitingMs.push(ms);
    this.waitingTick.push(this.tick);
  }

  /** Holds `handle`, just started in a pending row, in the pending array (its slot in `bucket`). */
  hold(handle) {
    const slot = this.pendingCount;
    handle.bucket = slot;
    this.pending[slot] = handle;
    this.pendingLive++;
    if ((handle.flags & NUMBERED) !== 0) this.byId.set(String(handle.id), handle);
    if ((this.pendingCount = slot + 1) >= this.pendingBound) this.drainPending(BOUND);
  }

  /**
   * Empties the pending array: dead handles were already nulled; live ones
   * are kept (BOUND, while at most half the array is live: a timer cleared
   * within its tick is then never classified) or classified. TICK and LIST
   * also retry the waiting ones.
   */
  drainPending(mode) {
    if (this.pendingCount !== 0) this.emptyPending(mode === BOUND && this.pendingLive <= this.pendingBound >> 1);
    if (mode !== BOUND && this.waiting.length !== 0) this.retryWaiting(mode === LIST);
  }

  /** Moves the live pending handles to a new array (`keep`) or classifies them. */
  emptyPending(keep) {
    const pending = this.pending;
    const count = this.pendingCount;
    // A new array after each use: V8 allocates it young, and storing a new
    // handle in a young array skips the write barrier's slow path, which a
    // long-lived array pays on every store (~120 instructions a timer).
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
      const row = this.classify(handle);
      if (row !== null) {
        this.place(handle, row, waitingMs[i]);
      } else if (now || this.tick - waitingTick[i] >= WAIT_TICKS) {
        this.place(handle, this.unclassifiedRow((handle.flags & REPEAT) !== 0), waitingMs[i]);
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
    if (handle.row.pending) {
      // A fired one-shot never classified, re-armed by refresh(): classified now if its text is known.
      const row = this.classify(handle);
      if (row !== null) {
        handle.row = row;
        if (row.delay !== handle.delay) row.delay = row.delay === undefined ? handle.delay : null;
      }
    }
    const n = this.native;
    const flags = handle.flags;
    const real = (flags & REPEAT) !== 0 ? n.setInterval(onFire, handle.delay, handle) : n.setTimeout(onFire, handle.delay, handle);
    if ((flags & UNREFED) !== 0) real.unref();
    handle.timer = real;
    handle.flags = flags & ~FIRED;
    this.started(handle);
    return handle;
  }

  // The two halves of a timer's life in its row: `started` once its real
  // timer is set, `ended` once that timer fired (one-shot) or was cleared.
  // The patched setTimeout/clearTimeout call them directly, not through the
  // generic arm() (which re-arming by refresh() uses), to keep the hot path
  // small enough to inline: in side-by-side runs a pair measured +12–15% over
  // Node's own this way against +15–34% before, though later runs of both
  // could not always be told apart (bench/RESULTS.md, Timers).

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
    if ((handle.flags & NUMBERED) !== 0) this.byId.set(String(handle.id), handle);
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
    if ((handle.flags & NUMBERED) !== 0) this.byId.delete(String(handle.id));
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
    if ((handle.flags & NUMBERED) !== 0) this.byId.delete(String(handle.id));
  }

  /** Clears `handle` (clearTimeout, clearInterval, handle.close()): its timer, callback and arguments go. */
  clearHandle(handle) {
    const real = handle.timer;
    if (real !== null) {
      this.native.clearTimeout(real);
      this.ended(handle);
    }
    handle.flags |= CLEARED;
    handle.callback = null;
    handle.args = undefined;
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

let registry = null; // the registry of this thread, set by lib/timers/index.js

// The callback of every real Timeout leakguard creates: one function, no
// closure per timer. `this` is the real Timeout.
function onFire(handle) {
  const flags = handle.flags;
  if ((flags & REPEAT) === 0) {
    if (handle.timer !== null) registry.ended(handle);
    handle.flags = flags | FIRED;
  }
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
    this.id = 0; // numbered at its first conversion to a number (or inspection): most timers never are
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
    registry.clearHandle(this);
  }

  [Symbol.dispose]() {
    this.clear();
  }

  [Symbol.toPrimitive]() {
    if ((this.flags & NUMBERED) === 0) {
      if (this.id === 0) this.id = registry.nextId++;
      this.flags |= NUMBERED;
      if (this.timer !== null) registry.byId.set(String(this.id), this);
    }
    return this.id;
  }

  [inspect.custom](depth, options) {
    if (this.id === 0) this.id = registry.nextId++;
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

/** The registry of this thread, or null before patchTimers() (internal: tests tune it). */
function currentRegistry() {
  return registry;
}

module.exports = { TimerRegistry, LeakguardTimeout, SiteRow, createRegistry, currentRegistry, timerDuration, stateOf, textKey, onFire };
