'use strict';
// The site lookup of the timers patch: which (call site, kind) row a new
// timer is counted in, found without a stack capture nearly always.
//
// How and why
// -----------
// A stack capture costs microseconds and a timer pair a few hundred
// nanoseconds, so a timer's site is looked up by cheaper keys, checked now and
// then against the line that really called setTimeout/setInterval:
//   0. the callback of the kind's last WeakMap hit (a reused callback): one
//      comparison. The table holds that function for one clock tick at most
//      (forgetLast);
//   1. by the identity of its callback (a WeakMap): a function object seen
//      before;
//   2. else by its source text (Function.prototype.toString: identical for
//      every closure made from one function literal). Texts are filed by
//      length and compared with `===`, never hashed: hashing a fresh
//      substring reads all of it, the compare stops at the first difference.
//      A text over TEXT_KEY_CHARS is compared on its first TEXT_PREFIX_CHARS
//      only (with its length); two texts that match are two lines sharing one
//      text, split as below;
//   3. else (a text never seen, a native or bound function, whose text says
//      nothing, or a text found at two lines) the line that called
//      setTimeout is read (callerLocation: one structured frame), and only the
//      first time that line is seen is the full stack captured and parsed
//      (lib/internal/callsite.js).
// Checks keep 1 and 2 honest: one WeakMap hit in VERIFY_EVERY re-reads its
// line, at most VERIFIES_PER_TICK a clock tick (a function found scheduled
// from two lines is never cached again); a text's first FIRST_CHECKS hits are
// re-read; after that a hit is re-read while the check budget of the current
// clock tick lasts (CHECKS_PER_TICK per tick, at most CHECKS_PER_TEXT of it
// per text, so that one hot text cannot spend the budget of the others: a
// frame read inside a busy server is the expensive part), and one in
// TEXT_CHECK_EVERY after that; a text found at two lines is never used again
// (its closures take path 3).
//
// Lazy classification. A fresh closure per call (`setTimeout(() => …)` on
// every request) would pay path 2 on every timer, yet what users and the
// sampler read is each site's *live* count: a timer cleared or fired before
// anyone looks never needs a site. So each kind (timeout, interval) is eager
// (0–3 above at creation) while the process is learning, and goes lazy once
// LAZY_AFTER text hits in a row found nothing new (no new text, no text at two
// lines) with at least LAZY_MIN_PER_TICK of them in the current tick (below
// that rate path 2 costs nothing worth saving). A lazy creation whose callback
// is not the last hit returns the kind's pending row (one in about
// LAZY_SAMPLE_EVERY still takes the eager path); the registry
// (lib/timers/registry.js) holds such timers and asks classify() for the ones
// still live at a drain. What classify() cannot place yet (a text never seen)
// sends the kind back to eager for WAIT_TICKS (missed), so the next timer from
// that literal teaches it.
//
// Counts per line are exact except for the timers of a function, or of
// identical function texts at different lines, made before the sharing is
// seen: none while the text has been seen fewer than FIRST_CHECKS times or
// fewer than CHECKS_PER_TEXT times a tick, at most about TEXT_CHECK_EVERY
// otherwise (in lazy mode checks run only on the sampled creations, so the
// split can take ~LAZY_SAMPLE_EVERY times longer). Closures made from one
// literal are counted at their own line however many there are.
//
// The tuning (check rates, lazy mode) is a constructor option, so tests can
// make the sampled parts deterministic (see `testing` in lib/timers/registry.js).
// Nothing here holds a user's function strongly for longer than a clock tick
// (WeakMaps, the last-hit slot), and no text longer than TEXT_KEY_CHARS is
// kept whole (ownCopy of the key).
//
// Bounded rows. Generated code (templates compiled with their own sourceURL,
// vm scripts) can call setTimeout from any number of distinct lines, and each
// line's row costs a stats row, its stack and its keys. So a table holds at
// most `maxRows` site rows (MAX_SITE_ROWS by default). Rows are kept in
// least-recently-active order: each clock tick moves the rows that counted a
// timer since the last one to the recent end (a scan of at most maxRows
// rows, twice a second). A new line past the bound takes the place of the
// least recently active row that has no live timer (looking at no more than
// EVICT_SCAN rows, so a table full of live rows costs O(1) per new line); the
// evicted row's stats row is given back and every key that led to it (its
// texts; WeakMap hits and re-armed handles check `evicted`) forgets it. When
// no idle row is found, the new line's timers are counted in its kind's
// "other sites" row (site null, `otherSites` in timers()). releaseIdle()
// (at unpatchTimers()) gives back every row without a live timer, and the
// texts and callbacks known.

const { captureSite, callerLocation } = require('../internal/callsite');
const { statsTable, CELLS } = require('../internal/stats');

const { OLDEST_MS, ADDS, REMOVES } = CELLS.site;
const VERIFY_EVERY = 4096; // one WeakMap hit in this many re-reads its line…
const VERIFIES_PER_TICK = 8; // …at most this many times per clock tick
const TEXT_CHECK_EVERY = 1024; // one text hit in this many re-reads its line, past the tick's budget
const CHECKS_PER_TICK = 128; // text hits re-read per clock tick before sampling…
const CHECKS_PER_TEXT = 4; // …at most this many of them for one text
const FIRST_CHECKS = 64; // a text's first hits, all re-read
const TEXT_KEY_CHARS = 256; // longer source texts are compared on a prefix (and their length)…
const TEXT_PREFIX_CHARS = 128; // …this long
const MAX_TEXTS = 2048; // distinct source texts remembered per kind (generated code must not grow it forever; ≤ ~0.5 MB)
const REMEMBER_EVERY = 32; // one unchecked text hit in this many enters the WeakMap (a reused callback)
const NATIVE_TAIL = '{ [native code] }';
const fnSource = Function.prototype.toString;
const STACK_LIMIT = 12;
const LAZY_AFTER = 2048; // source-text hits of a kind in a row, nothing new among them, before it goes lazy
const LAZY_MIN_PER_TICK = 256; // …and at least this many of them in the current clock tick
const LAZY_SAMPLE_EVERY = 256; // in lazy mode, one creation (not of the last-hit callback) in this many, on average, still takes the eager path
const WAIT_TICKS = 8; // clock ticks a pending timer with an unknown text waits to be learned (and its kind stays eager)
const MAX_SITE_ROWS = 1024; // site rows a table holds (both kinds); past it the least recently active idle row goes
const EVICT_SCAN = 8; // rows looked at for an idle one per new line past the bound
const TIMEOUT_BIT = 1; // SiteTable.lazyKinds
const INTERVAL_BIT = 2;

/** The defaults of SiteTable's options (see its constructor). */
const DEFAULTS = Object.freeze({
  textCheckEvery: TEXT_CHECK_EVERY,
  checksPerTick: CHECKS_PER_TICK,
  firstChecks: FIRST_CHECKS,
  lazyMode: 'auto',
  sampleEvery: LAZY_SAMPLE_EVERY,
  lazyAfter: LAZY_AFTER,
  lazyMinPerTick: LAZY_MIN_PER_TICK,
  maxRows: MAX_SITE_ROWS,
});

function siteOf(below) {
  try {
    return captureSite(below, STACK_LIMIT);
  } catch {
    return null;
  }
}

/** A (call site, kind) row in the shared stats table plus its creation-time buckets. */
class TimerSiteRow {
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
    this.key = null; // its key in SiteTable.rows (site rows only)
    this.texts = null; // the TextEntries that lead to it, or null
    this.seenAdds = 0; // ADDS at the last clock tick (recency)
    this.evicted = false; // given back: no timer may be counted here any more
    this.otherSites = false; // the row of the lines past the bound (SiteTable.otherRow)
  }

  /** Timers counted here and live now. */
  live() {
    return this.cells[ADDS] - this.cells[REMOVES];
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

// What an evicted row's cells become: a write that slipped through lands here, never in a row given back.
const EVICTED_CELLS = new Float64Array(8);

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
  constructor(key, length, row, next) {
    this.key = key; // ownCopy(textKey(text))
    this.length = length; // the text's length (its chain in TextTable)
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
    const entry = new TextEntry(ownCopy(textKey(text)), text.length, row, this.byLength.get(text.length));
    this.byLength.set(text.length, entry);
    this.size++;
    // The row keeps its entries, so that its eviction can remove them.
    if (row.key !== null) {
      if (row.texts === null) row.texts = [entry];
      else row.texts.push(entry);
    }
  }

  /** Removes `entry` (its text is learned again when next seen). */
  remove(entry) {
    let at = this.byLength.get(entry.length);
    if (at === entry) {
      if (entry.next === undefined) this.byLength.delete(entry.length);
      else this.byLength.set(entry.length, entry.next);
    } else {
      while (at !== undefined && at.next !== entry) at = at.next;
      if (at === undefined) return;
      at.next = entry.next;
    }
    entry.next = undefined;
    this.size--;
  }
}

class SiteTable {
  /**
   * Options (all optional; DEFAULTS otherwise). Production code passes none;
   * tests pass them through `testing` in lib/timers/registry.js:
   *   textCheckEvery: past the tick's budget, one text hit in this many re-reads its line;
   *   checksPerTick: text hits re-read per clock tick; firstChecks: a text's first hits, all re-read;
   *   lazyMode: 'auto' (eager while learning, lazy once a kind's texts are all
   *     known), 'lazy' or 'eager' (forced);
   *   sampleEvery: in lazy mode one creation in about this many still takes the eager path;
   *   lazyAfter, lazyMinPerTick: text hits in a row, and in the current tick, before 'auto' goes lazy;
   *   maxRows: the bound of site rows (see "Bounded rows").
   */
  constructor(options) {
    this.rows = new Map(); // "kind|file:line:column" → TimerSiteRow, least recently active first
    this.siteRows = 0; // the rows of `rows` that are sites' (not unclassified, other sites)
    this.byFunction = [new WeakMap(), new WeakMap()]; // [timeout, interval]: callback → TimerSiteRow | SHARED
    this.verifyCountdown = VERIFY_EVERY;
    this.verifyBudget = VERIFIES_PER_TICK;
    // The callback of each kind's last WeakMap hit and its row: a reused
    // callback then costs one comparison, not a lookup.
    this.lastTimeout = null;
    this.lastTimeoutRow = null;
    this.lastInterval = null;
    this.lastIntervalRow = null;
    this.texts = [new TextTable(), new TextTable()]; // [timeout, interval]: source text → TextEntry
    this.tick = 0; // clock ticks so far
    this.lazyKinds = 0; // TIMEOUT_BIT | INTERVAL_BIT: the kinds in lazy mode now
    this.streak = [0, 0]; // per kind: text hits since the last text that was new, shared or unknown
    this.tickHits = [0, 0]; // per kind: text hits in the current clock tick
    this.eagerUntil = [0, 0]; // per kind: the clock tick before which it stays eager (an unknown text was met)
    this.pendingRows = [new TimerSiteRow('timeout', null, true), new TimerSiteRow('interval', null, true)];
    this.configure({ ...DEFAULTS, ...options });
  }

  /** Applies `options` (the constructor's) over the current ones; returns the previous ones. */
  configure(options) {
    const previous = this.options;
    const o = { ...previous, ...options };
    this.options = o;
    this.textCheckEvery = o.textCheckEvery;
    this.textCountdown = o.textCheckEvery;
    this.checksPerTick = o.checksPerTick;
    this.checkBudget = o.checksPerTick;
    this.firstChecks = o.firstChecks;
    this.lazyMode = o.lazyMode;
    this.lazyKinds = o.lazyMode === 'lazy' ? TIMEOUT_BIT | INTERVAL_BIT : 0;
    this.sampleEvery = o.sampleEvery;
    this.sampleCountdown = o.sampleEvery;
    this.lazyAfter = o.lazyAfter;
    this.lazyMinPerTick = o.lazyMinPerTick;
    this.maxRows = o.maxRows;
    this.streak[0] = this.streak[1] = 0;
    this.tickHits[0] = this.tickHits[1] = 0;
    this.eagerUntil[0] = this.eagerUntil[1] = 0;
    return previous;
  }

  /** A clock tick: fresh check budgets, the last-hit callbacks dropped. */
  onTick() {
    this.touchActive();
    this.checkBudget = this.checksPerTick;
    this.verifyBudget = VERIFIES_PER_TICK;
    this.forgetLast();
    this.tickHits[0] = this.tickHits[1] = 0;
    this.tick++;
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
    const cached = this.byFunction[repeat ? 1 : 0].get(callback);
    if (cached === undefined || cached.evicted === true) return this.rowByText(callback, repeat, below);
    if (cached === SHARED) return this.rowAt(callerLocation(below), repeat, below);
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
    const row = this.rowAt(callerLocation(below), repeat, below);
    if (row !== cached) {
      this.byFunction[repeat ? 1 : 0].set(callback, SHARED);
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
    const cache = this.byFunction[repeat ? 1 : 0];
    let text;
    try {
      text = fnSource.call(callback);
    } catch {
      text = NATIVE_TAIL;
    }
    // Native and bound functions all read "function () { [native code] }".
    if (text.endsWith(NATIVE_TAIL)) {
      const row = this.rowAt(callerLocation(below), repeat, below);
      cache.set(callback, row);
      return row;
    }
    const k = repeat ? 1 : 0;
    const texts = this.texts[k];
    const entry = texts.get(text);
    if (entry === undefined || entry.row === null) {
      this.learning(k);
      const row = this.rowAt(callerLocation(below), repeat, below);
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
    const row = this.rowAt(callerLocation(below), repeat, below);
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
    return this.fixedRow(repeat, '<unclassified>');
  }

  /** The row of a kind's timers from lines past the bound when no idle row could make room (see "Bounded rows"). */
  otherRow(repeat) {
    const row = this.fixedRow(repeat, '<other sites>');
    row.otherSites = true;
    return row;
  }

  /** A kind's row under `name` that is no site's: never evicted, not counted in the bound. */
  fixedRow(repeat, name) {
    const kind = repeat ? 'interval' : 'timeout';
    const key = `${kind}|${name}`;
    let row = this.rows.get(key);
    if (row === undefined) {
      row = new TimerSiteRow(kind, null);
      this.rows.set(key, row);
    }
    return row;
  }

  /** Moves the rows that counted a timer since the last tick to the recent end of `rows`. */
  touchActive() {
    if (this.siteRows === 0) return;
    let moved = null;
    for (const row of this.rows.values()) {
      if (row.key === null) continue;
      const adds = row.cells[ADDS];
      if (adds === row.seenAdds) continue;
      row.seenAdds = adds;
      if (moved === null) moved = [];
      moved.push(row);
    }
    if (moved === null) return;
    for (const row of moved) {
      this.rows.delete(row.key);
      this.rows.set(row.key, row);
    }
  }

  /**
   * Makes room for one site row: gives back the least recently active row
   * without a live timer among the first EVICT_SCAN (rows with live timers
   * met on the way move to the recent end). False when none was found.
   */
  evictIdle() {
    let looked = 0;
    let busy = null;
    let found = null;
    for (const row of this.rows.values()) {
      if (row.key === null) continue;
      if (row.live() === 0) {
        found = row;
        break;
      }
      if (busy === null) busy = [];
      busy.push(row);
      if (++looked >= EVICT_SCAN) break;
    }
    if (busy !== null) {
      for (const row of busy) {
        this.rows.delete(row.key);
        this.rows.set(row.key, row);
      }
    }
    if (found === null) return false;
    this.evict(found);
    return true;
  }

  /** Gives back idle `row`: its stats row, and every key that leads to it. */
  evict(row) {
    this.rows.delete(row.key);
    this.siteRows--;
    row.evicted = true;
    if (row.texts !== null) {
      const table = this.texts[row.kind === 'interval' ? 1 : 0];
      for (const entry of row.texts) if (entry.row === row) table.remove(entry);
      row.texts = null;
    }
    if (this.lastTimeoutRow === row || this.lastIntervalRow === row) this.forgetLast();
    statsTable().release(row.rowId);
    row.cells = EVICTED_CELLS;
  }

  /**
   * Gives back every site row without a live timer, and forgets every text
   * and callback (unpatchTimers(): nothing new will be counted until the next
   * patch). Rows with live timers stay until those end and a later call finds
   * them idle.
   */
  releaseIdle() {
    this.forgetLast();
    for (const row of [...this.rows.values()]) {
      if (row.key !== null && row.live() === 0) this.evict(row);
      else row.texts = null;
    }
    for (const [key, row] of [...this.rows]) if (row.key === null && row.live() === 0) this.releaseFixed(key, row);
    this.texts = [new TextTable(), new TextTable()];
    this.byFunction = [new WeakMap(), new WeakMap()];
  }

  /** Gives back an idle fixed row (unclassified, other sites). */
  releaseFixed(key, row) {
    this.rows.delete(key);
    row.evicted = true;
    statsTable().release(row.rowId);
    row.cells = EVICTED_CELLS;
  }

  /**
   * The row of a live pending timer's `callback` by its identity or source text: a TimerSiteRow,
   * the unclassified row when no line can ever be told (a native function, a
   * text shared by two lines), or null when the text is not known (yet).
   */
  classify(callback, repeat) {
    const k = repeat ? 1 : 0;
    // A callback object seen before (lazy creations skip the WeakMap).
    const known = this.byFunction[k].get(callback);
    if (known !== undefined && known.evicted !== true) {
      if (known !== SHARED) return known;
      this.missed(k);
      return this.unclassifiedRow(repeat);
    }
    let text;
    try {
      text = fnSource.call(callback);
    } catch {
      text = NATIVE_TAIL;
    }
    const entry = text.endsWith(NATIVE_TAIL) ? null : this.texts[k].get(text);
    if (entry === undefined) return null;
    if (entry === null || entry.row === null) {
      this.missed(k);
      return this.unclassifiedRow(repeat);
    }
    if (++entry.hits % REMEMBER_EVERY === 0) this.byFunction[k].set(callback, entry.row);
    return entry.row;
  }

  // Rows are keyed by the line that called setTimeout/setInterval; the site
  // they report is the nearest user frame of the first stack seen there.
  rowAt(caller, repeat, below) {
    const kind = repeat ? 'interval' : 'timeout';
    const key = `${kind}|${caller}`;
    let row = this.rows.get(key);
    if (row === undefined) {
      if (this.siteRows >= this.maxRows && !this.evictIdle()) return this.otherRow(repeat);
      row = new TimerSiteRow(kind, siteOf(below));
      row.key = key;
      this.rows.set(key, row);
      this.siteRows++;
    }
    return row;
  }
}

module.exports = { SiteTable, TimerSiteRow, textKey, DEFAULTS, WAIT_TICKS, MAX_SITE_ROWS };
