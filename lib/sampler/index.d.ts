// Types of the HeapSampler's public API (lib/sampler/index.js).

/** A source position: 1-based line and column, `file` an absolute path (for code with no file, such as `node -e` or a REPL line, the name its stack frames print: `[eval]`, `REPL1`). */
export interface ReportSite {
  file: string;
  line: number;
  column: number;
  functionName: string | null;
  /** The frame is inside a `node_modules` folder. */
  nodeModules?: boolean;
}

/** One expression that adds to a container living longer than the call (allocation suspects). */
export interface AllocationCandidate {
  /** Absolute path; the original file under --enable-source-maps. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** The expression, on one line, e.g. "inflight.set(id, ctx)" (a long right-hand side shown as …). */
  text: string;
  /** The container's expression, e.g. "inflight", "this.items", "cache.byUser". */
  container: string;
  /**
   * Where the container lives: module scope, a global, an enclosing function's
   * scope, `this`, or a parameter (the caller's container). For a local that
   * holds part of such a container (`const users = tenants.get(id)`), the
   * scope of that container.
   */
  scope: 'module' | 'global' | 'closure' | 'this' | 'parameter';
  /** The scope in words, e.g. "module scope", "closure of makeStore", "part of `tenants`, module scope". */
  scopeText: string;
  /** The operation: a method name (`push`, `set`, `add`, …), `index` (x[k] = …), `property` (x.p = …), `append` (+=), `assign` (Object.assign), `concat`, `spread`, `chain` (a new value that keeps the old one: `x = { next: x }`). */
  method: string;
  /** The growing builtin of the allocation stack is this candidate's operation (e.g. `Map.prototype.set` and `.set(`). */
  builtinMatch: boolean;
  /** Set when the line is in a function the suspect calls (same file), which V8 may have inlined into it. */
  inlined: { functionName: string; line: number; endLine: number } | null;
  /**
   * Set when the named function grows no container itself (a factory, or a
   * callback given to `Array.from`/`map`) and the line is in a caller on its
   * allocation stack, which stores what it made.
   */
  caller: { functionName: string; line: number; endLine: number } | null;
}

/** One frame of an allocation's whole stack, nearest first. */
export interface AllocationFrame {
  /** Builtins by their readable name, e.g. `Map.prototype.set`. */
  functionName: string | null;
  file: string | null;
  line: number | null;
  column: number | null;
  /** `builtin`: a V8 builtin; `user`: application code; `dependency`: under node_modules; `internal`: Node's own code or leakguard's. */
  kind: 'builtin' | 'user' | 'dependency' | 'internal';
}

/** One ranked suspect, most likely first in `Report.suspects`. */
export interface Suspect {
  /**
   * `cache`, `timer` and `listener` come from leakguard's registries (exact
   * line); `allocation` from V8's sampling heap profiler (function-level);
   * `buffer` from Buffer allocations sampled by call site while off-heap
   * growth is suspected (exact line; docs/sampler.md, "Off-heap attribution").
   */
  kind: 'cache' | 'timer' | 'listener' | 'allocation' | 'buffer';
  site: ReportSite | null;
  /** User frames, nearest first. */
  stack: ReportSite[];
  /** Live items (timers, listeners, cache entries), sampled live allocations, or estimated live Buffers. */
  count: number;
  /** Per second: items for registry suspects, bytes for allocation and buffer suspects. */
  growth: number;
  /** Estimated live bytes attributable to the suspect. */
  bytes: number;
  /** One sentence, e.g. "setInterval at /srv/tenants.js:4:3 has 1 250 live intervals, growing 250/s". */
  description: string;
  /** A cache's name. */
  name?: string;
  /** Timer kind (`timeout`/`interval`), event name, cache class, or the Buffer factory called (`Buffer.concat`). */
  detail?: string;
  /** `line`: exact creation site; `function`: the function that allocated. */
  precision: 'line' | 'function';
  /** Ranking weight (estimated retained bytes per second). */
  score: number;
  /**
   * Allocation suspects: the lines of the function (and of callees V8 may
   * have inlined) that add to a longer-lived container, most likely first.
   * With exactly one, `site` is that line and `precision` is `line`. Absent
   * when the profile read that named the suspect is not available.
   */
  candidates?: AllocationCandidate[];
  /** Allocation suspects: the container-growing builtin the function called, e.g. `Map.prototype.set`, or null. */
  growingBuiltin?: string | null;
  /** Allocation suspects: a whole allocation stack, builtins included, nearest first: through `growingBuiltin` when there is one, else the suspect's largest sampled allocation. */
  allocationStack?: AllocationFrame[];
  /** Allocation suspects: set when the top candidate is in a callee V8 may have inlined into the named function. */
  inlinedNote?: string | null;
  /** Allocation suspects: the function the profile named, with its line span (null when its source could not be read). */
  function?: { name: string | null; file: string; line: number; endLine: number; topLevel: boolean } | null;
  /**
   * Allocation suspects: the other functions the profile charged with the
   * same growing line (a function and the caller V8 inlined it into), merged
   * into this suspect, whose `bytes`, `growth`, `count` and `score` are the
   * sums. Absent when there is none.
   */
  alsoVia?: Array<{
    site: ReportSite | null;
    function: { name: string | null; file: string; line: number; endLine: number; topLevel: boolean } | null;
    stack: ReportSite[];
    allocationStack: AllocationFrame[];
    bytes: number;
    growth: number;
    count: number;
  }>;
}

/** One live leakguard cache of this thread, in `Report.caches`; null where the cache does not know a figure. */
export interface ReportCache {
  name: string | null;
  /**
   * 'lru' (LruCache), 'offheap' (OffHeapCache), or 'lru-cache': an instance of
   * the npm package lru-cache (11.5 on) that the application made, found on its
   * `lru-cache:metrics` diagnostics channel; `site` is the line that first
   * touched it while leakguard listened, and `hits`/`misses` count lookups seen
   * while it listened (docs/cache.md).
   */
  kind: 'lru' | 'offheap' | 'lru-cache';
  site: { file: string; line: number; column: number; functionName: string | null } | null;
  /** Entries (an OffHeapCache: the whole shared store's). */
  size: number;
  max: number | null;
  maxSize: number | null;
  /** Bytes the entries take (OffHeapCache); null for LruCache. */
  bytes: number | null;
  hits: number;
  misses: number;
  /** hits / (hits + misses), null before the first lookup. */
  hitRate: number | null;
  /** null for an lru-cache (its channel does not publish evictions). */
  evictions: number | null;
  /** Loads (LruCache fetch) in flight. */
  inflight: number;
}

export interface LatencySummary {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** A bounded leakguard cache still filling towards its bound (not a leak). */
export interface FillingCache {
  name: string | null;
  /** The cache class, e.g. `LruCache`. */
  class: string | null;
  site: ReportSite | null;
  size: number;
  max: number;
  /** size / max, in percent. */
  percent: number;
  /** Entries per second over the last window. */
  growthPerSec: number;
  /** "cache 'catalogue' filling, 12% of max (7 200 of 60 000, +600/s)". */
  description: string;
}

/** One kind of unit of work in `Report.work`. */
export interface WorkUnit {
  /** 'http.request' (HTTP server requests), or a name given to `work()`. */
  name: string;
  /** Units counted since the process loaded leakguard. */
  total: number;
  /** Units per second since start(). */
  perSec: number;
  /** Slope of the post-GC heap against this unit's count: bytes retained per unit; null before enough post-GC points. */
  bytesPerUnit: number | null;
  /** Quality of that fit (r², 0 … 1); null with `bytesPerUnit`. */
  r2: number | null;
}

/**
 * Growth per unit of work (docs/sampler.md, "Growth per unit of work"): the
 * heap after each full GC, fitted by least squares against each unit's count
 * and against time.
 */
export interface WorkReport {
  /** Best fit (highest r²) first. */
  units: WorkUnit[];
  /** Slope of the post-GC heap against time, and its r²; null before enough points. */
  bytesPerSec: number | null;
  timeR2: number | null;
  /** Post-GC points fitted (the last 240 at most). */
  points: number;
  /**
   * 'work': the growth follows `unit` (its fit leaves at most half the
   * residual variance of the fit against time); 'time': it follows time
   * (the reverse); null: not told apart (the rate of work has not varied
   * enough, no unit counted, or too few points).
   */
  growsWith: 'work' | 'time' | null;
  unit: string | null;
}

/** What `report()` returns. */
export interface Report {
  /** Growth per unit of work; only in the reports of a running sampler (and the last one after stop()). */
  work?: WorkReport;
  leaking: boolean;
  /** Epoch ms when the verdict turned leaking, or null. */
  since: number | null;
  /** Set on a leaking report without suspects: why none could be named. */
  note?: string | null;
  /** Bounded leakguard caches below their bound that grew over the last window. */
  filling?: FillingCache[];
  /** True while those caches explain the heap's growth (which then does not make `leaking` true). */
  explainedByCaches?: boolean;
  /** Set once the old generation passed `nearHeapLimitFraction` of its limit while rising: its bytes then, and that limit. */
  nearHeapLimit?: { at: number; usedBytes: number; limitBytes: number } | null;
  /** Set once RSS passed `nearHeapLimitFraction` of the container's memory limit while rising: RSS then, and that limit. */
  nearMemoryLimit?: { at: number; rssBytes: number; limitBytes: number } | null;
  /** Epoch ms. */
  generatedAt: number;
  /** False after stop() (the last report) or before start() (zeros). */
  running: boolean;
  heap: {
    usedBytes: number;
    totalBytes: number;
    rssBytes: number;
    externalBytes: number;
    arrayBuffersBytes: number;
    /** Post-GC heap outside the young generation: live memory. */
    baselineBytes: number;
    slopeBytesPerSec: number;
    externalSlopeBytesPerSec: number;
    rssSlopeBytesPerSec: number;
    /** RSS minus the V8 heap's committed size minus external memory. */
    nativeSlopeBytesPerSec: number;
    windowMs: number;
    longWindowMs: number;
    samples: number;
    majorGcs: number;
    forcedGcs: number;
    /** Milliseconds spent in forced GCs (and profile reads, which force one) since start(). */
    forcedGcMs?: number;
    /** Duration of the last forced GC, in milliseconds. */
    lastForcedGcMs?: number;
    /** Forced GCs the budget refused (natural major GCs are waited for instead). */
    forcedGcsRefused?: number;
    /** `v8.getHeapStatistics().heap_size_limit`. */
    heapLimitBytes?: number;
    /** The container's memory limit (memory cgroup, `process.constrainedMemory()`), null when there is none. */
    memoryLimitBytes?: number | null;
    /**
     * What is leaking: the series whose verdict is leaking (`rss`: RSS not
     * explained by the V8 heap or external memory), `registry` (a timer,
     * listener or unbounded cache row rising by itself), `heapLimit` (near
     * the heap limit and rising), `memoryLimit` (RSS near the container's
     * memory limit and rising).
     */
    growing: Array<'heap' | 'external' | 'rss' | 'registry' | 'heapLimit' | 'memoryLimit'>;
  };
  eventLoopLag: LatencySummary & { stalledMs: number };
  gcPause: LatencySummary & { count: number };
  suspects: Suspect[];
  /** Every live leakguard cache of this thread (held weakly: listing never keeps one alive). */
  caches: ReportCache[];
  sampler?: {
    intervalMs: number;
    droppedFeedEntries: number;
    trackedRows: number;
    startedAt: number | null;
    /**
     * How GCs are watched: 'v8', V8's own GC callbacks (no JavaScript per
     * GC); 'observer', a 'gc' PerformanceObserver, where the addon has no
     * callbacks for this V8 (docs/limits.md).
     */
    gcWatch?: 'v8' | 'observer';
    /** Why the callbacks are not used, when they are not. */
    gcWatchUnavailable?: string;
    /**
     * V8's sampling heap profiler (one per process), while allocation sampling
     * runs: `reader`, how its profile is read ('v8.startHeapProfile' without a
     * forced GC, where Node has it; 'inspector', HeapProfiler.getSamplingProfile
     * through node:inspector); `owner`, who started the sampling
     * ('other': another tool, whose sampling leakguard never stops);
     * `stoppedUnder`, how many times it was found stopped by other code and
     * started again (docs/limits.md).
     */
    allocationProfile?: {
      reader: 'v8.startHeapProfile' | 'inspector';
      owner: 'leakguard' | 'other' | null;
      stoppedUnder: number;
    };
    /** Epoch ms when the warm-up ended (it ends once the heap stopped rising for half a window). */
    warmupEndedAt?: number | null;
    /** What leakguard itself has cost since start(): busy milliseconds and their share of one core. */
    overhead: {
      elapsedMs: number;
      /** Sampler thread: wall time inside its ticks (an upper bound on its CPU time). */
      threadBusyMs: number;
      /** JS thread: heartbeat, near-limit checks, the GC observer if used, forced GCs (not the timers/listener wrappers). */
      jsBusyMs: number;
      threadPercent: number;
      jsPercent: number;
      /**
       * An estimate of the heap leakguard's timers patch and listener ledger
       * allocated since start() (the garbage collection they cause): what
       * they made, times the bytes each costs (docs/sampler.md, "Cost").
       */
      allocation?: {
        estimatedBytes: number;
        bytesPerSec: number;
        timersCreated: number;
        listenersCounted: number;
        emittersTracked: number;
      };
    };
  };
}

export interface StartOptions {
  // Generated from lib/sampler/settings.js by scripts/settings-docs.js.
  /** Sampling period (10 … 600 000). Unit: ms. Default 1000. */
  intervalMs?: number;
  /** Short horizon (at least 4 × `intervalMs`); one window of rising floors is the fastest verdict. Unit: ms. Default max(8000, 16 × intervalMs). */
  windowMs?: number;
  /** Long horizon = `windowMs × longWindowFactor`, for slow leaks (1 … 1 000). Unit: windows. Default 8. */
  longWindowFactor?: number;
  /** The longest warm-up: growth from start that stops within it is never a leak, growth that goes on is judged from half a window before its end; it ends earlier once the heap stopped rising for half a window (0 … 86 400 000). Unit: ms. Default max(windowMs, 10000). */
  warmupMs?: number;
  /** Growth over a horizon that counts (heap, external). Unit: bytes. Default 4 MiB. */
  minGrowthBytes?: number;
  /** The same for native memory (RSS not explained by the heap or external memory; long horizon only). Unit: bytes. Default 16 MiB. */
  minRssGrowthBytes?: number;
  /** Growth of a timer/listener/cache row over a horizon that makes it a suspect. Unit: items. Default 20. */
  minSiteGrowth?: number;
  /** Least time between two forced GCs (0 … 86 400 000). Unit: ms. Default max(1000, 4 × intervalMs). */
  minGcGapMs?: number;
  /** Run V8's sampling heap profiler from `start()` (confirming GCs are forced either way). Default true. */
  allocations?: boolean;
  /** The sampling heap profiler's interval: on average one sample per this many bytes allocated (1 024 … 1 073 741 824). Unit: bytes. Default 524 288 (512 KiB). */
  samplingIntervalBytes?: number;
  /** While off-heap growth is suspected, also sample `new ArrayBuffer`, `new SharedArrayBuffer` and typed-array constructors by call site, as Buffer's factories are; those globals are replaced by a Proxy of each while armed (same statics, prototype and `instanceof`, another identity: see sampler.md, "Off-heap attribution"). Default false. */
  arrayBufferSites?: boolean;
  /** Longest wait for a suspect (and, for a heap leak, for a profile read) before the first leak report goes without it (0 … 600 000). Unit: ms. Default max(2000, 4 × intervalMs). */
  suspectWaitMs?: number;
  /** A timer, listener or unbounded-cache row rising this fast, with `registryMinLive` live, is a leak verdict by itself. Unit: items/s. Default 100. */
  registryMinRate?: number;
  /** The live count that, with `registryMinRate`, makes a rising row a leak verdict by itself. Unit: items. Default 1000. */
  registryMinLive?: number;
  /** No forced GC expected to pause longer than this; 0: never force one (0 … 600 000). Unit: ms. Default 250. */
  maxForcedGcPauseMs?: number;
  /** Forced GCs take at most this share of the time since `start()` (0 … 100). Unit: % of wall time. Default 1. */
  forcedGcPercent?: number;
  /** Report at once when the old generation passes this share of its limit, or RSS this share of the container's memory limit, while rising (0.1 … 1). Unit: fraction. Default 0.7. */
  nearHeapLimitFraction?: number;
  /** Also write each leak report (JSON) there, synchronously and atomically (a temporary file with a random name, created exclusively without following a link, then renamed); a file that cannot be written is one `LEAKGUARD_REPORT_WRITE_FAILED` warning. Default none. */
  reportFile?: string;
  /** Called on the JavaScript thread with each leak report (see "The sequence of reports"), and synchronously near the heap limit; a throw becomes a process warning. Default none. */
  onLeak?: (report: Report) => void;
  /** Turn on the timers patch while running. Default true. */
  timers?: boolean;
  /** Turn on the listener ledger while running, with sampled books (`true`, `'sampled'`) or exact books (`'exact'`; see listeners.md). Unit: boolean or 'sampled' / 'exact'. Default true. */
  listeners?: boolean | 'sampled' | 'exact';
}

/**
 * Starts guarding. Unknown option names, wrong types and out-of-range values
 * throw ERR_LEAKGUARD_INVALID_OPTION. Calling it while running changes
 * nothing (options given then are not applied: a LEAKGUARD_ALREADY_STARTED
 * warning says so).
 */
export declare function start(options?: StartOptions): void;
/** Stops guarding and restores what start() changed. Idempotent. */
export declare function stop(): void;
/** The current report (the last one after stop()). */
export declare function report(): Report;
/** The human text form of a report; a field of the wrong type throws ERR_LEAKGUARD_INVALID_OPTION naming it. */
export declare function formatReport(report: Report): string;
/**
 * Counts `n` units of work named `name` (default one 'job'): the post-GC heap
 * is fitted against them, and `report().work` gives the bytes retained per
 * unit. A counter in JavaScript (no native call). At most 32 distinct names,
 * each 1 to 64 characters; `n` a finite number >= 0. HTTP server requests are
 * counted by themselves, as 'http.request'.
 */
export declare function work(name?: string, n?: number): void;
