'use strict';
// The settings of start(), in one table. Each row gives an option's name,
// type, range, default, environment variable (leakguard/register), unit and
// doc line; everything else is derived from it:
//
// - the accepted names (OPTION_NAMES.start in lib/internal/options.js);
// - validation and defaults (`resolveSettings`, which start() calls);
// - the environment grammar (lib/internal/env.js reads the `env` column);
// - what crosses to Rust (`nativeSettings`: the rows marked `native`, under
//   the same names, as the `SamplerSettings` object of src/sampler/binding.rs);
// - the options table of docs/sampler.md and the `StartOptions` interface of
//   lib/sampler/index.d.ts (`scripts/settings-docs.js` writes both;
//   __test__/settings.test.js fails when they are stale).
//
// Adding an option is a row here, its use (in JavaScript, or, when `native`,
// a field of the Rust `SamplerSettings`, its line in `From` and its use in the
// core), and its test; then `node scripts/settings-docs.js` rewrites the docs
// table and the types.
//
// A boolean row with `choices` also takes one of those strings (in start()
// and in its variable).
//
// `min`, `max` and `default` may be functions of the settings resolved so far
// (rows are resolved in table order). `shown` is the default as the docs state
// it. This module requires nothing: lib/internal/ reads it.

const MiB = 1024 * 1024;
const DEFAULT_INTERVAL_MS = 1000;

const SETTINGS = Object.freeze(
  [
    {
      name: 'intervalMs',
      type: 'integer',
      min: 10,
      max: 600_000,
      default: DEFAULT_INTERVAL_MS,
      shown: '1000',
      unit: 'ms',
      env: 'LEAKGUARD_INTERVAL_MS',
      native: true,
      doc: 'sampling period',
    },
    {
      name: 'windowMs',
      type: 'integer',
      min: (o) => 4 * o.intervalMs,
      max: 86_400_000,
      default: (o) => Math.max(8000, 16 * o.intervalMs),
      shown: 'max(8000, 16 × intervalMs)',
      unit: 'ms',
      env: 'LEAKGUARD_WINDOW_MS',
      native: true,
      doc: 'short horizon (at least 4 × `intervalMs`); one window of rising floors is the fastest verdict',
    },
    {
      name: 'longWindowFactor',
      type: 'integer',
      min: 1,
      max: 1000,
      default: 8,
      shown: '8',
      unit: 'windows',
      native: true,
      doc: 'long horizon = `windowMs × longWindowFactor`, for slow leaks',
    },
    {
      name: 'warmupMs',
      type: 'integer',
      min: 0,
      max: 86_400_000,
      // The longest warm-up; it ends earlier once the heap stopped rising for
      // half a window. Growth that starts with the process and stops within
      // it is never a leak; growth that goes on is judged from half a window
      // before its end. At least 10 s: a service that loads its data for
      // ~10 s after start is a warm-up, even at a short window.
      default: (o) => Math.max(o.windowMs, 10_000),
      shown: 'max(`windowMs`, 10000)',
      unit: 'ms',
      env: 'LEAKGUARD_WARMUP_MS',
      native: true,
      doc: 'the longest warm-up: growth from start that stops within it is never a leak, growth that goes on is judged from half a window before its end; it ends earlier once the heap stopped rising for half a window',
    },
    {
      name: 'minGrowthBytes',
      type: 'integer',
      min: 1,
      default: 4 * MiB,
      shown: '4 MiB',
      unit: 'bytes',
      env: 'LEAKGUARD_MIN_GROWTH_BYTES',
      native: true,
      doc: 'growth over a horizon that counts (heap, external)',
    },
    {
      name: 'minRssGrowthBytes',
      type: 'integer',
      min: 1,
      default: 16 * MiB,
      shown: '16 MiB',
      unit: 'bytes',
      native: true,
      doc: 'the same for native memory (RSS not explained by the heap or external memory; long horizon only)',
    },
    {
      name: 'minSiteGrowth',
      type: 'integer',
      min: 1,
      default: 20,
      shown: '20',
      unit: 'items',
      native: true,
      doc: 'growth of a timer/listener/cache row over a horizon that makes it a suspect',
    },
    {
      name: 'minGcGapMs',
      type: 'integer',
      min: 0,
      max: 86_400_000,
      default: (o) => Math.max(1000, 4 * o.intervalMs),
      shown: 'max(1000, 4 × intervalMs)',
      unit: 'ms',
      native: true,
      doc: 'least time between two forced GCs',
    },
    {
      name: 'allocations',
      type: 'boolean',
      default: true,
      shown: 'true',
      unit: 'boolean',
      env: 'LEAKGUARD_ALLOCATIONS',
      native: true,
      doc: "run V8's sampling heap profiler from `start()` (confirming GCs are forced either way)",
    },
    {
      name: 'samplingIntervalBytes',
      type: 'integer',
      min: 1024,
      max: 1 << 30,
      default: 512 * 1024,
      shown: '524 288 (512 KiB)',
      unit: 'bytes',
      doc: "the sampling heap profiler's interval: on average one sample per this many bytes allocated",
    },
    {
      name: 'arrayBufferSites',
      type: 'boolean',
      default: false,
      shown: 'false',
      unit: 'boolean',
      env: 'LEAKGUARD_ARRAY_BUFFER_SITES',
      doc: "while off-heap growth is suspected, also sample `new ArrayBuffer`, `new SharedArrayBuffer` and typed-array constructors by call site, as Buffer's factories are; those globals are replaced by a Proxy of each while armed (same statics, prototype and `instanceof`, another identity: see sampler.md, \"Off-heap attribution\")",
    },
    {
      name: 'suspectWaitMs',
      type: 'integer',
      min: 0,
      max: 600_000,
      default: (o) => Math.max(2000, 4 * o.intervalMs),
      shown: 'max(2000, 4 × intervalMs)',
      unit: 'ms',
      native: true,
      doc: 'longest wait for a suspect (and, for a heap leak, for a profile read) before the first leak report goes without it',
    },
    {
      name: 'registryMinRate',
      type: 'number',
      min: 0.001,
      default: 100,
      shown: '100',
      unit: 'items/s',
      native: true,
      doc: 'a timer, listener or unbounded-cache row rising this fast, with `registryMinLive` live, is a leak verdict by itself',
    },
    {
      name: 'registryMinLive',
      type: 'integer',
      min: 1,
      default: 1000,
      shown: '1000',
      unit: 'items',
      native: true,
      doc: 'the live count that, with `registryMinRate`, makes a rising row a leak verdict by itself',
    },
    {
      name: 'maxForcedGcPauseMs',
      type: 'integer',
      min: 0,
      max: 600_000,
      default: 250,
      shown: '250',
      unit: 'ms',
      native: true,
      doc: 'no forced GC expected to pause longer than this; 0: never force one',
    },
    {
      name: 'forcedGcPercent',
      type: 'number',
      min: 0,
      max: 100,
      default: 1,
      shown: '1',
      unit: '% of wall time',
      native: true,
      doc: 'forced GCs take at most this share of the time since `start()`',
    },
    {
      name: 'nearHeapLimitFraction',
      type: 'number',
      min: 0.1,
      max: 1,
      // V8 gives up ("ineffective mark-compacts near heap limit") once the old
      // generation is past 80% of its limit and GC leaves the program < 40% of
      // the time: the alarm must ring before that.
      default: 0.7,
      shown: '0.7',
      unit: 'fraction',
      doc: 'report at once when the old generation passes this share of its limit, or RSS this share of the container\'s memory limit, while rising',
    },
    {
      name: 'reportFile',
      type: 'path',
      default: undefined,
      shown: 'none',
      unit: 'path',
      doc: 'also write each leak report (JSON) there, synchronously and atomically (a temporary file with a random name, created exclusively without following a link, then renamed); a file that cannot be written is one `LEAKGUARD_REPORT_WRITE_FAILED` warning',
    },
    {
      name: 'onLeak',
      type: 'function',
      tsType: '(report: Report) => void',
      default: undefined,
      shown: 'none',
      unit: 'function',
      doc:
        'called on the JavaScript thread with each leak report (see "The sequence of reports"), and synchronously near the heap limit; a throw becomes a process warning',
    },
    {
      name: 'timers',
      type: 'boolean',
      default: true,
      shown: 'true',
      unit: 'boolean',
      env: 'LEAKGUARD_TIMERS',
      doc: 'turn on the timers patch while running',
    },
    {
      name: 'listeners',
      type: 'boolean',
      // Beside true and false, the ledger's mode (lib/listeners): true is 'sampled'.
      choices: ['sampled', 'exact'],
      tsType: "boolean | 'sampled' | 'exact'",
      default: true,
      shown: 'true',
      unit: "boolean or 'sampled' / 'exact'",
      env: 'LEAKGUARD_LISTENERS',
      doc: "turn on the listener ledger while running, with sampled books (`true`, `'sampled'`) or exact books (`'exact'`; see listeners.md)",
    },
  ].map((row) => Object.freeze(row)),
);

/** Every option name start() accepts, in table order. */
const START_OPTIONS = Object.freeze(SETTINGS.map((row) => row.name));

const valueOf = (v, resolved) => (typeof v === 'function' ? v(resolved) : v);

/**
 * The settings with `given` values where present, else their defaults, each
 * checked by `validate(row, value, { min, max })` (which returns the value or
 * throws). `given` has already been checked for unknown names.
 */
function resolveSettings(given, validate) {
  const resolved = {};
  for (const row of SETTINGS) {
    const bounds = {};
    if (row.min !== undefined) bounds.min = valueOf(row.min, resolved);
    if (row.max !== undefined) bounds.max = valueOf(row.max, resolved);
    const value = validate(row, given[row.name], bounds);
    resolved[row.name] = value !== undefined ? value : valueOf(row.default, resolved);
  }
  return resolved;
}

/**
 * The defaults that depend on the sampling interval (and window): every
 * setting but onLeak.
 */
function defaultsFor(intervalMs = DEFAULT_INTERVAL_MS, windowMs = undefined) {
  const given = { intervalMs, windowMs };
  const d = resolveSettings(given, (row, value) => value);
  delete d.onLeak;
  return d;
}

/** The resolved settings the Rust sampler receives (`SamplerSettings` in src/sampler/binding.rs). */
function nativeSettings(resolved) {
  const out = {};
  for (const row of SETTINGS) if (row.native) out[row.name] = resolved[row.name];
  return out;
}

/**
 * When a leak's first verdict can come at these settings, in milliseconds:
 * after the warm-up (at most `warmupMs`), one window of rising floors, then
 * the confirming GC and the wait for suspects.
 */
function firstVerdictMs(o) {
  return { afterLeakStartMs: o.windowMs + o.suspectWaitMs, warmupAtMostMs: o.warmupMs };
}

module.exports = { SETTINGS, START_OPTIONS, DEFAULT_INTERVAL_MS, MiB, resolveSettings, defaultsFor, nativeSettings, firstVerdictMs };
