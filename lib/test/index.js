'use strict';
// leakguard/test: checkLeaks(fn, options) and assertNoLeaks(fn, options), a
// leak check for one function inside a test (docs/testing.md).
//
// How and why
// -----------
// A test calls the code under test a known number of times, so the question
// "does it leak?" becomes "does the heap that survives a full GC grow with the
// number of calls?". The check runs `fn` `warmup` times (caches of the engine
// and of the code fill, lazy modules load), then `iterations` times in
// `points` equal rounds, forcing a full GC after each round and reading the
// heap then (V8's used_heap_size). A least-squares line through (calls, bytes)
// gives the retained bytes per call and its r²; the slope of the second half
// alone says whether the growth was still going on at the end (a warm-up that
// outlasts `warmup` flattens there), and the median of the per-round steps
// is what one step (an optimising compile, a lazy load) cannot move. The heap
// verdict needs the line's slope and the median at or above `threshold`, the
// second half's slope at half of it, and a straight enough line (r²). A heap
// that passes this by less than CONFIRM_FACTOR × `threshold` per call is
// measured again over as many calls more, and the verdict needs that second
// run to pass too: a leak retains the same bytes per call in both, while the
// tail of a warm-up, timers or GC timing still settling by the end of the
// first run, does not.
//
// The registries name the exact line: for the duration of the check the
// timers patch is on (timers()) and the listener ledger records every add
// with its stack (exact books); a site whose live count grew by at least
// MIN_LIVE_PER_CALL per call is a suspect and makes the check leaking by
// itself (every such item is retained). Bounded caches that gained entries
// during the check (leakguard's, and the application's lru-caches, found on
// lru-cache's diagnostics channel, held on for the check) explain heap
// growth by the sampler's rule (docs/sampler.md), also when they reached
// their bound meanwhile. V8's
// sampling heap profiler runs from the end of the warm-up at a fine interval,
// so what it still holds at the end was allocated during the iterations and
// survived them: those sites, over MIN_SITE_FRACTION of the threshold per
// call, are the allocation suspects, named to candidate lines by the
// sampler's attribution (lib/sampler/attribution.js).
//
// Full GCs come from the inspector (HeapProfiler.collectGarbage on an
// in-process session, the same session the profile is read through), so the
// user needs no --expose-gc; where the inspector is missing, `gc` is taken
// from a new context after setting --expose-gc, as Node's own tests do, and
// the flag is turned back off.
//
// Leakguard's own work is kept out of the figures: the heap is read before
// the report is built (profile parsing, source reads), leakguard's frames are
// never allocation sites, and timer or listener rows created by leakguard's
// files are not suspects. Everything the check turned on (the timers patch,
// the listener ledger, the inspector session and its sampling) is turned off
// again when it ends, also when `fn` throws; what was already on (start(),
// a user's patchTimers()) is left as it was. One check runs at a time.

const assert = require('node:assert');
const path = require('node:path');
const v8 = require('node:v8');
const timersPromises = require('node:timers/promises');
const { AllocationProfiler } = require('../sampler/allocation-profiler');
const { Attributor, attributeReport } = require('../sampler/attribution');
const timersModule = require('../timers');
const listenersModule = require('../listeners');
const { liveCaches } = require('../internal/live');
const appCaches = require('../internal/app-caches');
const { formatBytes } = require('../internal/units');
const { CODES, leakguardError, invalidOption } = require('../internal/errors');
const {
  OPTION_NAMES,
  checkOptions,
  validateInteger,
  validateFunction,
} = require('../internal/options');

// Captured once: a test's fake timers (Jest, Vitest, sinon) replace the
// globals, and the check must still be able to wait for a turn of the loop.
const { setImmediate: nextTurn, setTimeout: sleep } = timersPromises;

const KINDS = Object.freeze(['heap', 'timers', 'listeners', 'caches', 'allocations']);
const DEFAULTS = Object.freeze({
  iterations: 1000,
  warmup: 100,
  threshold: 64,
  points: 10,
  samplingIntervalBytes: 4096,
});
// A timer or listener site is a suspect when its live count grew by at least
// this many per call, and by MIN_LIVE at least.
const MIN_LIVE_PER_CALL = 0.05;
const MIN_LIVE = 2;
// The heap line must explain at least this share of the variance.
const MIN_R2 = 0.6;
// An allocation site is listed when it holds at least this fraction of the
// threshold per call (the profile is an estimate; listing errs on the side of
// naming).
const MIN_SITE_FRACTION = 0.25;
const MAX_ALLOCATION_SUSPECTS = 5;
// The heap grown this much since the first point is a leak beyond doubt: the
// check stops early instead of running a fast leak to the heap limit.
const EARLY_STOP_BYTES = 32 * 1024 * 1024;
// At most this many GC-and-wait rounds for the ledger to credit collected emitters.
const CREDIT_ROUNDS = 6;
// Below this many times the threshold per call, a growing heap is confirmed by a second run.
const CONFIRM_FACTOR = 4;
// Timers still live whose delay is at most this long are waited for before
// they are counted (a per-call timeout that fires soon is not retained).
const MAX_SETTLE_MS = 2000;
// Bytes per entry a filling cache without size accounting may explain (as the sampler).
const FILLING_ENTRY_BYTES = 16 * 1024;

const LEAKGUARD_LIB = path.resolve(__dirname, '..');
const RUNNING = Symbol.for('leakguard.checkLeaks.running');

function isOwnFile(file) {
  return typeof file === 'string' && (file === LEAKGUARD_LIB || file.startsWith(LEAKGUARD_LIB + path.sep));
}

function validateKinds(value) {
  if (value === undefined) return KINDS.slice();
  if (!Array.isArray(value)) throw invalidOption('kinds', `an array of ${KINDS.map((k) => `'${k}'`).join(', ')}`, value);
  for (const k of value) {
    if (!KINDS.includes(k)) {
      throw invalidOption('kinds', `an array of ${KINDS.map((x) => `'${x}'`).join(', ')}`, k, typeof k === 'string' ? RangeError : TypeError);
    }
  }
  if (value.length === 0) throw invalidOption('kinds', 'a non-empty array', value, RangeError);
  return [...new Set(value)];
}

/** checkLeaks' options, validated (unknown names refused) with defaults filled in. */
function resolveOptions(options) {
  const o = checkOptions('checkLeaks', options);
  const iterations = validateInteger('iterations', o.iterations, { min: 10, max: 10_000_000 }) ?? DEFAULTS.iterations;
  const points = validateInteger('points', o.points, { min: 4, max: 1000 }) ?? DEFAULTS.points;
  if (points > iterations) throw invalidOption('points', `an integer from 4 to iterations (${iterations})`, points, RangeError);
  return {
    iterations,
    points,
    warmup: validateInteger('warmup', o.warmup, { min: 0, max: 10_000_000 }) ?? DEFAULTS.warmup,
    threshold: validateInteger('threshold', o.threshold, { min: 1, max: 1 << 30 }) ?? DEFAULTS.threshold,
    kinds: validateKinds(o.kinds),
    samplingIntervalBytes:
      validateInteger('samplingIntervalBytes', o.samplingIntervalBytes, { min: 128, max: 1 << 30 }) ?? DEFAULTS.samplingIntervalBytes,
  };
}

// ---- full GCs ---------------------------------------------------------------

/** A function that forces a full GC and resolves when it is done, and how it does so. */
function garbageCollector(profiler) {
  if (profiler !== null && profiler.available) {
    return { how: 'inspector', collect: () => new Promise((resolve) => profiler.collectGarbage(resolve)), close() {} };
  }
  // No inspector (a Node built without it): `gc` from a new context made
  // while --expose-gc is set, then the flag back as it was.
  const vm = require('node:vm');
  const exposed = typeof globalThis.gc === 'function';
  if (exposed) return { how: 'gc', collect: async () => globalThis.gc(), close() {} };
  v8.setFlagsFromString('--expose-gc');
  let gc;
  try {
    gc = vm.runInNewContext('gc');
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
  return { how: 'gc', collect: async () => gc(), close() {} };
}

/** The heap in use after full GCs, with finalizers (listener books of collected emitters) run in between. */
async function settledHeap(gc, drainTimers) {
  // A full drain of the timers patch's lazily classified handles empties its
  // pending array, which otherwise fills with slots up to its bound.
  if (drainTimers) timersModule.timers();
  await gc.collect();
  await nextTurn();
  await sleep(1);
  await gc.collect();
  return heapUsed();
}

// Machine code is left out: an optimising compile of the code under test is
// a one-off step, not retention (feedback vectors and bytecode stay counted).
const CODE_SPACES = new Set(['code_space', 'code_large_object_space', 'read_only_space']);

/** Bytes used in the heap's spaces, machine code left out. */
function heapUsed() {
  let used = 0;
  for (const s of v8.getHeapSpaceStatistics()) if (!CODE_SPACES.has(s.space_name)) used += s.space_used_size;
  return used;
}

// ---- the fit ------------------------------------------------------------------

/** The median of the per-call growth between consecutive points: one step (a compile, a lazy load) moves it little. */
function medianStep(points) {
  const steps = [];
  for (let i = 1; i < points.length; i++) {
    const dc = points[i].calls - points[i - 1].calls;
    if (dc > 0) steps.push((points[i].bytes - points[i - 1].bytes) / dc);
  }
  if (steps.length === 0) return 0;
  steps.sort((a, b) => a - b);
  const m = steps.length >> 1;
  return steps.length % 2 === 1 ? steps[m] : (steps[m - 1] + steps[m]) / 2;
}

/** Least squares through points [{ calls, bytes }]: { slope, r2 }. */
function fitLine(points) {
  const n = points.length;
  if (n < 2) return { slope: 0, r2: 0 };
  let sx = 0;
  let sy = 0;
  for (const p of points) {
    sx += p.calls;
    sy += p.bytes;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const p of points) {
    const dx = p.calls - mx;
    const dy = p.bytes - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) return { slope: 0, r2: 0 };
  const slope = sxy / sxx;
  const r2 = syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  return { slope, r2 };
}

/**
 * The heap verdict on one run's points: the line's slope and the median step
 * at or above `threshold` per call, the second half's slope at half of it, a
 * straight enough line. { grows, fit }.
 */
function heapTest(points, threshold) {
  const fit = fitLine(points);
  const tail = fitLine(points.slice(Math.floor((points.length - 1) / 2)));
  const grows = fit.slope >= threshold && medianStep(points) >= threshold && tail.slope >= threshold / 2 && fit.r2 >= MIN_R2;
  return { grows, fit };
}

// ---- registries -----------------------------------------------------------------

function siteKey(site) {
  return site === null || site === undefined ? 'null' : `${site.file}:${site.line}:${site.column}`;
}

function timerRows() {
  const rows = new Map();
  for (const r of timersModule.timers()) rows.set(`${r.kind}\0${siteKey(r.site)}`, r);
  return rows;
}

/** Live listeners over every row of the ledger. */
function liveListeners() {
  let live = 0;
  for (const r of listenersModule.listeners()) live += r.live;
  return live;
}

function listenerRows() {
  const rows = new Map();
  for (const r of listenersModule.listeners()) rows.set(`${String(r.event)}\0${siteKey(r.site)}`, r);
  return rows;
}

/** Rows of `after` whose live count grew since `before` by MIN_LIVE and MIN_LIVE_PER_CALL per call. */
function grownRows(before, after, calls) {
  const out = [];
  const floor = Math.max(MIN_LIVE, MIN_LIVE_PER_CALL * calls);
  for (const [key, row] of after) {
    if (row.site !== null && isOwnFile(row.site.file)) continue;
    const was = before.has(key) ? before.get(key).live : 0;
    const grown = row.live - was;
    if (grown >= floor) out.push({ row, grown });
  }
  out.sort((a, b) => b.grown - a.grown);
  return out;
}

function rel(file) {
  if (typeof file !== 'string') return '?';
  const r = path.relative(process.cwd(), file);
  return r !== '' && !r.startsWith('..') && !path.isAbsolute(r) ? r : file;
}

function at(site) {
  return site === null ? "Node's own code (no frame of yours on the stack)" : `${rel(site.file)}:${site.line}:${site.column}`;
}

function perCallText(n) {
  return n >= 0.995 ? `${Math.round(n * 100) / 100}` : `${Math.round(n * 1000) / 1000}`;
}

function timerSuspect({ row, grown }, calls) {
  const what = row.kind === 'interval' ? 'setInterval' : 'setTimeout';
  const items = row.kind === 'interval' ? 'intervals' : 'timeouts';
  return {
    kind: 'timer',
    site: row.site,
    stack: row.stack,
    precision: 'line',
    count: grown,
    perCall: grown / calls,
    description: `${what} at ${at(row.site)} left ${grown} live ${items} after ${calls} calls (${perCallText(grown / calls)} per call)${row.delay !== undefined ? `, delay ${row.delay} ms` : ''}`,
  };
}

function listenerSuspect({ row, grown }, calls) {
  const event = typeof row.event === 'symbol' ? row.event.toString() : `'${row.event}'`;
  return {
    kind: 'listener',
    site: row.site,
    stack: row.stack,
    precision: 'line',
    count: grown,
    perCall: grown / calls,
    event: typeof row.event === 'symbol' ? row.event.toString() : row.event,
    emitters: row.emitters,
    description: `${event} listener added at ${at(row.site)} left ${grown} live after ${calls} calls (${perCallText(grown / calls)} per call) on ${row.emitters} emitter${row.emitters === 1 ? '' : 's'}`,
  };
}

// ---- caches ---------------------------------------------------------------------

function cacheKey(row) {
  return `${row.kind}\0${row.name}\0${siteKey(row.site)}`;
}

/** Bounded leakguard caches whose size rose during the check and are below 95% of their bound. */
function fillingCaches(before, after) {
  const was = new Map(before.map((r) => [cacheKey(r), r]));
  const out = [];
  for (const row of after) {
    const prev = was.get(cacheKey(row));
    const grown = (row.size ?? 0) - (prev ? prev.size ?? 0 : 0);
    if (grown <= 0) continue;
    const bound = row.max ?? null;
    const sizeBound = row.maxSize ?? null;
    const below = bound !== null ? row.size < 0.95 * bound : sizeBound !== null && row.bytes !== null ? row.bytes < 0.95 * sizeBound : false;
    out.push({ row, grown, below, bytesPerEntry: row.bytes !== null && row.size > 0 ? row.bytes / row.size : null });
  }
  return out;
}

/**
 * Whether bounded caches that gained entries during the check explain
 * `growthBytes` (the sampler's rule, per check instead of per second). A
 * cache that reached its bound during the check counts too: what it gained
 * is bounded. The application's lru-caches (kind 'lru-cache', found on their
 * diagnostics channel while the check runs) count as leakguard's LruCache
 * does. An OffHeapCache keeps its entries outside the V8 heap, so it
 * explains none of the heap's growth.
 */
function cachesExplain(filling, growthBytes) {
  const below = filling.filter((f) => (f.row.kind === 'lru' || f.row.kind === 'lru-cache') && (f.row.max !== null || f.row.maxSize !== null));
  if (below.length === 0 || growthBytes <= 0) return false;
  const entries = below.reduce((t, f) => t + f.grown, 0);
  const plausible = below.reduce((t, f) => t + f.grown * (f.bytesPerEntry === null ? FILLING_ENTRY_BYTES : 2 * f.bytesPerEntry), 0);
  if (growthBytes > plausible) return false;
  const perEntry = growthBytes / entries;
  const headroom = below.reduce((t, f) => t + Math.max(0, (f.row.max ?? f.row.size) - f.row.size) * perEntry, 0);
  const s = v8.getHeapStatistics();
  return headroom <= 0.5 * Math.max(0, s.heap_size_limit - s.used_heap_size);
}

function fillingEntry(f) {
  const pct = f.row.max ? ` (${Math.round((100 * f.row.size) / f.row.max)}% of max ${f.row.max})` : '';
  return {
    name: f.row.name,
    kind: f.row.kind,
    site: f.row.site,
    size: f.row.size,
    max: f.row.max ?? null,
    grown: f.grown,
    description: `${f.row.kind === 'lru-cache' && f.row.name === null ? 'lru-cache' : `cache \`${f.row.name ?? '(unnamed)'}\``} at ${f.row.site ? at(f.row.site) : '?'} gained ${f.grown} entries${pct}`,
  };
}

// ---- allocations ------------------------------------------------------------------

/** The profile read at the end: allocation suspects (attributed), or null with a reason. */
function readAllocations(profiler, calls, threshold) {
  return new Promise((resolve) => {
    profiler.read((suspects) => {
      if (suspects === null) return resolve({ suspects: [], note: 'the allocation profile could not be read' });
      const floor = MIN_SITE_FRACTION * threshold * calls;
      const kept = suspects
        .filter((s) => s.bytes >= floor && !(s.site && isOwnFile(s.site.file)))
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, MAX_ALLOCATION_SUSPECTS)
        .map((s) => ({
          kind: 'allocation',
          site: s.site,
          stack: s.stack,
          precision: 'function',
          count: s.count,
          bytes: Math.round(s.bytes),
          perCall: s.bytes / calls,
          description: `allocated in ${s.site.functionName ?? '(anonymous)'} (${at(s.site)}) — hold ~${formatBytes(s.bytes / calls)} per call`,
        }));
      const report = { suspects: kept };
      try {
        attributeReport(report, profiler.facts, new Attributor({ getScriptSource: (id) => profiler.scriptSource(id) }));
      } catch {
        // suspects without candidate lines beat none
      }
      resolve({ suspects: report.suspects, note: null });
    });
  });
}

// ---- the check ------------------------------------------------------------------

function listenerOptions() {
  // Exact books: a real stack on every add. A ledger that has a mode option takes 'exact'.
  if (OPTION_NAMES.trackListeners.includes('mode')) return { mode: 'exact' };
  return { sampleEvery: 1, capturesPerSecond: Infinity };
}

function busy() {
  return leakguardError(
    Error,
    CODES.CHECK_RUNNING,
    'checkLeaks() is already running in this thread: checks cannot run concurrently or nested (await one before starting the next)',
  );
}

async function callOnce(fn, i) {
  const r = fn(i);
  if (r !== null && (typeof r === 'object' || typeof r === 'function') && typeof r.then === 'function') await r;
}

/** Sets up what the check needs; returns its state and the undo list (run in reverse). */
function setUp(o, notes) {
  const undo = [];
  const state = { profiler: null, gc: null, sampling: false, listenerBooks: null };
  try {
    // One in-process inspector session: full GCs, and the sampling profile.
    const profiler = new AllocationProfiler({ samplingIntervalBytes: o.samplingIntervalBytes });
    state.profiler = profiler;
    undo.push(() => profiler.close());
    state.gc = garbageCollector(state.profiler);
    if (o.kinds.includes('allocations')) {
      const running = require('../sampler').runningOptions();
      if (running !== null && running.profiling) {
        // V8 has one sampling heap profiler per thread: the sampler's.
        notes.push("allocation sites not sampled: the sampler (start()) is already sampling this thread's heap");
      } else if (!state.profiler.available) {
        notes.push('allocation sites not sampled: no inspector in this Node');
      } else {
        state.sampling = true;
      }
    }
    if (o.kinds.includes('timers') && timersModule.patchTimers() === true) undo.push(() => timersModule.unpatchTimers());
    // The application's lru-caches are found on their diagnostics channel, held on for the check.
    if (o.kinds.includes('caches')) undo.push(appCaches.hold());
    if (o.kinds.includes('listeners')) {
      // Asked only when the ledger is off: a call while it tracks would warn that its options were not applied.
      const tracking = listenersModule.ledgerBookkeeping() !== null;
      if (!tracking && listenersModule.trackListeners(listenerOptions()) === true) {
        undo.push(() => listenersModule.untrackListeners());
        state.listenerBooks = 'exact';
      } else {
        state.listenerBooks = 'already on';
        notes.push('the listener ledger was already on with its own options (kept): its books are exact only if it was started so');
      }
    }
  } catch (err) {
    tearDown(undo);
    throw err;
  }
  return { state, undo };
}

function tearDown(undo) {
  let first = null;
  for (let i = undo.length - 1; i >= 0; i--) {
    try {
      undo[i]();
    } catch (err) {
      if (first === null) first = err;
    }
  }
  undo.length = 0;
  if (first !== null) throw first;
}

/** Waits (at most MAX_SETTLE_MS) for short timers grown during the check to fire. */
async function settleTimers(before, calls) {
  const grown = grownRows(before, timerRows(), calls);
  const delays = grown.map((g) => (g.row.kind === 'timeout' && g.row.delay !== undefined ? g.row.delay : Infinity));
  if (delays.length === 0) return;
  const wait = Math.max(...delays);
  if (wait <= MAX_SETTLE_MS) await sleep(wait + 20);
}

/**
 * Runs `fn` warmup + iterations times and resolves to a report of whether the heap that
 * survives full GCs grows with the calls, and what grows (docs/testing.md).
 */
function checkLeaks(fn, options) {
  // Bad arguments and a second check are refused at the call (thrown), before anything changes.
  validateFunction('fn', fn);
  if (fn === undefined) throw invalidOption('fn', 'a function', fn);
  const o = resolveOptions(options);
  if (process[RUNNING] === true) throw busy();
  process[RUNNING] = true;
  return run(fn, o);
}

async function run(fn, o) {
  const startedAt = Date.now();
  const notes = [];
  let undo = [];
  try {
    const setup = setUp(o, notes);
    undo = setup.undo;
    const { state } = setup;
    let calls = 0;
    for (let i = 0; i < o.warmup; i++) await callOnce(fn, i);
    const want = (k) => o.kinds.includes(k);
    // Short timers made by the warm-up's last calls fire before the baseline is read.
    if (want('timers')) await settleTimers(new Map(), Math.max(1, o.warmup));
    const timersBefore = want('timers') ? timerRows() : new Map();
    const cachesBefore = want('caches') ? liveCaches() : [];
    const points = [];
    // The baseline is read after the profiler started: what it retains in
    // the heap (sampling is in V8's own memory) is in both ends of the line.
    if (state.sampling) state.profiler.start();
    const listenersBefore = want('listeners') ? listenerRows() : new Map();
    points.push({ calls: 0, bytes: await settledHeap(state.gc, want('timers')) });
    let stoppedEarly = false;
    // One run of `iterations` calls in `points` rounds, a heap reading after each.
    const measure = async (from) => {
      for (let k = 1; k <= o.points; k++) {
        const end = from + Math.round((o.iterations * k) / o.points);
        for (; calls < end; calls++) await callOnce(fn, o.warmup + calls);
        points.push({ calls, bytes: await settledHeap(state.gc, want('timers')) });
        if (k >= 2 && k < o.points && points[points.length - 1].bytes - points[0].bytes > EARLY_STOP_BYTES) {
          stoppedEarly = true;
          notes.push(`stopped after ${calls} of ${o.iterations} calls: the heap grew by more than ${formatBytes(EARLY_STOP_BYTES)}`);
          return;
        }
      }
    };
    await measure(0);
    const first = heapTest(points, o.threshold);
    let second = null;
    if (want('heap') && first.grows && !stoppedEarly && first.fit.slope < CONFIRM_FACTOR * o.threshold) {
      const start = points.length - 1;
      await measure(calls);
      if (!stoppedEarly) {
        second = heapTest(points.slice(start), o.threshold);
        notes.push(
          `measured again over ${o.iterations} more calls (the first run's ${formatBytes(first.fit.slope)}/call is under ${CONFIRM_FACTOR} × the threshold): ${formatBytes(second.fit.slope)}/call (r² ${Math.round(second.fit.r2 * 1000) / 1000})${second.grows ? '' : ', not growing'}`,
        );
      }
    }
    if (want('timers')) await settleTimers(timersBefore, calls);
    if (want('listeners')) {
      // The ledger credits the listeners of collected emitters from a
      // FinalizationRegistry callback, which runs on a later task than the GC
      // (later still on a busy machine): collect and wait until the live
      // count stops falling, at most CREDIT_ROUNDS times.
      let live = Infinity;
      for (let round = 1; round <= CREDIT_ROUNDS; round++) {
        await state.gc.collect();
        await sleep(10 * round);
        const now = liveListeners();
        if (now >= live) break;
        live = now;
      }
    }
    const timersAfter = want('timers') ? timerRows() : new Map();
    const listenersAfter = want('listeners') ? listenerRows() : new Map();
    const cachesAfter = want('caches') ? liveCaches() : [];

    // The verdict's figures are all read: the report's own work starts here.
    const fit = fitLine(points);
    const half = points.slice(Math.floor((points.length - 1) / 2));
    const tail = fitLine(half);
    const growthBytes = points[points.length - 1].bytes - points[0].bytes;
    const suspects = [];
    if (want('timers')) for (const g of grownRows(timersBefore, timersAfter, calls)) suspects.push(timerSuspect(g, calls));
    if (want('listeners')) for (const g of grownRows(listenersBefore, listenersAfter, calls)) suspects.push(listenerSuspect(g, calls));
    const registryLeak = suspects.length > 0;
    const median = medianStep(points);
    const heapGrows = want('heap') && first.grows && (second === null || second.grows);
    const filling = want('caches') ? fillingCaches(cachesBefore, cachesAfter) : [];
    const explainedByCaches = heapGrows && !registryLeak && cachesExplain(filling, growthBytes);
    const heapLeak = heapGrows && !explainedByCaches;
    if (heapLeak) {
      for (const f of filling) {
        suspects.push({
          kind: 'cache',
          site: f.row.site,
          stack: [],
          precision: 'line',
          count: f.grown,
          perCall: f.grown / calls,
          description: `${fillingEntry(f).description}, ${perCallText(f.grown / calls)} per call`,
        });
      }
    }
    let allocationNote = null;
    if (state.sampling && (heapLeak || registryLeak || (want('heap') && fit.slope >= o.threshold))) {
      const read = await readAllocations(state.profiler, calls, o.threshold);
      suspects.push(...read.suspects);
      allocationNote = read.note;
    }
    if (allocationNote !== null) notes.push(allocationNote);
    const leaking = heapLeak || registryLeak;
    const growing = [];
    if (heapLeak) growing.push('heap');
    if (registryLeak) growing.push('registry');
    const used = v8.getHeapStatistics();
    const report = {
      leaking,
      since: null,
      generatedAt: Date.now(),
      running: false,
      bytesPerCall: {
        value: Math.round(fit.slope * 10) / 10,
        r2: Math.round(fit.r2 * 1000) / 1000,
        lastHalf: Math.round(tail.slope * 10) / 10,
        median: Math.round(median * 10) / 10,
        threshold: o.threshold,
        calls,
        points,
      },
      heap: {
        usedBytes: used.used_heap_size,
        totalBytes: used.total_heap_size,
        baselineBytes: points[0].bytes,
        growthBytes,
        growing,
      },
      suspects,
      filling: filling.filter((f) => f.below).map(fillingEntry),
      explainedByCaches,
      caches: cachesAfter,
      check: {
        iterations: o.iterations,
        warmup: o.warmup,
        calls,
        stoppedEarly,
        kinds: o.kinds,
        durationMs: Date.now() - startedAt,
        gc: state.gc.how,
        listenerBooks: state.listenerBooks,
        allocationSampling: state.sampling ? o.samplingIntervalBytes : null,
        notes,
      },
    };
    if (leaking && suspects.length === 0) report.note = 'the heap grows with the calls but nothing leakguard sees names it (growth outside the sampled kinds)';
    return report;
  } finally {
    try {
      tearDown(undo);
    } finally {
      process[RUNNING] = false;
    }
  }
}

// ---- the text -------------------------------------------------------------------

function candidateText(c) {
  return `\`${c.text}\` at ${rel(c.file)}:${c.line}:${c.column} (\`${c.container}\`: ${c.scopeText})`;
}

/** The report of checkLeaks as text: the verdict, the fit, each suspect with its line. */
function formatCheck(report) {
  if (report === null || typeof report !== 'object' || report.bytesPerCall === undefined) {
    throw invalidOption('report', 'a report from checkLeaks()', report);
  }
  const b = report.bytesPerCall;
  const lines = [];
  const head = report.leaking ? 'leakguard: the function LEAKS' : 'leakguard: no leak found';
  lines.push(`${head}: ${formatBytes(b.value)} retained per call (r² ${b.r2}, median step ${formatBytes(b.median)}/call, last half ${formatBytes(b.lastHalf)}/call; threshold ${b.threshold} B/call) over ${b.calls} calls after ${report.check.warmup} warm-up calls`);
  if (report.explainedByCaches) lines.push('  the growth is explained by bounded caches still filling:');
  for (const f of report.filling ?? []) lines.push(`  - ${f.description}`);
  if (report.note) lines.push(`  note: ${report.note}`);
  report.suspects.forEach((s, i) => {
    lines.push(`  #${i + 1} ${s.kind}: ${s.description}`);
    if (s.kind === 'allocation' && Array.isArray(s.candidates) && s.candidates.length > 0) {
      lines.push(`       candidate lines (${s.candidates.length}), most likely first:`);
      s.candidates.slice(0, 5).forEach((c, j) => lines.push(`       ${j === 0 ? '→' : ' '} ${candidateText(c)}`));
    }
    for (const f of (s.stack ?? []).slice(0, 4)) lines.push(`         at ${f.functionName ?? '<anonymous>'} (${rel(f.file)}:${f.line}:${f.column})`);
  });
  for (const n of report.check.notes) lines.push(`  note: ${n}`);
  return `${lines.join('\n')}\n`;
}

/** checkLeaks, then an AssertionError whose message is the formatted report when it leaks. */
function assertNoLeaks(fn, options) {
  return checkLeaks(fn, options).then((report) => {
    if (report.leaking) {
      const err = new assert.AssertionError({ message: formatCheck(report), actual: report.bytesPerCall.value, expected: report.bytesPerCall.threshold, operator: 'checkLeaks' });
      err.report = report;
      throw err;
    }
    return report;
  });
}

module.exports = { checkLeaks, assertNoLeaks, formatCheck, fitLine, DEFAULTS, KINDS };
