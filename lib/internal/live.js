'use strict';
// The leak view of caches: every live leakguard cache of this thread
// (LruCache and OffHeapCache), held through WeakRefs so that being listed
// never keeps a cache alive. report().caches is liveCaches().
//
// A cache enrols itself at construction (`track`) and implements DESCRIBE,
// which returns its row without changing anything (no purge, no recency):
// { name, kind: 'lru' | 'offheap', site: { file, line, column, functionName },
//   size, max, maxSize, bytes, hits, misses, hitRate, evictions, inflight },
// null where the cache does not know a figure. A closed cache returns null
// and is left out.
//
// The application's own lru-cache instances (npm `lru-cache`), found on its
// diagnostics channel (lib/internal/app-caches.js), follow with kind
// 'lru-cache': their hits and misses are those seen while leakguard listened.

const { describeAppCaches } = require('./app-caches');

const DESCRIBE = Symbol('leakguard.describeCache');

const refs = new Set(); // of WeakRef
let sweepAt = 64;

function sweep() {
  for (const ref of refs) if (ref.deref() === undefined) refs.delete(ref);
}

/** Enrols a cache (weakly); dead references are swept, amortised O(1) per enrolment. */
function track(cache) {
  if (refs.size >= sweepAt) {
    sweep();
    sweepAt = Math.max(64, 2 * refs.size);
  }
  refs.add(new WeakRef(cache));
}

/** One row per live cache of this thread, in creation order. */
function liveCaches() {
  const out = [];
  for (const ref of refs) {
    const cache = ref.deref();
    if (cache === undefined) {
      refs.delete(ref);
      continue;
    }
    let row;
    try {
      row = cache[DESCRIBE]();
    } catch {
      // A cache whose store is gone (a worker tearing down) is not listed.
      row = null;
    }
    if (row !== null) out.push(row);
  }
  for (const row of describeAppCaches()) out.push(row);
  return out;
}

module.exports = { track, liveCaches, DESCRIBE };
