'use strict';
// trackListeners() / untrackListeners() / listeners(): the public face of the
// listener ledger (lib/listeners/ledger.js holds the books).
//
// How and why
// -----------
// A listener leak is a line that adds listeners faster than anything removes
// them, usually one per request on a long-lived emitter. Node offers no hook
// for adds and removals, so the ledger sees them by wrapping the prototype
// methods every emitter and target inherits; and it must stay invisible: the
// same results, errors, events and object identities as without it.
//
// It owns the wrappers installed on EventEmitter.prototype (on/addListener,
// prependListener, off/removeListener, removeAllListeners) and on
// EventTarget.prototype (addEventListener, removeEventListener, dispatchEvent).
// Each wrapper calls Node's own function first and with the same arguments,
// returns its result untouched and lets its errors through, so listener order,
// return values, newListener/removeListener events, once wrappers,
// getEventListeners and AbortSignal behave exactly as without leakguard; only
// after Node accepted the change does the ledger record it. A ledger failure is
// reported once as a warning and never reaches the caller.
//
// `once` and `prependOnceListener` are not replaced: Node implements them as
// `this.on(type, wrapper)` / `this.prependListener(type, wrapper)`, so they
// reach the wrappers above, and the ledger keys a once wrapper by the user's
// function (`wrapper.listener`), exactly as Node's removeListener matches it.
// untrackListeners() puts back the very function objects it found, each only
// while it is still leakguard's wrapper: one wrapped again after leakguard (a
// shimmer-style wrapper of an APM agent) is left in the chain, where
// leakguard's wrapper only calls Node's function while the ledger is off, and a
// LEAKGUARD_WRAPPED_AFTER warning says so once. A later trackListeners()
// counts through the wrapper left in the chain rather than wrapping again.

const EventEmitter = require('node:events');
const { getEventListeners } = EventEmitter;
const { ListenerLedger, BookSlot } = require('./ledger');
const { expose } = require('../internal/unsafe-internals');
const { checkOptions, validateInteger, validateBoolean, validateOneOf } = require('../internal/options');
const { WARNINGS, warn, warnOnce } = require('../internal/errors');

const EEProto = EventEmitter.prototype;
const ETProto = EventTarget.prototype;

const DEFAULT_SAMPLE_EVERY = 512;
// Sampled mode books one add in BOOK_EVERY (see docs/listeners.md, Cost, for
// how it was chosen).
const BOOK_EVERY = 16;
// ... after the first EXACT_PER_SECOND adds of each second, which it books
// all (a process adding fewer is counted exactly).
const EXACT_PER_SECOND = 1000;
const MODES = Object.freeze(['sampled', 'exact']);
const DEFAULT_CAPTURES_PER_SECOND = 50;

let ledger = null;
let originals = null;
let stranded = null; // name → Node's function, for wrappers left inside another library's chain by untrackListeners()
const EE_NAMES = ['on', 'addListener', 'prependListener', 'off', 'removeListener', 'removeAllListeners'];
const ET_NAMES = ['addEventListener', 'removeEventListener', 'dispatchEvent'];
const wrappers = new WeakMap(); // original prototype method → { make, fn: its wrapper }
let failed = false;

function fail(err) {
  if (failed) return;
  failed = true;
  warn(WARNINGS.LISTENER_LEDGER, `leakguard: the listener ledger failed and stopped counting: ${err && err.stack ? err.stack : err}`);
  const broken = ledger;
  ledger = null;
  if (broken !== null) broken.closed = true;
}

/** The emitter's book, or undefined; a failure (a hostile proxy) stops the ledger, never the caller. */
function bookFor(active, emitter) {
  if (active === null) return undefined;
  try {
    return active.bookOf(emitter);
  } catch (err) {
    fail(err);
    return undefined;
  }
}

/**
 * The function Node matches a removal against: a once wrapper's `.listener`,
 * else the listener itself; undefined when reading `.listener` throws (a
 * proxy whose getter throws): that one add or removal goes uncounted, and
 * the ledger goes on with every other.
 */
function keyOf(listener) {
  try {
    const inner = listener.listener;
    return typeof inner === 'function' ? inner : listener;
  } catch {
    return undefined;
  }
}

// ---- EventEmitter wrappers ------------------------------------------------

function makeAdd(original) {
  function add(type, listener) {
    const result = original.call(this, type, listener);
    const active = ledger;
    if (active !== null) {
      // Sampled mode: the adds the draw skips stop here (one decrement and a
      // compare) unless a site is escalated. Exact mode: countdown is -Infinity.
      const skipped = --active.countdown > 0;
      if (skipped && active.escalated === 0) return result;
      const key = keyOf(listener);
      if (key === undefined) return result;
      try {
        active.added(this, type, key, add, !skipped, listener);
      } catch (err) {
        fail(err);
      }
    }
    return result;
  }
  return add;
}

function makeRemove(original) {
  return function removeListener(type, listener) {
    const result = original.call(this, type, listener);
    const active = ledger;
    if (active !== null && typeof listener === 'function') {
      // Sampled mode: a function never booked has nothing to credit (see
      // ListenerLedger#marks), whatever emitter it left.
      if (active.marks !== null && !active.marks.has(listener)) return result;
      // Node removed one matching listener if the book had one: every tracked
      // listener is still attached (each way out of an emitter is wrapped or
      // credited), so the book answers without re-reading Node's arrays.
      try {
        const book = active.bookOf(this);
        if (book !== undefined) {
          const key = keyOf(listener);
          if (key !== undefined) active.removed(book, type, key);
        }
      } catch (err) {
        fail(err);
      }
    }
    return result;
  };
}

function makeRemoveAll(original) {
  return function removeAllListeners(type) {
    const active = ledger;
    const book = bookFor(active, this);
    const all = arguments.length === 0;
    const result = all ? original.call(this) : original.call(this, type);
    if (book !== undefined && ledger === active) {
      try {
        active.removedAll(book, all, type);
      } catch (err) {
        fail(err);
      }
    }
    return result;
  };
}

// ---- EventTarget wrappers ---------------------------------------------------

// Node keeps an EventTarget's listeners in `this[kEvents]`: a SafeMap (a Map
// whose prototype chain does not reach Map.prototype, so `instanceof Map` is
// false) of type → { size, … }. Map.prototype.get reads it directly; anything
// else falls back to getEventListeners (which costs a lazy require per call).
const kEvents = Object.getOwnPropertySymbols(new EventTarget()).find((s) => s.description === 'kEvents');
const mapGet = Map.prototype.get;
const mapForEach = Map.prototype.forEach;

function targetCount(target, type) {
  if (kEvents !== undefined) {
    const map = target[kEvents];
    if (map !== undefined && map !== null) {
      let root;
      try {
        root = mapGet.call(map, type);
      } catch {
        return getEventListeners(target, type).length;
      }
      return root === undefined ? 0 : root.size;
    }
  }
  return getEventListeners(target, type).length;
}

// What the caller passed is Node's to read: its options (getters, proxies)
// and a type that is an object (its toString) were read or converted once by
// Node, and a second reading here would be seen. So the wrappers take the event
// name as Node filed it (a string or primitive converts without running
// anything; otherwise the one type whose count changed) and a listener's
// once/capture/weak flags from the record Node made for it; they read the
// options themselves only on a Node whose records they cannot find.

/** The name Node files `type` under, when converting it runs no code of the caller's; else undefined. */
function plainName(type) {
  if (typeof type === 'string') return type;
  if (type === null || (typeof type !== 'object' && typeof type !== 'function' && typeof type !== 'symbol')) return String(type);
  return undefined;
}

/** Node's type → count of `target`, as a Map (the slow path of a type that is an object). */
function countsOf(target) {
  const counts = new Map();
  const map = target[kEvents];
  if (map !== undefined && map !== null) mapForEach.call(map, (root, type) => counts.set(type, root.size));
  return counts;
}

/** The type whose count went up (`grew`) or down since `before` (countsOf), or undefined. */
function changedType(target, before, grew) {
  for (const [type, size] of countsOf(target)) {
    const was = before.get(type) ?? 0;
    if (grew ? size > was : size < was) return type;
  }
  if (!grew) for (const type of before.keys()) if (mapGet.call(target[kEvents], type) === undefined) return type;
  return undefined;
}

/** Whether `r` is one of Node's listener records, as this code reads them. */
function isRecord(r) {
  return typeof r.same === 'function' && typeof r.once === 'boolean' && typeof r.capture === 'boolean' && typeof r.weak === 'boolean';
}

/** The first of Node's listener records for `type` on `target` (each links to the next), null if none, undefined if not found. */
function firstRecord(target, type) {
  if (kEvents === undefined) return undefined;
  const map = target[kEvents];
  if (map === undefined || map === null) return undefined;
  const root = mapGet.call(map, type);
  const first = root === undefined ? undefined : root.next;
  if (first === undefined || first === null) return null;
  return isRecord(first) ? first : undefined;
}

/**
 * { capture, unseen } of `listener`, just added to `target` under `type` with
 * `options`: Node appends it last; `unseen` when it can leave without a
 * removeEventListener call (once, or held weakly by Node).
 */
function addedFlags(target, type, listener, options) {
  if (options === undefined || options === null) return { capture: false, unseen: false };
  if (typeof options === 'boolean') return { capture: options, unseen: false };
  let last = firstRecord(target, type);
  if (last !== undefined && last !== null) {
    while (last.next !== undefined && last.next !== null) last = last.next;
    if (isRecord(last) && last.same(listener, last.capture)) return { capture: last.capture, unseen: last.once || last.weak };
  }
  try {
    return { capture: Boolean(options.capture), unseen: Boolean(options.once) || isWeak(options) };
  } catch {
    // Options whose getters throw on a second reading: held weakly (a WeakRef
    // too many costs an allocation; one too few would keep the listener).
    return { capture: false, unseen: true };
  }
}

/**
 * The capture flag of the listener Node just removed from `target` (`type`):
 * the one of the book's entries for it that Node no longer holds. Only when
 * the book has it both ways and Node's records cannot tell are the options
 * read (Node 20 reads only `options.capture === true`).
 */
function removedCapture(book, target, type, listener, options) {
  let tracked = 0; // bit 1: an entry with capture, bit 2: one without
  for (const e of book.targets) if (e.event === type && e.listener() === listener) tracked |= e.capture ? 1 : 2;
  if (tracked !== 3) return tracked === 1;
  const first = firstRecord(target, type);
  if (first !== undefined) {
    let withCapture = false;
    let without = false;
    for (let r = first; r !== undefined && r !== null && isRecord(r); r = r.next) {
      if (r.same(listener, true)) withCapture = true;
      else if (r.same(listener, false)) without = true;
    }
    if (withCapture !== without) return without;
  }
  try {
    return options !== null && options !== undefined && options.capture === true;
  } catch {
    return false;
  }
}

// Node holds a listener weakly when its options carry its private `kWeak`
// symbol (util.aborted, stream operators with a signal, code run with
// --expose-internals), and removes it without a call we see once it is
// collected: the ledger must then hold it weakly too, whatever the prototype
// of the options object. The symbol is read once, here, off the options Node
// passes to a signal's addEventListener when a listener is added with
// `{ signal }` (it holds that abort listener weakly), on a throwaway target
// and signal whose own addEventListener only records them. Synchronous and
// promise-free: the probe leaves nothing queued for async hooks to see. Should
// that find nothing (a Node that names or passes it otherwise), an options
// object counts as weak when it has a symbol described `kWeak` (then
// learnt), or is a null-prototype one with any symbol key: a WeakRef too many
// costs an allocation, one too few keeps the listener alive.
function findWeakSymbol() {
  try {
    let seen;
    const { signal } = new AbortController();
    Object.defineProperty(signal, 'addEventListener', {
      value(type, listener, options) {
        seen = options;
      },
    });
    ETProto.addEventListener.call(new EventTarget(), 'probe', () => {}, { signal });
    if (seen === null || typeof seen !== 'object') return undefined;
    return Object.getOwnPropertySymbols(seen).find((symbol) => symbol.description === 'kWeak');
  } catch {
    return undefined;
  }
}

let kWeak = findWeakSymbol();

function isWeak(options) {
  if (kWeak !== undefined) return Boolean(options[kWeak]);
  const symbols = Object.getOwnPropertySymbols(options);
  for (const symbol of symbols) {
    if (symbol.description === 'kWeak') {
      kWeak = symbol;
      return Boolean(options[symbol]);
    }
  }
  return symbols.length !== 0 && Object.getPrototypeOf(options) === null;
}

function makeAddEventListener(original) {
  function addEventListener(type, listener, options) {
    const active = ledger;
    if (active === null || listener === null || (typeof listener !== 'function' && typeof listener !== 'object')) {
      return original.apply(this, arguments);
    }
    const skipped = --active.countdown > 0;
    if (skipped && active.escalated === 0) return original.apply(this, arguments);
    let name = plainName(type);
    let before;
    try {
      before = name !== undefined ? targetCount(this, name) : kEvents !== undefined ? countsOf(this) : -1;
    } catch {
      before = -1;
    }
    const result = original.apply(this, arguments);
    if (before === -1 || ledger !== active) return result;
    try {
      const grew = name !== undefined ? targetCount(this, name) > before : (name = changedType(this, before, true)) !== undefined;
      if (grew) {
        const { capture, unseen } = addedFlags(this, name, listener, options);
        active.targetAdded(this, name, listener, capture, unseen, addEventListener, !skipped);
      }
    } catch (err) {
      fail(err);
    }
    return result;
  }
  return addEventListener;
}

function makeRemoveEventListener(original) {
  return function removeEventListener(type, listener, options) {
    const active = ledger;
    if (active !== null && active.marks !== null && !active.marks.has(listener)) return original.apply(this, arguments);
    const book = bookFor(active, this);
    if (book === undefined || book.targets === undefined) return original.apply(this, arguments);
    let name = plainName(type);
    if (name === undefined && kEvents === undefined) return original.apply(this, arguments);
    let before;
    try {
      before = name !== undefined ? targetCount(this, name) : countsOf(this);
    } catch {
      return original.apply(this, arguments);
    }
    const result = original.apply(this, arguments);
    try {
      const shrank = name !== undefined ? targetCount(this, name) < before : (name = changedType(this, before, false)) !== undefined;
      if (shrank) active.targetRemoved(book, name, listener, removedCapture(book, this, name, listener, options));
    } catch (err) {
      fail(err);
    }
    return result;
  };
}

function makeDispatchEvent(original) {
  return function dispatchEvent(event) {
    const result = original.apply(this, arguments);
    const active = ledger;
    // No EventTarget has once or weakly held listeners pending: nothing to settle.
    if (active === null || active.onceTargets.size === 0) return result;
    const book = bookFor(active, this);
    if (book !== undefined && book.pendingOnce > 0) {
      try {
        active.settleOnce(book, String(event.type), (type) => getEventListeners(this, type));
      } catch (err) {
        fail(err);
      }
    }
    return result;
  };
}

// ---- install / restore ------------------------------------------------------

function named(fn, original) {
  Object.defineProperty(fn, 'name', { value: original.name, configurable: true });
  Object.defineProperty(fn, 'length', { value: original.length, configurable: true });
  return fn;
}

/**
 * Starts the listener ledger: wraps the EventEmitter and EventTarget prototype
 * methods that add and remove listeners. Idempotent: a second call while
 * tracking changes nothing and returns false (its options are validated but
 * not applied, and a LEAKGUARD_ALREADY_STARTED warning says so).
 */
function trackListeners(options) {
  const opts = checkOptions('trackListeners', options);
  const sampleEvery =
    validateInteger('sampleEvery', opts.sampleEvery, { min: 1, max: 2 ** 31 - 1 }) ?? DEFAULT_SAMPLE_EVERY;
  const capturesPerSecond =
    validateInteger('capturesPerSecond', opts.capturesPerSecond, { min: 0, max: 1e9, allowInfinity: true }) ??
    DEFAULT_CAPTURES_PER_SECOND;
  const internal = validateBoolean('internal', opts.internal) ?? false;
  const mode = validateOneOf('mode', opts.mode, MODES) ?? 'sampled';
  if (originals !== null) {
    if (options !== undefined && Object.keys(options).length > 0) {
      warn(
        WARNINGS.ALREADY_STARTED,
        `leakguard: trackListeners() while already tracking: its options (${Object.keys(options).join(', ')}) were not applied; call untrackListeners() first to change them`,
      );
    }
    return false;
  }

  const saved = {
    on: EEProto.on,
    addListener: EEProto.addListener,
    prependListener: EEProto.prependListener,
    off: EEProto.off,
    removeListener: EEProto.removeListener,
    removeAllListeners: EEProto.removeAllListeners,
    addEventListener: ETProto.addEventListener,
    removeEventListener: ETProto.removeEventListener,
    dispatchEvent: ETProto.dispatchEvent,
  };
  // One wrapper per distinct original, so `on === addListener` and
  // `off === removeListener` still hold after wrapping; made once per process
  // and reused by later trackListeners() calls, so a re-installed wrapper
  // keeps its type feedback and optimised code instead of starting cold.
  const wrap = (original, make) => {
    let wrapper = wrappers.get(original);
    if (wrapper === undefined || wrapper.make !== make) {
      wrapper = { make, fn: named(make(original), original) };
      wrappers.set(original, wrapper);
    }
    return wrapper.fn;
  };

  // A wrapper left inside another library's chain by untrackListeners() counts
  // again from there (wrapping what is installed now would put leakguard in the
  // chain twice); its original is still Node's.
  const left = stranded ?? {};
  stranded = null;
  for (const name of Object.keys(left)) saved[name] = left[name];
  const install = (proto, name, make) => {
    const fn = wrap(saved[name], make);
    if (!Object.prototype.hasOwnProperty.call(left, name)) proto[name] = fn;
  };

  ledger = new ListenerLedger({
    mode,
    every: internals.every ?? BOOK_EVERY,
    exactPerTick: internals.exactPerTick ?? EXACT_PER_SECOND,
    maxRows: internals.maxRows,
    sampleEvery,
    capturesPerSecond,
    internal,
  });
  failed = false;
  originals = saved;
  install(EEProto, 'on', makeAdd);
  install(EEProto, 'addListener', makeAdd);
  install(EEProto, 'prependListener', makeAdd);
  install(EEProto, 'off', makeRemove);
  install(EEProto, 'removeListener', makeRemove);
  install(EEProto, 'removeAllListeners', makeRemoveAll);
  install(ETProto, 'addEventListener', makeAddEventListener);
  install(ETProto, 'removeEventListener', makeRemoveEventListener);
  install(ETProto, 'dispatchEvent', makeDispatchEvent);
  return true;
}

/**
 * Stops the ledger: puts back the exact functions trackListeners() found and
 * releases the ledger's stats rows. Idempotent; returns false when not tracking.
 */
function untrackListeners() {
  if (originals === null) return false;
  const saved = originals;
  const kept = {};
  // Only while it is still leakguard's own wrapper; else the chain stays intact.
  const restore = (proto, name) => {
    const ours = wrappers.get(saved[name]);
    if (ours !== undefined && proto[name] === ours.fn) proto[name] = saved[name];
    else kept[name] = saved[name];
  };
  for (const name of EE_NAMES) restore(EEProto, name);
  for (const name of ET_NAMES) restore(ETProto, name);
  if (Object.keys(kept).length > 0) {
    stranded = kept;
    warnOnce(
      WARNINGS.WRAPPED_AFTER,
      `untrackListeners() left ${Object.keys(kept).join(', ')} in place: another library wrapped leakguard's wrapper after it, and putting Node's back would remove that wrapper; leakguard's wrapper now only calls Node's`,
      'listeners',
    );
  }
  originals = null;
  const old = ledger;
  ledger = null;
  if (old !== null) old.close();
  return true;
}

/**
 * The ledger's sites, most live listeners first. Empty when not tracking.
 * @returns {Array<{site, event, live, adds, removes, emitters, growth?, stack}>}
 */
function listeners() {
  const active = ledger;
  if (active === null) return [];
  active.settleAllOnce((target, type) => getEventListeners(target, type));
  return active.sites();
}

/**
 * Sizes of the ledger's own bookkeeping (tests, and the sampler's allocation
 * estimate): emitters given a book, listeners counted,
 * cohorts registered with the FinalizationRegistry, cohorts not yet collected.
 * Null when not tracking. Not part of the public API.
 */
function ledgerBookkeeping() {
  return ledger === null ? null : ledger.bookkeeping();
}

let internals = {};

/**
 * Overrides, for the ledgers made from now on, the row cap (`maxRows`), the
 * sampled mode's N (`every`) and its per-second exact budget
 * (`exactPerTick`); `{}` restores the defaults. For tests and benches, through
 * unsafeExposeInternals('listeners').
 */
function setLedgerInternals(o) {
  internals = { ...o };
}

/** Which books the ledger keeps ('sampled' | 'exact'), or null when not tracking. */
function listenersMode() {
  return ledger === null ? null : ledger.mode;
}

/** Runs one second of the ledger's clock now (for tests, through unsafeExposeInternals('listeners')). */
function ledgerTick() {
  if (ledger !== null) ledger.tick();
}

// Tests and benches reach the ledger's clock, its tuning and the book slot
// through unsafeExposeInternals('listeners') (lib/internal/unsafe-internals.js).
expose('listeners', { ledgerTick, setLedgerInternals, BookSlot, BOOK_EVERY });

module.exports = {
  trackListeners,
  untrackListeners,
  listeners,
  listenersMode,
  ledgerBookkeeping,
  LISTENER_MODES: MODES,
};
