'use strict';
// The listener ledger: who added the listeners that are still attached.
//
// It owns one `listener` row in the shared stats table per (add call site,
// event name) — cells ADDS, REMOVES, EMITTERS, written with plain stores so the
// Rust sampler reads them without calling JS — and a per-emitter "book" that
// remembers, for every tracked listener still attached, which row it was
// charged to, so that its removal credits that same row.
//
// It must never keep an emitter or a listener alive: an emitter's book hangs
// off the emitter itself (a private field stamped onto it; a WeakMap if that
// is refused), the FinalizationRegistry watches cohorts of books (one
// registration per batch of emitters, never one per emitter: see Cohort) and
// holds only row tallies (never a listener: a listener's closure often
// reaches its emitter), and the site caches hold rows and strings, never user
// objects strongly (listener functions only as WeakMap keys).
//
// Where the cost goes. Capturing and formatting a stack costs tens of
// microseconds and Node adds listeners on every socket and request, so
// the site of an add is found through a cheap key and checked by sampling:
//   1. the listener's function identity (WeakMap), for functions seen before;
//   2. otherwise (a fresh closure or bound function, one per request) the
//      emitter's class (its `constructor`, a property load) + the event;
//   3. when several lines add fresh functions to one class and event, the
//      event + the function's `name` (reading `name` costs a getter call,
//      and building "bound x" for a bound function, so it comes last);
//   4. otherwise (first sight of a key), and about once every `sampleEvery`
//      adds of a key (randomised; doubling, up to 128 times, while the
//      checks keep finding the same site), a real stack. A class key's first
//      CLASS_FIRST_CHECKS hits are all checked, and its next hit every
//      CLASS_RECHECK_TICKS seconds.
// A key whose sampled stack disagrees with its cached site is ambiguous: from
// then on it takes a real stack on every add while the per-second capture
// budget lasts, and past the budget is charged to the latest stack's site.
// Totals are exact (every add and removal is counted, and a removal credits
// the row its add was charged to, so a row's live count never drifts); what
// sampling trades is only *which* site an add is charged to when several
// sites share a cheap key. Adds with no user frame on the stack (Node adding
// on its own) are recognised by the same keys and skipped unless asked for.
//
// Which adds are booked at all is the mode's choice. Exact books every add.
// Sampled (the default) books the first `exactPerTick` adds of each second at
// weight 1, then one add in `every` drawn at random (the wrappers count down a
// geometric gap, so an add that is not drawn costs a decrement and a compare
// and never reaches this file) at weight `every`, through the row's Scaled:
// totals are then unbiased estimates. Every cell, book count and cohort tally
// is kept in weighted units, so a removal or a collection credits exactly
// what its add was charged. A site whose estimate keeps rising is escalated
// (see escalate()): every add there is booked at weight 1 from then on.

const { stackFrames } = require('../internal/callsite');
const { CELLS, statsTable } = require('../internal/stats');

const { ADDS, REMOVES, EMITTERS } = CELLS.site;
const STACK_LIMIT = 16;
// Node-internal methods that only forward an add (Readable.prototype.on, …):
// with no user frame on the stack, the line worth naming is their caller's.
const FORWARDER = /(?:^|\.)(?:on|addListener|prependListener|once|prependOnceListener)$/;

/** One (call site, event) row. Counters live in the shared table's cells. */
class ListenerSiteRow {
  constructor(site, stack, event, id, cells) {
    this.site = site;
    this.stack = stack;
    this.event = event;
    this.id = id;
    this.cells = cells;
    this.internal = false; // no user frame was on the stack (Node adding on its own)
    this.ignored = id === -1; // internal and not counted (trackListeners({ internal: false }))
    this.lastLive = undefined; // live at the previous listeners() call, for `growth`
    this.cohort = undefined; // the cohort new emitters first charged here join, while open
    // What one booked add counts for in the cells: 1 here; a sampled
    // ledger books through `scaled` (weight N) until the site escalates.
    this.w = 1;
    this.row = this;
    this.scaled = undefined;
    this.exact = false; // every add here is booked at weight 1 (exact mode, or escalated)
    this.exactSince = undefined; // ms since the epoch when a sampled ledger escalated this site
    this.history = undefined; // estimated live at the last ticks (escalation, de-escalation)
    this.at = 0; // the ledger's tick of the latest add booked here (row cap: least recently active folds first)
    this.folded = false; // merged into the ledger's "other sites" row; its cells are that row's
  }

  get live() {
    return this.cells[ADDS] - this.cells[REMOVES];
  }
}

/**
 * A sampled site's booked adds: each stands for N adds (its weight), in the
 * same cells as the site's row. Books and cohorts hold whichever of the two
 * an add was booked through, so a removal credits the weight it was charged.
 */
class Scaled {
  constructor(row, w) {
    this.row = row;
    this.cells = row.cells;
    this.w = w;
    this.cohort = undefined;
  }
}

/** How a cheap key maps to a row, and when to check it again with a stack. */
class KeyState {
  constructor(row) {
    this.event = row.event;
    this.row = row; // the first site seen with this key
    this.last = row; // the site of the latest real stack for this key
    this.untilCheck = 0;
    this.ambiguous = false;
    this.agreed = 0; // checks in a row that found `row` again (each doubles the next interval, up to 2^MAX_BACKOFF)
    this.early = 0; // hits still checked every time (a new class key)
  }
}

// A key whose checks keep finding the same site is checked less and less
// often: a stack costs tens of microseconds, and Node's own per-request keys
// (checked only to learn they stay Node's) would otherwise take one every
// ~sampleEvery requests each, for ever.
const MAX_BACKOFF = 7;
// A class key (emitter class + event) is coarser than a function's identity
// or name: its first hits are all checked, and every CLASS_RECHECK_TICKS
// seconds its next hit is checked whatever its interval, so that a second
// line adding fresh functions to the same class and event is found even when
// both add rarely, without lowering the back-off cap for every key.
const CLASS_FIRST_CHECKS = 8;
// Escalation of a sampled site (see ListenerLedger#escalate): its estimated
// live count, read once a tick (a second), has not fallen for at least
// ESCALATE_TICKS readings (up to the last ESCALATE_KEEP) and rose over them by
// at least ESCALATE_BOOKED booked adds. A site whose live count only stays
// level (requests in flight) passes that by chance about once in
// ESCALATE_TICKS! readings; a pure leak passes once two of its adds were
// drawn and ESCALATE_TICKS readings have passed (bench/listener-estimates.js
// --escalation measures how long that takes). An escalated site whose exact
// count then stops rising for CALM_TICKS readings goes back to sampling.
const ESCALATE_TICKS = 8;
const ESCALATE_KEEP = 64;
// As src/sampler/ranking.rs: live ≤ this × emitters is "a few per emitter".
const SPREAD_PER_EMITTER = 2;
const ESCALATE_BOOKED = 2;
const CALM_TICKS = 30;
// Rows per ledger: past this, the least recently active row is folded into
// one "other sites" row (its counts move there, its stats row is released).
const MAX_ROWS = 512;
const OTHER_EVENT = '(other sites)';
const CLASS_RECHECK_TICKS = 5;
const CLASSES_PER_EVENT = 16;
const RECENT_CLASS_EVENTS = 8;

/**
 * The emitter's class (its `constructor`: a property load, where
 * Object.getPrototypeOf is a builtin call), or null when that is not an
 * object or a function; never throws.
 */
function classOf(emitter) {
  try {
    const c = emitter.constructor;
    return typeof c === 'function' || (typeof c === 'object' && c !== null) ? c : null;
  } catch {
    return null;
  }
}

/**
 * What one emitter holds that was tracked. Per row with listeners still
 * attached here, a count and the cohort's entry for that row (kept in step):
 * the first such row inline (`row0`, `n0`, `c0`: most emitters have one),
 * others in `more` as { row, n, c }. Per event, the tracked listeners in add
 * order as a flat list [dead, key, row, key, row, …]: a removal scans it from
 * the end for the listener's key the way Node scans its own array, without
 * hashing a fresh closure. A removal from the middle (a shared emitter whose
 * listeners leave in the order they came) leaves a (null, null) pair, counted
 * in `dead`, instead of shifting the rest down: a shift rewrites every later
 * slot of a long-lived array through the write barrier, on every removal.
 * The pairs are compacted once they are half the list. The first event's list
 * is inline (`ev`, `list`); `events` (a Map) exists only once a second event
 * is seen, and `ev`/`list` then cache the last one used. `targets` holds
 * EventTarget entries with their capture/once flags.
 */
class Book {
  constructor(ledger) {
    this.ledger = ledger;
    // The cohort joined with the first tracked listener: the book is what
    // keeps it alive (it dies with its last member).
    this.cohort = undefined;
    this.row0 = undefined;
    this.n0 = 0;
    this.c0 = undefined;
    this.more = undefined;
    this.ev = undefined;
    this.list = undefined;
    this.events = undefined;
    this.targets = undefined;
    this.pendingOnce = 0;
  }

  /** The event's list [dead, key, row, …], or undefined. */
  listOf(event) {
    if (this.ev === event && this.list !== undefined) return this.list;
    const events = this.events;
    if (events === undefined) return undefined;
    const list = events.get(event);
    if (list !== undefined) {
      this.ev = event;
      this.list = list;
    }
    return list;
  }

  /** Appends (key, row) to the event's list, made if missing (exactly sized: most lists stay one pair long). */
  append(event, key, row) {
    const found = this.listOf(event);
    if (found !== undefined) {
      found.push(key, row);
      return;
    }
    const list = [0, key, row];
    if (this.list === undefined) {
      // First event of this book.
    } else {
      if (this.events === undefined) this.events = new Map([[this.ev, this.list]]);
      this.events.set(event, list);
    }
    this.ev = event;
    this.list = list;
  }

  /** Calls fn(event, list) for every event with a list. */
  forEachList(fn) {
    if (this.events !== undefined) for (const [event, list] of this.events) fn(event, list);
    else if (this.list !== undefined) fn(this.ev, this.list);
  }
}

/**
 * One tracked EventTarget listener. A listener that may leave without a call
 * the ledger sees (`unseen`: once, or held weakly by Node) is held through a
 * WeakRef; any other one stays attached, held strongly by its target, until a
 * removeEventListener the ledger sees drops this entry, so holding it here
 * never extends its life (and spares a WeakRef per add).
 */
class TargetEntry {
  constructor(event, listener, capture, unseen, row) {
    this.event = event;
    this.held = unseen ? new WeakRef(listener) : listener;
    this.capture = capture;
    this.unseen = unseen;
    this.row = row;
  }

  /** The listener, or undefined once collected. */
  listener() {
    return this.unseen ? this.held.deref() : this.held;
  }
}

/**
 * Emitters whose first tracked listener came from the same row within about a
 * second (at most COHORT_MEMBERS of them) share one cohort, and the
 * FinalizationRegistry watches the cohort, not each emitter. Why: V8 keeps
 * every registered target and its registration alive through young-generation
 * GCs and each cleared registration until its cleanup task has run, so one
 * registration per emitter (every request, every socket) would pile up in the
 * old generation between major GCs, and the heap of a busy server would look
 * as if it grew. A cohort is referenced only by
 * its members' books; when the last member is collected the cohort is too,
 * and its `tallies` (the FinalizationRegistry's held value: rows and counts,
 * never a listener or an emitter) say what its members still had attached.
 * A member that outlives the rest delays its cohort-mates' credit until it is
 * collected; `live` then includes at most COHORT_MEMBERS − 1 collected
 * emitters' listeners per such member (a bounded offset, never growth).
 */
class Cohort {
  constructor() {
    this.members = 0;
    this.tallies = []; // { row, n: listeners still attached, e: members with n > 0 for row }
  }

  entry(row) {
    const tallies = this.tallies;
    for (let i = 0; i < tallies.length; i++) if (tallies[i].row === row) return tallies[i];
    const fresh = { row, n: 0, e: 0 };
    tallies.push(fresh);
    return fresh;
  }
}

const COHORT_MEMBERS = 64;
const COHORT_MS = 1000;

/**
 * Where an emitter's book lives: a private field stamped onto the emitter
 * (a base constructor that returns the emitter lets a subclass add its private
 * field to it). Unlike a WeakMap entry, it costs the GC nothing: a WeakMap
 * value that reaches its key (book → listener closure → emitter, the usual
 * shape) kept young emitters alive through scavenges. Unlike a symbol
 * property, it is invisible: no reflection, `util.inspect`, deep equality or
 * proxy trap sees it.
 */
class Stamp {
  constructor(target) {
    return target;
  }
}

class BookSlot extends Stamp {
  #book;

  constructor(target, book) {
    super(target);
    this.#book = book;
  }

  static get(target) {
    return #book in target ? target.#book : undefined;
  }

  /**
   * Stamps `book` onto `target` (`stamped`: it already has the field, from an
   * earlier ledger). False when the emitter cannot take the field (the caller
   * falls back to a WeakMap).
   */
  static set(target, book, stamped) {
    try {
      if (stamped) target.#book = book;
      else new BookSlot(target, book);
      return true;
    } catch {
      return false;
    }
  }
}

function frameSite(frame) {
  return {
    file: frame.file,
    line: frame.line,
    column: frame.column,
    functionName: frame.functionName,
    nodeModules: frame.nodeModules,
  };
}

function functionName(fn) {
  try {
    return typeof fn === 'function' ? fn.name : undefined;
  } catch {
    return undefined;
  }
}

/** Drops the (null, null) pairs of a book's list [dead, key, row, …], keeping the order of the rest. */
function compact(list) {
  let to = 1;
  for (let from = 1; from < list.length; from += 2) {
    if (list[from] === null) continue;
    list[to] = list[from];
    list[to + 1] = list[from + 1];
    to += 2;
  }
  list.length = to;
  list[0] = 0;
}

class ListenerLedger {
  /**
   * @param {{ sampleEvery: number, capturesPerSecond: number, internal: boolean }} options
   *   sampleEvery: re-check a cached key with a real stack every N adds;
   *   capturesPerSecond: budget of real stacks beyond each key's first;
   *   internal: also count adds made with no user frame on the stack.
   */
  constructor({ mode = 'exact', every = 1, exactPerTick = 0, maxRows = MAX_ROWS, sampleEvery, capturesPerSecond, internal }) {
    // Books: 'exact' books every add; 'sampled' books one add in `every`,
    // each picked at random (`countdown`: adds until the next booked one,
    // decremented by the wrappers), and counts it `every` times. A site whose
    // estimate keeps rising is escalated: every add there is booked from then
    // on (`escalated`: how many such sites; while there are any, the adds the
    // draw skipped are resolved to their site to find theirs).
    this.mode = mode;
    this.sampled = mode === 'sampled' && every > 1;
    this.every = this.sampled ? every : 1;
    this.logMiss = Math.log(1 - 1 / this.every);
    // The first `exactPerTick` adds of each tick (a second) are all booked,
    // at weight 1: a process that adds few listeners is counted exactly, and
    // each add's weight stays 1 / the probability it was booked with.
    this.exactPerTick = exactPerTick;
    this.budget = this.sampled ? exactPerTick : 0;
    this.countdown = this.sampled ? 1 : -Infinity;
    this.escalated = 0;
    this.certain = false;
    this.entries = 0; // listeners booked (each one book entry)
    this.maxRows = maxRows;
    this.other = undefined; // the "other sites" row, made when the first row is folded
    this.sampleEvery = sampleEvery;
    this.capturesPerSecond = capturesPerSecond;
    this.internal = internal;
    this.tokens = capturesPerSecond;
    this.refilledAt = Date.now();
    this.closed = false;
    this.table = statsTable();
    this.rows = new Map(); // "file:line:column" → Map(event → ListenerSiteRow)
    this.rowList = [];
    this.byFn = new WeakMap(); // listener function → KeyState, or Map(event → KeyState) when used for several events
    this.byName = new Map(); // event → Map(function name → KeyState)
    this.namesEvent = undefined; // the event of the last byName lookup, and its map
    this.names = undefined;
    this.byClass = new Map(); // event → [emitter class, KeyState, …], for functions not known by identity
    // The last few events looked up in byClass, [event, pairs, …]: a request
    // adds fresh functions for a handful of events, and a strict-equality
    // scan of a few (mostly internalized) strings costs less than Map#get.
    this.recentClassEvents = [];
    this.classStates = []; // every KeyState of byClass
    this.ticks = 0; // rotations so far
    this.books = new WeakMap(); // emitter → Book, only where the private field was refused
    this.weakBooks = false; // whether `books` holds anything (spares a lookup per removal)
    // Sampled mode: function → how many booked listeners added as or keyed
    // by it may still be attached (booked minus credited by a removal, and
    // deleted at 0; one collected with its emitter, a once wrapper's own
    // count and an EventTarget listener's are never subtracted, so a count
    // only errs high). A removal whose function is not here has nothing to
    // credit: the wrappers check this before the emitter's book, one lookup
    // keyed by the function instead of a private field check on an emitter
    // (megamorphic: emitters come in many shapes). A shared function (Node's
    // own per-socket listeners) leaves it once its booked listener left.
    // Null in exact mode, where most removals find a book.
    this.marks = this.sampled ? new WeakMap() : null;
    this.onceTargets = new Set(); // WeakRef(EventTarget) with once or weak listeners not seen removed
    this.captures = 0;
    this.registry = new FinalizationRegistry((tallies) => this.collected(tallies));
    this.open = []; // rows whose `cohort` is still taking members
    this.booksMade = 0;
    this.cohortsMade = 0;
    this.cohortsCollected = 0;
    this.rotation = setInterval(() => this.tick(), COHORT_MS);
    this.rotation.unref();
  }

  /** Once a second: closes the open cohorts; now and then, has every class key checked at its next hit. */
  tick() {
    this.rotate();
    if (this.sampled) {
      this.escalate();
      if (this.exactPerTick > 0) {
        this.budget = this.exactPerTick;
        if (this.countdown > 1) this.countdown = 1;
      }
    }
    if (++this.ticks % CLASS_RECHECK_TICKS === 0) {
      const states = this.classStates;
      for (let i = 0; i < states.length; i++) if (states[i].untilCheck > 0) states[i].untilCheck = 0;
    }
  }

  /**
   * Once a tick, for a sampled ledger: a site whose estimated live count did
   * not fall over the last ESCALATE_TICKS readings and rose by
   * ESCALATE_BOOKED booked adds or more is escalated (every add there booked
   * at weight 1 from now on, `exactSince` set); an escalated site whose
   * count has not risen over CALM_TICKS readings goes back to sampling. Its
   * entries keep the weight they were booked at, so removals stay right.
   */
  escalate() {
    const rows = this.rowList;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (row === this.other) continue;
      const live = row.cells[ADDS] - row.cells[REMOVES];
      let h = row.history;
      if (h === undefined) h = row.history = [];
      if (!row.exact) {
        // Only the readings since the last fall matter: a fall ends any run.
        if (h.length > 0 && live < h[h.length - 1]) h.length = 0;
        h.push(live);
        if (h.length > ESCALATE_KEEP) h.shift();
        if (h.length < ESCALATE_TICKS || live - h[0] < ESCALATE_BOOKED * this.every) continue;
        // About one listener per emitter (a listener per request or socket,
        // credited when its emitter is collected): its count rises between
        // major GCs and follows whatever keeps the emitters alive, which the
        // heap verdict judges; the sampler's ranking sets such rows aside too.
        const emitters = row.cells[EMITTERS];
        if (emitters > 1 && live <= SPREAD_PER_EMITTER * emitters) continue;
        row.exact = true;
        row.exactSince = Date.now();
        row.history = [];
        this.escalated++;
      } else {
        h.push(live);
        if (h.length > CALM_TICKS) h.shift();
        if (h.length < CALM_TICKS) continue;
        let top = h[0];
        for (let j = 1; j < h.length; j++) if (h[j] > top) top = h[j];
        if (top > h[0]) continue;
        row.exact = false;
        row.exactSince = undefined;
        row.history = [];
        this.escalated--;
      }
    }
  }

  /** Closes every open cohort, so that the ledger references none of them. */
  rotate() {
    const open = this.open;
    for (let i = 0; i < open.length; i++) open[i].cohort = undefined;
    open.length = 0;
  }

  /** The cohort a new book whose first listener is charged to `row` joins. */
  cohortFor(row) {
    let cohort = row.cohort;
    if (cohort === undefined || cohort.members >= COHORT_MEMBERS) {
      cohort = new Cohort();
      this.registry.register(cohort, cohort.tallies);
      this.cohortsMade++;
      if (row.cohort === undefined) this.open.push(row);
      row.cohort = cohort;
    }
    cohort.members++;
    return cohort;
  }

  /** Sizes of the ledger's own bookkeeping (tests, benches, the allocation estimate): books made, listeners counted, cohorts made and not yet collected, real stacks taken. */
  bookkeeping() {
    // Every listener counted was charged to exactly one counted row: their
    // adds sum to it (an estimate in sampled mode; `booked`: book entries made).
    let charged = 0;
    for (const row of this.rowList) charged += row.cells[ADDS];
    return {
      books: this.booksMade,
      charged,
      booked: this.entries,
      cohorts: this.cohortsMade,
      cohortsAlive: this.cohortsMade - this.cohortsCollected,
      openCohorts: this.open.length,
      captures: this.captures,
    };
  }

  /** The emitter's book in this ledger, or undefined. */
  bookOf(emitter) {
    const book = BookSlot.get(emitter);
    if (book !== undefined && book.ledger === this) return book;
    return this.weakBooks ? this.books.get(emitter) : undefined;
  }

  /** The emitter's book, made on its first tracked listener. */
  book(emitter) {
    const stamped = BookSlot.get(emitter);
    if (stamped !== undefined && stamped.ledger === this) return stamped;
    return this.newBook(emitter, stamped !== undefined);
  }

  /** A book for an emitter without one in this ledger (`stamped`: it carries an earlier ledger's). */
  newBook(emitter, stamped) {
    if (this.weakBooks) {
      const held = this.books.get(emitter);
      if (held !== undefined) return held;
    }
    const book = new Book(this);
    this.booksMade++;
    if (!BookSlot.set(emitter, book, stamped)) {
      this.books.set(emitter, book);
      this.weakBooks = true;
    }
    return book;
  }

  /**
   * The row an add of `key` (the user's function) for `event` on `emitter`
   * is charged to. `found`: what byFn holds for `key` (a KeyState, a Map by
   * event, or undefined).
   */
  resolve(event, key, below, found, emitter) {
    let state = found === undefined || found.event === event ? found : found instanceof Map ? found.get(event) : undefined;
    // A function never seen (a fresh closure or bound function, one per
    // request): by the emitter's class and the event, which costs no more
    // than a function's identity; else, when several lines add fresh
    // functions to that class and event, by the event and the function's name.
    let cls = null;
    if (state === undefined) {
      cls = classOf(emitter);
      const byClass = cls === null ? undefined : this.classState(cls, event);
      if (byClass !== undefined && !byClass.ambiguous) state = byClass;
      else {
        let names;
        if (this.namesEvent === event) names = this.names;
        else {
          names = this.byName.get(event);
          if (names !== undefined) {
            this.namesEvent = event;
            this.names = names;
          }
        }
        if (names !== undefined) state = names.get(functionName(key));
      }
    }
    if (state === undefined) return this.capture(event, key, below, undefined, cls);
    if (state.ambiguous) {
      // Several sites share this key: a real stack while the budget lasts,
      // else the site of the latest one (attribution in proportion to the
      // sampled mix, never all to whichever site came first).
      return this.spend() ? this.capture(event, key, below, state, cls) : state.last;
    }
    if (state.untilCheck-- <= 0) {
      if (this.spend()) return this.capture(event, key, below, state, cls);
      state.untilCheck = this.interval(state);
    }
    return state.row;
  }

  /** The class key's state for (emitter class, event), or undefined. */
  classState(cls, event) {
    const pairs = this.classPairs(event);
    if (pairs === undefined) return undefined;
    for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === cls) return pairs[i + 1];
    return undefined;
  }

  /** byClass's [class, KeyState, …] for `event`, through recentClassEvents; undefined when none. */
  classPairs(event) {
    const recent = this.recentClassEvents;
    for (let i = 0; i < recent.length; i += 2) if (recent[i] === event) return recent[i + 1];
    const pairs = this.byClass.get(event);
    if (pairs !== undefined) {
      if (recent.length >= 2 * RECENT_CLASS_EVENTS) recent.splice(recent.length - 2, 2);
      recent.unshift(event, pairs);
    }
    return pairs;
  }

  /**
   * Adds until a key's next check: uniform in [0, 2·sampleEvery·2^agreed),
   * so the checks do not lock onto a period of the calling code (two sites
   * taking turns would otherwise always be sampled on the same one), and a
   * key that keeps agreeing with its site backs off.
   */
  interval(state) {
    if (this.sampleEvery === 1) return 0;
    if (state !== undefined && state.early > 0) {
      state.early--;
      return 0;
    }
    const backoff = state === undefined ? 1 : 2 ** Math.min(state.agreed, MAX_BACKOFF);
    return Math.floor(Math.random() * 2 * this.sampleEvery * backoff);
  }

  /** Takes one real stack from this second's budget; false when spent. */
  spend() {
    if (this.tokens > 0) {
      this.tokens--;
      return true;
    }
    const now = Date.now();
    if (now - this.refilledAt < 1000) return false;
    this.refilledAt = now;
    this.tokens = this.capturesPerSecond - 1;
    return this.capturesPerSecond > 0;
  }

  fnState(key, event) {
    const state = this.byFn.get(key);
    if (state === undefined || state.event === event) return state;
    return state instanceof Map ? state.get(event) : undefined;
  }

  /**
   * Slow path: a real stack. Keeps the caches and marks disagreeing keys.
   * `cls`: the emitter's class when `key` was not known by identity (only
   * such adds teach the class key), else null.
   */
  capture(event, key, below, state, cls) {
    this.captures++;
    const row = this.rowAt(event, below);
    if (state !== undefined) {
      if (state.row.folded) state.row = row;
      if (state.row !== row) state.ambiguous = true;
      else if (!state.ambiguous) state.agreed++;
      state.last = row;
      state.untilCheck = this.interval(state);
    }
    const byFn = this.fnState(key, event);
    if (byFn === undefined) {
      const fresh = new KeyState(row);
      fresh.untilCheck = this.interval(fresh);
      const other = this.byFn.get(key);
      if (other === undefined) this.byFn.set(key, fresh);
      else if (other instanceof Map) other.set(event, fresh);
      else this.byFn.set(key, new Map([[other.event, other], [event, fresh]]));
    } else if (byFn !== state) {
      if (byFn.row.folded) byFn.row = row;
      if (byFn.row !== row) byFn.ambiguous = true;
      byFn.last = row;
    }
    let names = this.byName.get(event);
    if (names === undefined) {
      names = new Map();
      this.byName.set(event, names);
    }
    const name = functionName(key);
    const named = names.get(name);
    if (named === undefined) {
      const fresh = new KeyState(row);
      fresh.untilCheck = this.interval(fresh);
      names.set(name, fresh);
    } else if (named !== state) {
      if (named.row.folded) named.row = row;
      if (named.row !== row) named.ambiguous = true;
      named.last = row;
    }
    if (cls !== null) this.learnClass(cls, event, row, state);
    return row;
  }

  /** What a stack taken for a fresh function added to a `cls` emitter says of the class key. */
  learnClass(cls, event, row, state) {
    let pairs = this.byClass.get(event);
    if (pairs === undefined) {
      pairs = [];
      this.byClass.set(event, pairs);
    }
    const known = this.classState(cls, event);
    if (known === undefined) {
      // Classes are held strongly, a few per event: a class made per call
      // (a class expression in a factory) must not grow this for ever.
      if (pairs.length >= 2 * CLASSES_PER_EVENT) return;
      const fresh = new KeyState(row);
      fresh.early = CLASS_FIRST_CHECKS;
      fresh.untilCheck = this.interval(fresh);
      pairs.push(cls, fresh);
      this.classStates.push(fresh);
    } else if (known !== state) {
      if (known.row.folded) known.row = row;
      if (known.row !== row) known.ambiguous = true;
      known.last = row;
    }
  }


  /** The row of the nearest user frame above `below` for `event`. */
  rowAt(event, below) {
    const frames = stackFrames(below, STACK_LIMIT).filter((f) => !f.own);
    const user = frames.filter((f) => !f.internal);
    // Your line first; then the dependency's; with no user frame at all (Node
    // adding on its own sockets), Node's own line.
    const chosen = user.find((f) => !f.nodeModules) ?? user[0] ?? frames.find((f) => !FORWARDER.test(f.functionName ?? '')) ?? frames[0];
    const siteKey = chosen === undefined ? '<unknown>' : `${chosen.file}:${chosen.line}:${chosen.column}`;
    let byEvent = this.rows.get(siteKey);
    if (byEvent === undefined) {
      byEvent = new Map();
      this.rows.set(siteKey, byEvent);
    }
    let row = byEvent.get(event);
    if (row === undefined) {
      const site = chosen === undefined ? null : frameSite(chosen);
      const stack = (user.length > 0 ? user : frames).map(frameSite);
      const internal = user.length === 0;
      if (internal && !this.internal) {
        // Known so the cheap keys can skip it; never counted, never reported.
        row = new ListenerSiteRow(site, stack, event, -1, new Float64Array(8));
      } else {
        while (this.rowList.length >= this.maxRows && this.fold());
        const { id, cells } = this.table.acquire({ kind: 'listener', site, stack, detail: String(event) });
        row = new ListenerSiteRow(site, stack, event, id, cells);
        row.exact = !this.sampled;
        row.at = this.ticks;
        this.rowList.push(row);
      }
      row.internal = internal;
      byEvent.set(event, row);
    }
    return row;
  }

  /**
   * Makes room for one row: the least recently active counted row is folded
   * into the "other sites" row (made on the first fold, in `rowList` but
   * never folded itself). Its counts move there and its cells become that
   * row's, so what books and cohorts still hold of it credits the other row;
   * its stats row is released and its site forgotten (a later add there
   * makes a fresh row). False when there is no row to fold.
   */
  fold() {
    let other = this.other;
    if (other === undefined) {
      const { id, cells } = this.table.acquire({ kind: 'listener', site: null, stack: [], detail: OTHER_EVENT });
      other = this.other = new ListenerSiteRow(null, [], OTHER_EVENT, id, cells);
      other.exact = !this.sampled;
      other.folds = 0;
      this.rowList.push(other);
    }
    let oldest;
    let at = -1;
    for (let i = 0; i < this.rowList.length; i++) {
      const row = this.rowList[i];
      if (row !== other && (oldest === undefined || row.at < at)) {
        oldest = row;
        at = row.at;
      }
    }
    if (oldest === undefined) return false;
    const from = oldest.cells;
    const to = other.cells;
    to[ADDS] += from[ADDS];
    to[REMOVES] += from[REMOVES];
    to[EMITTERS] += from[EMITTERS];
    oldest.cells = to;
    if (oldest.scaled !== undefined) oldest.scaled.cells = to;
    oldest.folded = true;
    if (oldest.exact && this.sampled) this.escalated--;
    oldest.exact = other.exact; // its adds now book as the other row's would
    oldest.exactSince = undefined;
    other.folds++;
    this.table.release(oldest.id);
    this.rowList.splice(this.rowList.indexOf(oldest), 1);
    const key = oldest.site === null ? '<unknown>' : `${oldest.site.file}:${oldest.site.line}:${oldest.site.column}`;
    const byEvent = this.rows.get(key);
    if (byEvent !== undefined && byEvent.get(oldest.event) === oldest) {
      byEvent.delete(oldest.event);
      if (byEvent.size === 0) this.rows.delete(key);
    }
    return true;
  }

  /**
   * One more listener of `t` (a row, or a sampled row's Scaled: `t.w` adds
   * each) on the book's emitter. A book keeps its rows (and its cohort) once
   * charged, even at zero listeners: the next add of the same row then costs
   * two increments. Counts in the book and the cohort are in cell units.
   */
  charge(book, t) {
    const w = t.w;
    t.cells[ADDS] += w;
    t.row.at = this.ticks;
    this.entries++;
    if (book.row0 === t) {
      if (book.n0++ === 0) {
        t.cells[EMITTERS] += w;
        book.c0.e += w;
      }
      book.c0.n += w;
      return;
    }
    this.chargeOther(book, t);
  }

  chargeOther(book, t) {
    const w = t.w;
    if (book.row0 === undefined) {
      // The first tracked listener of this emitter: it joins a cohort.
      book.cohort = this.cohortFor(t);
      const c = book.cohort.entry(t);
      c.n += w;
      c.e += w;
      t.cells[EMITTERS] += w;
      book.row0 = t;
      book.n0 = 1;
      book.c0 = c;
      return;
    }
    let more = book.more;
    if (more === undefined) more = book.more = [];
    for (let i = 0; i < more.length; i++) {
      const m = more[i];
      if (m.row === t) {
        if (m.n++ === 0) {
          t.cells[EMITTERS] += w;
          m.c.e += w;
        }
        m.c.n += w;
        return;
      }
    }
    const c = book.cohort.entry(t);
    c.n += w;
    c.e += w;
    t.cells[EMITTERS] += w;
    more.push({ row: t, n: 1, c });
  }

  /** One listener of `t` (what it was charged through) left the book's emitter. */
  credit(book, t) {
    const w = t.w;
    t.cells[REMOVES] += w;
    if (book.row0 === t) {
      book.c0.n -= w;
      if (--book.n0 === 0) {
        t.cells[EMITTERS] -= w;
        book.c0.e -= w;
      }
      return;
    }
    const more = book.more;
    if (more === undefined) return;
    for (let i = 0; i < more.length; i++) {
      const m = more[i];
      if (m.row === t) {
        m.c.n -= w;
        if (--m.n === 0) {
          t.cells[EMITTERS] -= w;
          m.c.e -= w;
        }
        return;
      }
    }
  }

  /**
   * What an add resolved to `row` is booked through: the row itself when
   * every add there is booked (exact mode, an escalated site), else, for an
   * add the draw picked, the row's Scaled (weight N), or the row when the
   * draw was certain (the tick's budget); undefined when the add is not
   * booked at all.
   */
  target(row, booked) {
    if (row.exact) return row;
    if (!booked) return undefined;
    if (this.certain) return row;
    let scaled = row.scaled;
    if (scaled === undefined) scaled = row.scaled = new Scaled(row, this.every);
    return scaled;
  }

  /**
   * After a booked add in sampled mode: `certain` says whether it was booked
   * for sure (weight 1, from the tick's budget) or drawn (weight N), and
   * `countdown` is set to the adds until the next booked one.
   */
  draw() {
    if (this.budget > 0) {
      this.certain = true;
      this.countdown = --this.budget > 0 ? 1 : this.gap();
    } else {
      this.certain = false;
      this.countdown = this.gap();
    }
  }

  /** Adds until the next booked one: geometric with mean N, so that each add is picked with probability 1/N whatever the call pattern. */
  gap() {
    return Math.floor(Math.log(1 - Math.random()) / this.logMiss) + 1;
  }

  // ---- EventEmitter -------------------------------------------------------

  /**
   * An EventEmitter listener was added (Node accepted it). `booked`: the
   * draw picked this add (always, in exact mode); an add it did not pick
   * reaches here only while some site is escalated, to be booked if it is
   * one of them.
   */
  added(emitter, event, key, below, booked, listener) {
    if (booked && this.sampled) this.draw();
    // The common case inline: a function seen before, for this event, not due for a check.
    const state = this.byFn.get(key);
    let row;
    if (state !== undefined && state.event === event && state.untilCheck > 0 && !state.ambiguous) {
      state.untilCheck--;
      row = state.row;
    } else {
      row = this.resolve(event, key, below, state, emitter);
    }
    if (row.ignored) return;
    const t = this.target(row, booked);
    if (t === undefined) return;
    let book = BookSlot.get(emitter);
    if (book === undefined || book.ledger !== this) book = this.newBook(emitter, book !== undefined);
    this.charge(book, t);
    book.append(event, key, t);
    if (this.marks !== null) {
      this.mark(key);
      if (listener !== key) this.mark(listener);
    }
  }

  /** One listener `key` for `event` left the emitter of `book` (Node removed one). */
  removed(book, event, key) {
    const list = book.listOf(event);
    if (list === undefined) return;
    const last = list.length - 2;
    for (let i = last; i >= 1; i -= 2) {
      if (list[i] !== key) continue;
      const row = list[i + 1];
      if (i === last) {
        // The usual case for an emitter of its own (last in, first out):
        // pop, as setting .length is a runtime call; dead pairs now last go too.
        list.pop();
        list.pop();
        while (list.length > 1 && list[list.length - 2] === null) {
          list.pop();
          list.pop();
          list[0]--;
        }
      } else {
        list[i] = null;
        list[i + 1] = null;
        if (++list[0] * 4 > list.length) compact(list);
      }
      this.credit(book, row);
      if (this.marks !== null) this.unmark(key);
      return;
    }
    // Not found: added before tracking began.
  }

  /** One more booked listener added as or keyed by `fn` (see `marks`). */
  mark(fn) {
    const marks = this.marks;
    marks.set(fn, (marks.get(fn) ?? 0) + 1);
  }

  /** One booked listener keyed by `key` was credited (see `marks`). */
  unmark(key) {
    const n = this.marks.get(key);
    if (n > 1) this.marks.set(key, n - 1);
    else this.marks.delete(key);
  }

  /** removeAllListeners(event) / removeAllListeners() has run: credit what is left. */
  removedAll(book, all, event) {
    book.forEachList((name, list) => {
      if (!all && name !== event) return;
      for (let i = 2; i < list.length; i += 2) {
        if (list[i] === null) continue;
        this.credit(book, list[i]);
        if (this.marks !== null) this.unmark(list[i - 1]);
      }
      list.length = 1;
      list[0] = 0;
    });
  }

  // ---- EventTarget --------------------------------------------------------

  /**
   * An EventTarget listener was added (the target's count grew). `unseen`: it
   * may leave without a removeEventListener call (`{ once: true }`, or held
   * weakly by Node: util.aborted, stream operators with a signal); the entry
   * then holds it through a WeakRef, so the ledger is never what keeps it.
   */
  targetAdded(target, event, listener, capture, unseen, below, booked) {
    if (booked && this.sampled) this.draw();
    const row = this.resolve(event, listener, below, this.byFn.get(listener), target);
    if (row.ignored) return;
    const t = this.target(row, booked);
    if (t === undefined) return;
    const book = this.book(target);
    this.charge(book, t);
    if (book.targets === undefined) book.targets = [];
    book.targets.push(new TargetEntry(event, listener, capture, unseen, t));
    if (this.marks !== null) this.mark(listener);
    if (unseen) {
      if (book.pendingOnce++ === 0) this.onceTargets.add(new WeakRef(target));
    }
  }

  /** One EventTarget listener matching (event, listener, capture) left. */
  targetRemoved(book, event, listener, capture) {
    const entries = book.targets;
    if (entries === undefined) return;
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i];
      if (e.event === event && e.capture === capture && e.listener() === listener) {
        for (let j = i; j < entries.length - 1; j++) entries[j] = entries[j + 1];
        entries.pop();
        if (e.unseen) book.pendingOnce--;
        this.credit(book, e.row);
        return;
      }
    }
  }

  /**
   * `{ once: true }` and weakly held listeners leave an EventTarget inside
   * Node without a call we can see. After a dispatch (and before a report)
   * the ones no longer attached, or collected, are credited.
   * `present(event)` lists what is attached.
   */
  settleOnce(book, event, present) {
    if (book.pendingOnce === 0 || book.targets === undefined) return;
    let attached;
    const entries = book.targets;
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i];
      if (!e.unseen || (event !== undefined && e.event !== event)) continue;
      const listener = e.listener();
      if (listener !== undefined) {
        if (attached === undefined || attached.event !== e.event) attached = { event: e.event, set: new Set(present(e.event)) };
        if (attached.set.has(listener)) continue;
      }
      entries.splice(i, 1);
      book.pendingOnce--;
      this.credit(book, e.row);
    }
  }

  /** Settles every live EventTarget with pending once listeners (report time). */
  settleAllOnce(presentOf) {
    for (const ref of this.onceTargets) {
      const target = ref.deref();
      const book = target === undefined ? undefined : this.bookOf(target);
      if (book !== undefined) this.settleOnce(book, undefined, (event) => presentOf(target, event));
      if (book === undefined || book.pendingOnce === 0) this.onceTargets.delete(ref);
    }
  }

  // ---- lifetime -----------------------------------------------------------

  /** A cohort was garbage-collected: every listener its emitters still had is gone. */
  collected(tallies) {
    this.cohortsCollected++;
    if (this.closed) return;
    for (let i = 0; i < tallies.length; i++) {
      const { row, n, e } = tallies[i];
      row.cells[REMOVES] += n;
      row.cells[EMITTERS] -= e;
    }
    tallies.length = 0;
  }

  /** Sites, most live listeners first. */
  sites() {
    this.rotate(); // lets the open cohorts be collected with their last member
    const out = [];
    for (const row of this.rowList) {
      const cells = row.cells;
      const live = cells[ADDS] - cells[REMOVES];
      const item = {
        site: row.site,
        event: row.event,
        live,
        adds: cells[ADDS],
        removes: cells[REMOVES],
        emitters: cells[EMITTERS],
        stack: row.stack,
        mode: row.exact ? 'exact' : 'sampled',
      };
      if (row.exactSince !== undefined) item.exactSince = row.exactSince;
      if (row === this.other) item.folded = row.folds;
      if (row.lastLive !== undefined) item.growth = live - row.lastLive;
      row.lastLive = live;
      out.push(item);
    }
    out.sort((a, b) => b.live - a.live);
    return out;
  }

  /** Stops counting and gives every row back to the table. */
  close() {
    this.closed = true;
    clearInterval(this.rotation);
    this.rotate();
    for (const row of this.rowList) this.table.release(row.id);
    this.rowList = [];
    this.other = undefined;
    this.escalated = 0;
    this.rows.clear();
    this.byName.clear();
    this.byClass.clear();
    this.recentClassEvents = [];
    this.classStates = [];
    this.onceTargets.clear();
  }
}

// BookSlot: lib/listeners/index.js hands it to unsafeExposeInternals('listeners')
// for bench/wrap-floor.js, which measures its lookup alone.
module.exports = { ListenerLedger, ListenerSiteRow, BookSlot };
