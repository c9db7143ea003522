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
//   1. by the identity of its callback (a WeakMap, ~10 ns): a function object
//      seen before;
//   2. else by its source text (Function.prototype.toString, a V8 substring,
//      identical for every closure made from one function literal). Texts are
//      filed by length and compared with `===`, never hashed: hashing a fresh
//      substring costs ~1.5 ns a character, the compare stops at the first
//      difference. A text over TEXT_KEY_CHARS is compared on its first
//      TEXT_PREFIX_CHARS only (with its length); two texts that match are two
//      lines sharing one text, split as below. A fresh closure per call
//      (`setTimeout(() => …)`, one per request) costs ~0.1–0.15 µs, not a
//      stack of several µs;
//   3. else (a text never seen, a native or bound function, whose text says
//      nothing, or a text found at two lines) the line that called
//      setTimeout is read (one structured frame, a few µs), and only the first
//      time that line is seen is the full stack captured and parsed
//      (lib/callsite.js, ~10 µs or more).
// Checks keep 1 and 2 honest: one WeakMap hit in VERIFY_EVERY is re-read (a
// function found scheduled from two lines is never cached again); a text's
// first FIRST_CHECKS hits are re-read; after that a hit is re-read while the
// check budget of the current clock tick lasts (CHECKS_PER_TICK per
// CLOCK_PERIOD_MS tick, at most CHECKS_PER_TEXT of it per text: a frame read
// inside a loaded HTTP server costs ~15 µs, and one hot text spending the
// whole budget cost that server ~0.6–0.9% of its CPU), and one in
// TEXT_CHECK_EVERY after that; a text found at two lines is never used again
// (its closures take path 3). Per-line counts are therefore exact except for
// the timers of a function, or of identical function texts at different
// lines, made before the sharing is seen: none while the text has been seen
// fewer than FIRST_CHECKS times or fewer than CHECKS_PER_TEXT times a tick,
// at most about TEXT_CHECK_EVERY otherwise. Closures made from one literal
// are counted at their own line however many there are.
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
const VERIFY_EVERY = 4096; // one WeakMap hit in this many re-reads its line
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
  }

  startClock() {
    if (this.heartbeat !== null) return;
    this.now = Date.now();
    this.heartbeat = this.native.setInterval(() => {
      this.now = Date.now();
      this.checkBudget = this.checksPerTick;
      this.tick++;
    }, CLOCK_PERIOD_MS);
    this.heartbeat.unref();
  }

  stopClock() {
    if (this.heartbeat === null) return;
    this.native.clearInterval(this.heartbeat);
    this.heartbeat = null;
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

  /** The row of `callback` scheduled as `repeat`; captures a stack when not cached. */
  rowFor(callback, repeat, below) {
    const cache = this.sites[repeat ? 1 : 0];
    const cached = cache.get(callback);
    if (cached === undefined) return this.rowByText(callback, repeat, below);
    if (cached !== SHARED && --this.verifyCountdown !== 0) return cached;
    if (cached !== SHARED) this.verifyCountdown = VERIFY_EVERY;
    const row = this.rowAt(callerKey(below), repeat, below);
    if (cached !== SHARED && cached !== row) cache.set(callback, SHARED);
    return row;
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
    const texts = this.texts[repeat ? 1 : 0];
    const entry = texts.get(text);
    if (entry === undefined || entry.row === null) {
      const row = this.rowAt(callerKey(below), repeat, below);
      if (entry === undefined) texts.add(text, row);
      cache.set(callback, row);
      return row;
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
    if (row !== entry.row) entry.row = null; // seen at two lines: never used again
    cache.set(callback, row);
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
    registry.clearHandle(this);
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

/** The registry of this thread, or null before patchTimers() (internal: tests tune it). */
function currentRegistry() {
  return registry;
}

module.exports = { TimerRegistry, LeakguardTimeout, SiteRow, createRegistry, currentRegistry, timerDuration, stateOf, textKey, onFire };
