'use strict';
// The application's own lru-cache instances (the npm package `lru-cache`,
// 11.5 and later), seen through the diagnostics channel it publishes on:
// `lru-cache:metrics`. While that channel has a subscriber, every get, set,
// has, peek, memo and delete of every lru-cache in the process builds a status
// object ({ op, key, value, cache, get: 'hit' | 'miss' | ..., set: 'add' |
// 'replace' | ... }) and publishes it; with no subscriber it builds nothing.
//
// A cache seen on the channel is enrolled once: a WeakRef to it, a row in the
// shared counter table (kind 'cache', its max / maxSize as the bound, detail
// 'lru-cache'), and the application line that first touched it. From then on
// its size is read from the cache itself (`cache.size`, `cache.calculatedSize`,
// public getters) on the sampler's heartbeat, with or without a subscriber:
// the Rust sampler sees the row fill like one of leakguard's caches, and its
// filling explains heap growth the same way. report().caches lists it
// (lib/internal/live.js).
//
// Subscribing is what costs (a status object per operation:
// bench/lru-cache-channel.js, docs/cache.md), and it is needed only to find
// caches and to count lookups, so it runs at a low duty cycle: one heartbeat
// out of DUTY_PERIOD (the first one included) while the heap's post-GC
// baseline rises (growth is being judged, and a cache filling must be known
// before the verdict), one out of IDLE_PERIOD while it does not. A cache that
// fills is written to during every such beat, so it is found within
// DUTY_PERIOD beats of the heap starting to rise.
//
// A leak check (leakguard/test) holds the channel on for its whole run
// (`hold`): a cache the function under test fills is found during the
// warm-up, and its filling is judged as one of leakguard's caches.
//
// Nothing here keeps a cache alive: the table holds WeakRefs, a
// FinalizationRegistry gives the row back when the cache is collected, and
// the held value is the row id only.

const dc = require('node:diagnostics_channel');
const path = require('node:path');
const { statsTable, CELLS } = require('./stats');
const { captureSite } = require('./callsite');

const CHANNEL = 'lru-cache:metrics';
/** Subscribed during one heartbeat out of this many while the heap rises, */
const DUTY_PERIOD = 8;
/** and out of this many while it does not. */
const IDLE_PERIOD = 64;

const { HITS, MISSES, SETS, SIZE, CALCULATED_SIZE, DELETES } = CELLS.cache;

/** cache -> entry; an entry never references its cache strongly. */
const known = new WeakMap();
/** Every entry of a cache not yet collected, in enrolment order. */
const entries = new Set();
const released = new FinalizationRegistry((entry) => {
  entries.delete(entry);
  if (entry.rowId !== null) statsTable().release(entry.rowId);
});

let subscribed = false;
let beats = 0;
/** Whether the heartbeat's duty cycle has the channel on, and how many holds keep it on. */
let beatOn = false;
let holds = 0;

/** A positive finite bound, else null (lru-cache uses 0 for "none"). */
function bound(value) {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null;
}

function enrol(cache) {
  const captured = captureSite(onMessage);
  const max = bound(cache.max);
  const maxSize = bound(cache.maxSize);
  const entry = {
    ref: new WeakRef(cache),
    site: captured === null ? null : captured.site,
    max,
    maxSize,
    rowId: null,
    cells: null,
  };
  // A cache with neither bound (ttl only) is listed but gets no row: the
  // sampler would take it for an unbounded cache.
  if (max !== null || maxSize !== null) {
    const row = statsTable().acquire({
      kind: 'cache',
      // What the filling note calls it: the package and the line that first touched it.
      name: entry.site === null ? 'lru-cache' : `lru-cache at ${path.basename(entry.site.file)}:${entry.site.line}`,
      site: entry.site,
      stack: captured === null ? [] : captured.stack,
      max,
      maxSize,
      detail: 'lru-cache',
    });
    entry.rowId = row.id;
    entry.cells = row.cells;
  }
  known.set(cache, entry);
  entries.add(entry);
  released.register(cache, entry);
  return entry;
}

/** One status message of the channel. Must never throw into the cache's caller. */
function onMessage(status) {
  try {
    const cache = status === null || typeof status !== 'object' ? undefined : status.cache;
    if (cache === null || typeof cache !== 'object') return;
    const entry = known.get(cache) ?? enrol(cache);
    const c = entry.cells;
    if (c === null) return;
    if (status.op === 'get') {
      if (status.get === 'hit') c[HITS]++;
      else c[MISSES]++;
    } else if (status.op === 'set') c[SETS]++;
    else if (status.op === 'delete') c[DELETES]++;
  } catch {
    // a cache of another shape: not listed
  }
}

function subscribe() {
  if (subscribed) return;
  dc.subscribe(CHANNEL, onMessage);
  subscribed = true;
}

function unsubscribe() {
  if (!subscribed || holds > 0) return;
  dc.unsubscribe(CHANNEL, onMessage);
  subscribed = false;
}

/** Writes each known cache's size into its row. */
function refresh() {
  for (const entry of entries) {
    const cache = entry.ref.deref();
    if (cache === undefined || entry.cells === null) continue;
    try {
      entry.cells[SIZE] = cache.size;
      entry.cells[CALCULATED_SIZE] = cache.calculatedSize ?? 0;
    } catch {
      // a getter that throws: the last figures stay
    }
  }
}

/**
 * The sampler's heartbeat: sizes written, the channel on for one beat in
 * DUTY_PERIOD while `rising` (the post-GC baseline rose at its last point),
 * in IDLE_PERIOD otherwise.
 */
function beat(rising = true) {
  refresh();
  beatOn = beats % (rising ? DUTY_PERIOD : IDLE_PERIOD) === 0;
  if (beatOn) subscribe();
  else unsubscribe();
  beats++;
}

/** The sampler stopped: no subscriber left behind (but a hold's). Known caches stay listed. */
function stop() {
  beatOn = false;
  unsubscribe();
  beats = 0;
}

/**
 * Keeps the channel on until the returned function is called (once): every
 * lru-cache touched meanwhile is enrolled. The heartbeat's duty cycle
 * resumes where it was.
 */
function hold() {
  subscribe();
  holds++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holds--;
    if (!beatOn) unsubscribe();
  };
}

/** report().caches rows of the application's lru-caches (lib/internal/live.js's shape). */
function describeAppCaches() {
  const out = [];
  for (const entry of entries) {
    const cache = entry.ref.deref();
    if (cache === undefined) continue;
    let size;
    try {
      size = cache.size;
    } catch {
      continue;
    }
    const c = entry.cells;
    const hits = c === null ? 0 : c[HITS];
    const misses = c === null ? 0 : c[MISSES];
    const s = entry.site;
    out.push({
      name: null,
      kind: 'lru-cache',
      site: s === null ? null : { file: s.file, line: s.line, column: s.column, functionName: s.functionName },
      size: typeof size === 'number' ? size : 0,
      max: entry.max,
      maxSize: entry.maxSize,
      bytes: null,
      hits,
      misses,
      hitRate: hits + misses === 0 ? null : hits / (hits + misses),
      evictions: null,
      inflight: 0,
    });
  }
  return out;
}

module.exports = { CHANNEL, DUTY_PERIOD, IDLE_PERIOD, subscribe, unsubscribe, refresh, beat, stop, hold, describeAppCaches, onMessage };
