// Types of leakguard/test (lib/test/index.js): checkLeaks, assertNoLeaks, formatCheck.

import type { ReportSite, AllocationCandidate, AllocationFrame, ReportCache } from '../sampler/index';

/** What a check looks at. */
export type LeakCheckKind = 'heap' | 'timers' | 'listeners' | 'caches' | 'allocations';

export interface CheckLeaksOptions {
  /** Calls measured after the warm-up. Integer from 10. Default 1000. */
  iterations?: number;
  /** Calls made first and not measured (the engine and the code warm up). Integer ≥ 0. Default 100. */
  warmup?: number;
  /** Retained bytes per call from which the heap counts as leaking. Integer ≥ 1. Default 64. */
  threshold?: number;
  /** Heap readings after full GCs, spread over the iterations (plus one before them). Integer from 4 to `iterations`. Default 10. */
  points?: number;
  /** What is checked. Default all: `['heap', 'timers', 'listeners', 'caches', 'allocations']`. */
  kinds?: LeakCheckKind[];
  /** Bytes between allocation samples of V8's sampling heap profiler during the check. Integer ≥ 128. Default 4096. */
  samplingIntervalBytes?: number;
}

/** One suspect of a check, most likely first: same fields as `report()`'s suspects where they apply. */
export interface CheckSuspect {
  /** `timer` and `listener`: left live by the calls (exact line); `cache`: a leakguard cache that grew; `allocation`: a function whose allocations survived the calls. */
  kind: 'timer' | 'listener' | 'cache' | 'allocation';
  site: ReportSite | null;
  /** User frames, nearest first. */
  stack: ReportSite[];
  precision: 'line' | 'function';
  /** Items left live during the measured calls (timers, listeners, cache entries), or samples (allocations). */
  count: number;
  /** `count` per measured call (allocations: estimated bytes per call). */
  perCall: number;
  /** Allocations: estimated live bytes allocated here during the measured calls. */
  bytes?: number;
  description: string;
  /** Listeners: the event name (a symbol as its description string). */
  event?: string;
  /** Listeners: distinct emitters holding them. */
  emitters?: number;
  candidates?: AllocationCandidate[];
  growingBuiltin?: string | null;
  allocationStack?: AllocationFrame[];
  inlinedNote?: string | null;
  function?: { name: string | null; file: string; line: number; endLine: number; topLevel: boolean } | null;
}

/**
 * A bounded cache that gained entries during the check and is below 95% of
 * its bound: a leakguard cache, or ('lru-cache') an instance of the npm
 * package lru-cache that the checked function touched.
 */
export interface CheckFillingCache {
  name: string | null;
  kind: 'lru' | 'offheap' | 'lru-cache';
  site: ReportSite | null;
  size: number;
  max: number | null;
  /** Entries gained during the measured calls. */
  grown: number;
  description: string;
}

/** What `checkLeaks` resolves to. */
export interface LeakCheckReport {
  /** The heap grew by `threshold` bytes per call or more (not explained by caches filling), or a timer or listener site was left live per call. */
  leaking: boolean;
  since: null;
  generatedAt: number;
  running: false;
  bytesPerCall: {
    /** Least-squares slope of the post-GC heap over the calls. */
    value: number;
    /** The fit's coefficient of determination, 0..1. */
    r2: number;
    /** Median of the per-call growth between consecutive readings. */
    median: number;
    /** Slope over the second half of the readings. */
    lastHalf: number;
    threshold: number;
    /** Calls measured (fewer than `iterations` when the check stopped early). */
    calls: number;
    /** The readings: calls made, heap bytes used after full GCs (machine code left out). */
    points: { calls: number; bytes: number }[];
  };
  heap: {
    usedBytes: number;
    totalBytes: number;
    baselineBytes: number;
    growthBytes: number;
    /** `heap` and/or `registry` when leaking. */
    growing: ('heap' | 'registry')[];
  };
  suspects: CheckSuspect[];
  filling: CheckFillingCache[];
  /** The heap grew past the threshold, but bounded caches still filling explain it. */
  explainedByCaches: boolean;
  caches: ReportCache[];
  /** Set when leaking with no suspect: why none could be named. */
  note?: string;
  check: {
    iterations: number;
    warmup: number;
    calls: number;
    stoppedEarly: boolean;
    kinds: LeakCheckKind[];
    durationMs: number;
    /** How full GCs were made: the inspector's HeapProfiler.collectGarbage, or `gc`. */
    gc: 'inspector' | 'gc';
    /** `exact`: the check turned the listener ledger on with exact books; `already on`: it was on before; null: listeners not checked. */
    listenerBooks: 'exact' | 'already on' | null;
    /** The sampling interval in bytes, or null when allocations were not sampled. */
    allocationSampling: number | null;
    notes: string[];
  };
}

/** Runs `fn` warmup + iterations times (awaiting a returned promise) and reports what the calls retained. */
export declare function checkLeaks(fn: (i: number) => unknown, options?: CheckLeaksOptions): Promise<LeakCheckReport>;

/** `checkLeaks`, rejecting with an `AssertionError` (its `report` property set) whose message is `formatCheck(report)` when leaking. */
export declare function assertNoLeaks(fn: (i: number) => unknown, options?: CheckLeaksOptions): Promise<LeakCheckReport>;

/** A check's report as text. */
export declare function formatCheck(report: LeakCheckReport): string;
