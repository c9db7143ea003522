// Types of the HeapSampler's public API (lib/sampler/index.js).

/** A source position: 1-based line and column, `file` an absolute path. */
export interface ReportSite {
  file: string;
  line: number;
  column: number;
  functionName: string | null;
  /** The frame is inside a `node_modules` folder. */
  nodeModules?: boolean;
}

/** One ranked suspect, most likely first in `Report.suspects`. */
export interface Suspect {
  /** `cache`, `timer` and `listener` come from leakguard's registries (exact line); `allocation` from V8's sampling heap profiler (function-level). */
  kind: 'cache' | 'timer' | 'listener' | 'allocation';
  site: ReportSite | null;
  /** User frames, nearest first. */
  stack: ReportSite[];
  /** Live items (timers, listeners, cache entries), or sampled live allocations. */
  count: number;
  /** Per second: items for registry suspects, bytes for allocation suspects. */
  growth: number;
  /** Estimated live bytes attributable to the suspect. */
  bytes: number;
  /** One sentence, e.g. "setInterval at /srv/tenants.js:4:3 has 1 250 live intervals, growing 250/s". */
  description: string;
  /** A cache's name. */
  name?: string;
  /** Timer kind (`timeout`/`interval`), event name, or cache class. */
  detail?: string;
  /** `line`: exact creation site; `function`: the function that allocated. */
  precision: 'line' | 'function';
  /** Ranking weight (estimated retained bytes per second). */
  score: number;
}

/** One live leakguard cache of this thread, in `Report.caches`; null where the cache does not know a figure. */
export interface ReportCache {
  name: string | null;
  kind: 'lru' | 'offheap';
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
  evictions: number;
  /** Loads (LruCache fetch) in flight. */
  inflight: number;
}

export interface LatencySummary {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** What `report()` returns. */
export interface Report {
  leaking: boolean;
  /** Epoch ms when the verdict turned leaking, or null. */
  since: number | null;
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
    /** The series whose verdict is leaking (`rss`: RSS not explained by the V8 heap or external memory). */
    growing: Array<'heap' | 'external' | 'rss'>;
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
    /** What leakguard itself has cost since start(): busy milliseconds and their share of one core. */
    overhead: {
      elapsedMs: number;
      /** Sampler thread: wall time inside its ticks (an upper bound on its CPU time). */
      threadBusyMs: number;
      /** JS thread: heartbeat, GC observer and forced GCs (not the timers/listener wrappers). */
      jsBusyMs: number;
      threadPercent: number;
      jsPercent: number;
    };
  };
}

export interface StartOptions {
  /** Sampling period in milliseconds (10 .. 600000). Default 1000. */
  intervalMs?: number;
  /** Short horizon in milliseconds (>= 4 x intervalMs). Default max(8000, 32 x intervalMs). */
  windowMs?: number;
  /** Long horizon, in windows (slow leaks). Default 8. */
  longWindowFactor?: number;
  /**
   * Samples from this long after start are never judged (start-up growth is
   * not a leak); the first verdict needs a whole window after it. In
   * milliseconds. Default windowMs.
   */
  warmupMs?: number;
  /** Minimum heap/external growth over a horizon, in bytes. Default 4 MiB. */
  minGrowthBytes?: number;
  /** Minimum native-memory growth over a horizon, in bytes. Default 16 MiB. */
  minRssGrowthBytes?: number;
  /** Minimum growth of a call site's live count over a horizon, in items. Default 20. */
  minSiteGrowth?: number;
  /** Minimum gap between forced GCs, in milliseconds (also at least 100 x the last one's duration). Default max(1000, 4 x intervalMs). */
  minGcGapMs?: number;
  /** Attribute allocations with V8's sampling heap profiler while growth is suspected. Default true. */
  allocations?: boolean;
  /** Sampling heap profiler interval in bytes. Default 524288 (512 KiB). */
  samplingIntervalBytes?: number;
  /** Called on the JS thread when the verdict turns leaking, and again when it changes materially. A throw becomes a process warning. */
  onLeak?: (report: Report) => void;
  /** Patch timers while running. Default true. */
  timers?: boolean;
  /** Keep the listener ledger while running. Default true. */
  listeners?: boolean;
}

/** Starts guarding; calling it while running does nothing. */
export declare function start(options?: StartOptions): void;
/** Stops guarding and restores what start() changed. Idempotent. */
export declare function stop(): void;
/** The current report (the last one after stop()). */
export declare function report(): Report;
/** The human text form of a report. */
export declare function formatReport(report: Report): string;
