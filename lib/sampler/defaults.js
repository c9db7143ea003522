'use strict';
// The sampler's defaults, in one place: start() applies them (lib/sampler/index.js),
// register prints what they imply, docs/sampler.md explains each. The Rust
// side receives every setting resolved and has no defaults of its own.

const MiB = 1024 * 1024;

/** Every option name start() accepts (the one list, kept with every entry's in lib/internal/options.js). */
const START_OPTIONS = require('../internal/options').OPTION_NAMES.start;

const DEFAULT_INTERVAL_MS = 1000;

/**
 * The defaults that depend on the sampling interval, in milliseconds unless
 * the name says otherwise.
 */
function defaultsFor(intervalMs = DEFAULT_INTERVAL_MS, windowMs = Math.max(8000, 16 * intervalMs)) {
  return {
    intervalMs,
    windowMs,
    longWindowFactor: 8,
    // The longest warm-up; it ends earlier once the heap stopped rising for
    // half a window.
    warmupMs: windowMs,
    minGrowthBytes: 4 * MiB,
    minRssGrowthBytes: 16 * MiB,
    minSiteGrowth: 20,
    minGcGapMs: Math.max(1000, 4 * intervalMs),
    allocations: true,
    samplingIntervalBytes: 512 * 1024,
    suspectWaitMs: Math.max(2000, 4 * intervalMs),
    registryMinRate: 100,
    registryMinLive: 1000,
    maxForcedGcPauseMs: 250,
    forcedGcPercent: 1,
    // V8 gives up ("ineffective mark-compacts near heap limit") once the old
    // generation is past 80% of its limit and GC leaves the program < 40% of
    // the time: the alarm must ring before that.
    nearHeapLimitFraction: 0.7,
    reportFile: undefined,
    timers: true,
    listeners: true,
  };
}

/**
 * When a leak's first verdict can come at these settings, in milliseconds:
 * after the warm-up (at most `warmupMs`), one window of rising floors, then
 * the confirming GC and the wait for suspects.
 */
function firstVerdictMs(o) {
  return { afterLeakStartMs: o.windowMs + o.suspectWaitMs, warmupAtMostMs: o.warmupMs };
}

module.exports = { START_OPTIONS, DEFAULT_INTERVAL_MS, defaultsFor, firstVerdictMs, MiB };
