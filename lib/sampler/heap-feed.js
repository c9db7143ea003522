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
//   Where the GC watch runs, V8's own near-heap-limit callback backs this
//   estimate: when V8 is about to fail (exact on every flag), the report is
//   made and written to the report file from native code, V8's limit is
//   raised once by limitRaise() (so this side can still deliver it to
//   onLeak), and the callback removes itself (docs/sampler.md).
// - Off-heap attribution: while the thread asks for it (WANT_BUFFERS: external
//   or native growth suspected), Buffer allocations are sampled by call site
//   (lib/sampler/buffer-sites.js) and the growing sites sent each heartbeat;
//   disarmed a window after the thread stopped asking.
// - The container's memory limit (the memory cgroup's, or
//   process.constrainedMemory()): RSS past `nearHeapLimitFraction` of it and
//   still rising makes the verdict now too, before the kernel kills the
//   process (an off-heap leak gets there long before V8's heap limit).
//
// Must never keep the process alive, never throw into user code, and never run
// work per GC beyond a few stores (memoryUsage only once per observer batch).

const { PerformanceObserver, constants, performance } = require('node:perf_hooks');
const { setInterval: realSetInterval, clearInterval: realClearInterval } = require('node:timers');
const os = require('node:os');
const v8 = require('node:v8');
const native = require('../internal/native');
const appCaches = require('../internal/app-caches');
const { WorkFit } = require('./work');

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
  PROFILING: 16,
  LAG_WRITES: 17,
  LAG_RING: 18,
  LAG_LEN: 32,
  GC_WRITES: 50,
  GC_RING: 51,
  GC_LEN: 128,
  MAJOR_GCS: 179,
  OLD_USED: 180,
  POSTGC_OLD: 181,
  JS_BUSY_MS: 182,
  FORCED_GC_TOTAL_MS: 183,
  HEAP_LIMIT: 184,
  LAST_MAJOR_MS: 185,
  NEAR_LIMIT_BYTES: 186,
  WANT_BUFFERS: 187,
  LEN: 188,
});

const MiB = 1024 * 1024;

/**
 * How far V8's old-generation limit is raised, once, when its near-heap-limit
 * callback runs: a sixteenth of the heap's limit, at least 16 MiB; room for
 * the JS side to deliver the report (parse it, name candidate lines, call
 * onLeak) before V8 fails at the raised limit.
 */
function limitRaise(heapSizeLimit) {
  return Math.max(16 * MiB, Math.round(heapSizeLimit / 16));
}

/**
 * The container's memory limit in bytes, or null: the smallest of
 * process.constrainedMemory() (where Node has it) and the memory cgroup's
 * limit read by the addon (cgroup v2 memory.max, v1 memory.limit_in_bytes,
 * along the cgroup's path). A limit at or past the machine's memory is none.
 */
function containerMemoryLimit() {
  const total = os.totalmem();
  const limits = [];
  try {
    if (typeof process.constrainedMemory === 'function') limits.push(Number(process.constrainedMemory()));
  } catch {
    // not readable here
  }
  try {
    limits.push(native.cgroupMemoryLimit());
  } catch {
    // an addon without it
  }
  const found = limits.filter((v) => typeof v === 'number' && v > 0 && v < total);
  return found.length === 0 ? null : Math.min(...found);
}

/**
 * The old generation's limit, where V8 aborts the process: the
 * `--max-old-space-size` given to Node (exact), else `heap_size_limit` less
 * the young generation's reserve, three semi-spaces of V8's maximum
 * semi-space size (`--max-semi-space-size`, else 16 MiB before V8 13 and 64
 * MiB from V8 13 on, on 64-bit). Measured with `--max-old-space-size=64`:
 * `heap_size_limit` is 112 MiB on Node 20 and 22, 256 MiB on Node 24.
 */
function oldGenerationLimit(heapSizeLimit) {
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
   *   nearHeapLimitFraction: number, onNearLimit: (json: string) => void,
   *   reportFile?: string, bufferSites?: object|null }} options
   *   `profiler` forces GCs (and samples allocations when `sampling`);
   *   `reportFile` is where native code writes the report made in V8's
   *   near-heap-limit callback
   */
  constructor(sampler, { intervalMs, profiler, sampling = true, nearHeapLimitFraction, onNearLimit, reportFile, bufferSites = null }) {
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
    this.reportFile = reportFile;
    this.limitRaise = limitRaise(limit);
    /** The container's memory limit (bytes) or null, and its alarm level. */
    this.memoryLimit = containerMemoryLimit();
    this.nearMemoryBytes = this.memoryLimit === null ? Infinity : nearHeapLimitFraction * this.memoryLimit;
    this.nearMemoryFired = false;
    this.lastRss = 0;
    try {
      sampler.setMemoryLimit(this.memoryLimit);
    } catch {
      // a torn-down sampler
    }
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
    /** Post-GC points against units of work (lib/sampler/work.js). */
    this.work = new WorkFit();
    /** Buffer allocations by call site (lib/sampler/buffer-sites.js), armed on the thread's request; null when off. */
    this.bufferSites = bufferSites;
    // A site's Buffers count once they lived through a major GC (the feed's count).
    if (bufferSites !== null) bufferSites.majorGcs = () => this.cells[CELL.MAJOR_GCS];
    this.buffersWantedAt = 0;
    this.buffersSent = false;
  }

  start() {
    // Sampling from the start, so that live bytes per allocation site exist
    // the moment growth is judged; the profile is read only on request.
    if (this.profiler !== null && this.sampling) this.profiler.start();
    this.work.start();
    this.lastBeat = performance.now();
    this.beat();
    this.timer = realSetInterval(() => this.beat(), this.intervalMs);
    this.timer.unref();
    const why = this.sampler.watchGc(
      (old) => this.onNearLimitGc(old),
      (json) => this.onLimitReport(json),
      this.reportFile ?? null,
      this.limitRaise,
    );
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
    if (this.bufferSites !== null) this.bufferSites.disarm();
    appCaches.stop();
    this.work.stop();
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
    this.checkMemoryLimit(m.rss);
    return m;
  }

  /** RSS past the alarm level of the container's limit and rising: the verdict now. */
  checkMemoryLimit(rss) {
    const rising = rss > this.lastRss;
    this.lastRss = rss;
    if (this.nearMemoryFired || rss < this.nearMemoryBytes || !rising) return;
    this.nearMemoryFired = true;
    const began = performance.now();
    try {
      const p = this.profiler;
      if (p !== null && p.running) p.read((allocations) => this.publishAllocations(allocations));
      this.onNearLimit(this.sampler.nearMemoryLimitJson(rss, this.memoryLimit));
    } catch {
      // a torn-down sampler: nothing to report to
    }
    this.cells[CELL.JS_BUSY_MS] += performance.now() - began;
  }

  /**
   * The report made in V8's near-heap-limit callback (already in the report
   * file), delivered once the JS thread runs again; nothing more when the
   * estimate reported first (the callback then made none).
   */
  onLimitReport(json) {
    if (this.nearLimitFired) return;
    this.nearLimitFired = true;
    this.cells[CELL.NEAR_LIMIT_BYTES] = Infinity;
    const began = performance.now();
    let out = json;
    try {
      // Within the raised limit: one profile read for suspects, then the
      // report made again with them (the native one had none).
      const p = this.profiler;
      if (p !== null && p.running) {
        p.read((allocations) => this.publishAllocations(allocations));
        const near = JSON.parse(json).nearHeapLimit;
        if (near) out = this.sampler.nearHeapLimitJson(near.usedBytes, near.limitBytes);
      }
    } catch {
      // the native report is still there
    }
    try {
      this.onNearLimit(out);
    } catch {
      // onNearLimit never throws; a torn-down sampler has nothing to report to
    }
    this.cells[CELL.JS_BUSY_MS] += performance.now() - began;
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
    // The application's lru-caches: sizes into their rows, the channel at a
    // low duty cycle (higher while the post-GC baseline rises).
    this.observeWork();
    appCaches.beat(this.work.rising());
    this.serve();
    this.observeWork();
    this.observeBuffers();
    c[CELL.JS_BUSY_MS] += performance.now() - now;
  }

  /**
   * Arms Buffer sampling while the thread asks for it (and for a window
   * after it stopped asking), and sends the sites whose live bytes grew.
   */
  observeBuffers() {
    const b = this.bufferSites;
    if (b === null) return;
    const now = Date.now();
    if (this.cells[CELL.WANT_BUFFERS] === 1) {
      this.buffersWantedAt = now;
      if (!b.armed) b.arm(now);
    } else if (b.armed && now - this.buffersWantedAt > b.windowMs) {
      b.disarm();
    }
    if (!b.armed && !this.buffersSent) return;
    const sites = b.observe(now);
    this.buffersSent = sites.length > 0;
    try {
      this.sampler.setBufferSitesJson(JSON.stringify(sites));
    } catch {
      // a torn-down sampler: nothing to report to
    }
  }

  /** The latest post-GC sample (V8's or a forced one) as a point of the work fit. */
  observeWork() {
    const c = this.cells;
    this.work.observe(c[CELL.POSTGC_SEQ], c[CELL.POSTGC_T], c[CELL.POSTGC_USED]);
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

module.exports = { HeapFeed, CELL, containerMemoryLimit, limitRaise };
