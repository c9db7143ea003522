'use strict';
// The JS half of the heap feed (src/sampler/feed.rs): V8 figures only the JS
// thread can read, written with plain stores into a Float64Array over
// Rust-owned memory, so the sampler thread gets them without a call into Rust
// per GC or per heartbeat.
//
// - A heartbeat (unref'd interval at intervalMs, real timers captured at load
//   so the timers patch never sees it) writes process.memoryUsage(), its own
//   lateness (event-loop lag) and serves the thread's requests: a forced GC
//   (for a post-GC confirmation, or a profile read for suspects; the thread
//   budgets them).
// - V8's own GC callbacks (the GC watch, src/sampler/gc_watch.cc) write every
//   pause into a ring and, after a major GC, a post-GC sample (the honest
//   baseline), inside the GC: no JavaScript runs per GC, and nothing user
//   code can see (an async hook's init, a domain's warning) is scheduled.
//   Where the addon has no watch for this V8 (built without V8's headers, or
//   for another V8), a 'gc' PerformanceObserver writes the same cells.
// - Both watch the heap limit: old-generation bytes past
//   `nearHeapLimitFraction` of the old generation's limit and still rising
//   make the verdict now, synchronously (a profile read for suspects, the
//   report from the thread's core, onNearLimit), because the next GC may be
//   V8's last before it aborts the process. A major GC past the alarm level
//   wakes the JS thread for it (the watch's wake-up, or the observer).
//
// Must never keep the process alive, never throw into user code, and never run
// work per GC beyond a few stores (memoryUsage only once per observer batch).

const { PerformanceObserver, constants, performance } = require('node:perf_hooks');
const { setInterval: realSetInterval, clearInterval: realClearInterval } = require('node:timers');
const v8 = require('node:v8');
const native = require('../internal/native');

const MAJOR = constants.NODE_PERFORMANCE_GC_MAJOR;

/** Cell indexes; must agree with src/sampler/feed.rs (checked on first use). */
const CELL = Object.freeze({
  SAMPLE_SEQ: 0,
  SAMPLE_T: 1,
  HEAP_USED: 2,
  HEAP_TOTAL: 3,
  EXTERNAL: 4,
  ARRAY_BUFFERS: 5,
  RSS: 6,
  POSTGC_SEQ: 7,
  POSTGC_T: 8,
  POSTGC_USED: 9,
  POSTGC_EXTERNAL: 10,
  POSTGC_FORCED: 11,
  FORCED_GC_MS: 12,
  HEARTBEAT_T: 13,
  WANT_GC: 14,
  GC_SERVED: 15,
  WANT_PROFILE: 16,
  PROFILING: 17,
  NO_PROC: 18,
  LAG_WRITES: 19,
  LAG_RING: 20,
  LAG_LEN: 32,
  GC_WRITES: 52,
  GC_RING: 53,
  GC_LEN: 128,
  MAJOR_GCS: 181,
  OLD_USED: 182,
  POSTGC_OLD: 183,
  JS_BUSY_MS: 184,
  FORCED_GC_TOTAL_MS: 185,
  HEAP_LIMIT: 186,
  LAST_MAJOR_MS: 187,
  NEAR_LIMIT_BYTES: 188,
  LEN: 189,
});

/**
 * The old generation's limit, where V8 aborts the process: the
 * `--max-old-space-size` given to Node (exact), else `heap_size_limit` less
 * the young generation's reserve, three semi-spaces of V8's maximum
 * semi-space size (`--max-semi-space-size`, else 16 MiB before V8 13 and 64
 * MiB from V8 13 on, on 64-bit). Measured with `--max-old-space-size=64`:
 * `heap_size_limit` is 112 MiB on Node 20 and 22, 256 MiB on Node 24.
 */
function oldGenerationLimit(heapSizeLimit) {
  const MiB = 1024 * 1024;
  let old = null;
  let semi = Number(process.versions.v8.split('.')[0]) >= 13 ? 64 : 16;
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS || '').split(/\s+/)];
  for (const f of flags) {
    const m = /^--max[-_]((?:old|semi)[-_]space[-_]size)=(\d+)$/.exec(f);
    if (m === null) continue;
    if (m[1].startsWith('old')) old = Number(m[2]) * MiB;
    else semi = Number(m[2]);
  }
  if (old !== null && old > 0 && old < heapSizeLimit) return old;
  const reserve = 3 * semi * MiB;
  return heapSizeLimit > 2 * reserve ? heapSizeLimit - reserve : heapSizeLimit / 2;
}

/** Heap used outside the young generation (what survived scavenges). */
function youngBytes() {
  let young = 0;
  for (const s of v8.getHeapSpaceStatistics()) {
    if (s.space_name === 'new_space' || s.space_name === 'new_large_object_space') young += s.space_used_size;
  }
  return young;
}

let layoutChecked = false;
function checkLayout() {
  if (layoutChecked) return;
  const rust = JSON.parse(native.heapFeedLayoutJson());
  for (const [name, index] of Object.entries(rust)) {
    if (CELL[name] !== index) throw new Error(`leakguard: heap feed layout mismatch at ${name} (rebuild the addon)`);
  }
  layoutChecked = true;
}

class HeapFeed {
  /**
   * @param {object} sampler NativeHeapSampler
   * @param {{ intervalMs: number, profiler: object|null, sampling: boolean,
   *   nearHeapLimitFraction: number, onNearLimit: (json: string) => void }} options
   *   `profiler` forces GCs (and samples allocations when `sampling`)
   */
  constructor(sampler, { intervalMs, profiler, sampling = true, nearHeapLimitFraction, onNearLimit }) {
    checkLayout();
    this.cells = sampler.feed();
    this.sampler = sampler;
    this.intervalMs = intervalMs;
    this.profiler = profiler;
    this.sampling = sampling;
    this.onNearLimit = onNearLimit;
    const limit = v8.getHeapStatistics().heap_size_limit;
    this.cells[CELL.HEAP_LIMIT] = limit;
    // The old generation's own limit (where V8 aborts), and the alarm level.
    this.oldLimit = oldGenerationLimit(limit);
    this.nearLimitBytes = nearHeapLimitFraction * this.oldLimit;
    this.cells[CELL.NEAR_LIMIT_BYTES] = this.nearLimitBytes;
    this.nearLimitFired = false;
    this.lastOld = 0;
    this.timer = null;
    this.observer = null;
    this.lastBeat = 0;
    // How often a profile read that forces no GC is made (well inside a window, default 8 s at 1 s).
    this.readEveryMs = Math.min(10_000, 8 * intervalMs);
    this.lastRead = performance.now();
    /** 'v8' (the GC watch) or 'observer', once started. */
    this.gcSource = null;
    /** Why the GC watch is not used, when it is not. */
    this.gcWatchUnavailable = null;
  }

  start() {
    // Sampling from the start, so that live bytes per allocation site exist
    // the moment growth is judged; the profile is read only on request.
    if (this.profiler !== null && this.sampling) this.profiler.start();
    this.lastBeat = performance.now();
    this.beat();
    this.timer = realSetInterval(() => this.beat(), this.intervalMs);
    this.timer.unref();
    const why = this.sampler.watchGc(process.versions.v8, (old) => this.onNearLimitGc(old));
    this.gcWatchUnavailable = why;
    if (why === null) {
      this.gcSource = 'v8';
      return;
    }
    this.gcSource = 'observer';
    this.observer = new PerformanceObserver((list) => this.onGc(list.getEntries()));
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop() {
    if (this.timer !== null) realClearInterval(this.timer);
    this.timer = null;
    if (this.observer !== null) this.observer.disconnect();
    this.observer = null;
    try {
      this.sampler.unwatchGc();
    } catch {
      // a torn-down sampler: its watch went with it
    }
  }

  writeSample() {
    const c = this.cells;
    const m = process.memoryUsage();
    c[CELL.SAMPLE_T] = Date.now();
    c[CELL.HEAP_USED] = m.heapUsed;
    c[CELL.HEAP_TOTAL] = m.heapTotal;
    c[CELL.EXTERNAL] = m.external;
    c[CELL.ARRAY_BUFFERS] = m.arrayBuffers;
    c[CELL.RSS] = m.rss;
    const old = Math.max(1, m.heapUsed - youngBytes());
    c[CELL.OLD_USED] = old;
    c[CELL.SAMPLE_SEQ] += 1; // published last
    this.checkLimit(old);
    return m;
  }

  /** Old-generation bytes past the alarm level and rising: the verdict now. */
  checkLimit(old) {
    const rising = old > this.lastOld;
    this.lastOld = old;
    if (this.nearLimitFired || old < this.nearLimitBytes || !rising) return;
    this.nearLimitFired = true;
    this.cells[CELL.NEAR_LIMIT_BYTES] = Infinity; // no more wake-ups from the GC watch
    const began = performance.now();
    try {
      const p = this.profiler;
      // One synchronous profile read (a full GC) for suspects: outside the
      // budget, once, because this report is the one that matters most.
      if (p !== null && p.running) {
        p.read((allocations) => {
          this.publishAllocations(allocations);
          const ms = performance.now() - began;
          this.cells[CELL.FORCED_GC_MS] = ms;
          this.cells[CELL.FORCED_GC_TOTAL_MS] += ms;
        });
      }
      // The old generation against its own limit: the figures V8 dies on.
      this.onNearLimit(this.sampler.nearHeapLimitJson(old, this.oldLimit));
    } catch {
      // a torn-down sampler: nothing to report to
    }
    this.cells[CELL.JS_BUSY_MS] += performance.now() - began;
  }

  publishAllocations(allocations) {
    if (allocations === null) return;
    try {
      this.sampler.setAllocationsJson(JSON.stringify(allocations));
    } catch {
      // a torn-down sampler: nothing to report to
    }
  }

  writePostGc(forced) {
    const c = this.cells;
    const m = process.memoryUsage();
    c[CELL.POSTGC_T] = Date.now();
    c[CELL.POSTGC_USED] = m.heapUsed;
    c[CELL.POSTGC_EXTERNAL] = m.external;
    const old = Math.max(1, m.heapUsed - youngBytes());
    c[CELL.POSTGC_OLD] = old;
    if (forced) c[CELL.POSTGC_FORCED] += 1;
    c[CELL.POSTGC_SEQ] += 1; // published last
    this.checkLimit(old);
  }

  beat() {
    const c = this.cells;
    const now = performance.now();
    const lag = Math.max(0, now - this.lastBeat - this.intervalMs);
    this.lastBeat = now;
    const w = c[CELL.LAG_WRITES];
    c[CELL.LAG_RING + (w % CELL.LAG_LEN)] = lag;
    c[CELL.LAG_WRITES] = w + 1;
    c[CELL.HEARTBEAT_T] = Date.now();
    this.writeSample();
    this.serve();
    c[CELL.JS_BUSY_MS] += performance.now() - now;
  }

  /** Serves the thread's requests: a forced GC (a profile read while sampling). */
  serve() {
    const c = this.cells;
    const p = this.profiler;
    c[CELL.PROFILING] = p !== null && p.running ? 1 : 0;
    // A read that forces no GC is made on the beat, so that the thread has a
    // recent one when a verdict needs suspects and asks no GC for it.
    if (p !== null && p.readsWithoutGc && performance.now() - this.lastRead >= this.readEveryMs) {
      this.lastRead = performance.now();
      p.read((allocations) => this.publishAllocations(allocations));
    }
    const wanted = c[CELL.WANT_GC];
    if (wanted > c[CELL.GC_SERVED]) {
      c[CELL.GC_SERVED] = wanted;
      this.forceGc();
    }
  }

  /** A full GC, through a profile read when profiling (it forces one anyway). */
  forceGc() {
    const started = performance.now();
    let syncMs = null;
    let inBeat = true; // until the request below has been made: a call back before then is beat()'s own time
    const done = (allocations) => {
      // A profile read runs (and calls back) synchronously; collectGarbage
      // calls back later: then the last major pause is the GC's cost.
      const ms = syncMs ?? Math.min(performance.now() - started, this.cells[CELL.LAST_MAJOR_MS]);
      this.cells[CELL.FORCED_GC_MS] = ms;
      this.cells[CELL.FORCED_GC_TOTAL_MS] += ms;
      // Anything that called back at once is inside beat()'s busy time already.
      if (!inBeat) this.cells[CELL.JS_BUSY_MS] += ms;
      this.writePostGc(true);
      this.publishAllocations(allocations);
    };
    const p = this.profiler;
    if (p !== null && p.readForcesGc) {
      p.read((allocations) => {
        syncMs = performance.now() - started;
        done(allocations);
      });
    } else if (p !== null && p.available) {
      p.collectGarbage(() => {
        // A read that forces no GC (v8.startHeapProfile's) comes after the GC
        // asked for: it holds what survived it. Not within half a read period
        // of the last one: each of its reads holds only what was allocated
        // since the previous, and a short gap makes a noisy rate.
        let allocations = null;
        const now = performance.now();
        if (p.running && (!p.readsWithoutGc || now - this.lastRead >= this.readEveryMs / 2)) {
          if (p.readsWithoutGc) this.lastRead = now;
          p.read((a) => (allocations = a));
        }
        done(allocations);
      });
    } else if (typeof globalThis.gc === 'function') {
      globalThis.gc();
      done(null);
    }
    // Else no way to force one: nothing is written, and the natural post-GC
    // points decide. A sample written as post-GC here would carry the
    // garbage of the old generation into the confirmation, which compares
    // it with an earlier point as if it were live memory.
    inBeat = false;
  }

  /** The GC watch's wake-up: a major GC left `old` bytes past the alarm level. */
  onNearLimitGc(old) {
    const began = performance.now();
    this.checkLimit(old);
    this.cells[CELL.JS_BUSY_MS] += performance.now() - began;
  }

  /** The observer's batch of GCs (only where the GC watch is not used). */
  onGc(entries) {
    const began = performance.now();
    const c = this.cells;
    let majors = 0;
    let w = c[CELL.GC_WRITES];
    for (const e of entries) {
      c[CELL.GC_RING + (w % CELL.GC_LEN)] = e.duration;
      w += 1;
      const kind = e.detail !== undefined ? e.detail.kind : e.kind;
      if (kind === MAJOR) {
        majors += 1;
        c[CELL.LAST_MAJOR_MS] = e.duration;
      }
    }
    c[CELL.GC_WRITES] = w;
    if (majors > 0) {
      c[CELL.MAJOR_GCS] += majors;
      this.writePostGc(false); // once per batch: the figures are the same
    }
    c[CELL.JS_BUSY_MS] += performance.now() - began;
  }
}

module.exports = { HeapFeed, CELL };
