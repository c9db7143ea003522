'use strict';
// The preload entry: `node -r leakguard/register app.js` (or `--import
// leakguard/register` for ESM, through register.mjs). Calls start() configured
// from environment variables, prints one line to stderr saying what is on and
// when a first verdict can come, and prints the report to stderr when the
// verdict turns leaking (and again when it changes materially).
//
//   LEAKGUARD_DISABLE=1|true        do nothing (one line on stderr says so)
//   LEAKGUARD_INTERVAL_MS=1000      sampling period, ms (10 .. 600000)
//   LEAKGUARD_WINDOW_MS             short horizon, ms (default max(8000, 16 x interval))
//   LEAKGUARD_WARMUP_MS             samples this long after start are never judged, ms (default = window)
//   LEAKGUARD_MIN_GROWTH_BYTES      minimum heap growth over a horizon (default 4 MiB)
//   LEAKGUARD_TIMERS=0              leave timers unpatched
//   LEAKGUARD_LISTENERS=0           leave the listener ledger off
//   LEAKGUARD_ALLOCATIONS=0         never run the sampling heap profiler
//   LEAKGUARD_ARRAY_BUFFER_SITES=1  also sample new ArrayBuffer / typed arrays by call site while off-heap growth is suspected
//   LEAKGUARD_REPORT=stderr|json|none   what to print on a leak (default stderr)
//   LEAKGUARD_REPORT_FILE=path      also write each leak report there, synchronously
//   LEAKGUARD_QUIET=1               no start-up line
//
// The grammar and the table of names are in lib/internal/env.js (docs:
// docs/register.md). Each malformed, out-of-range or unknown variable is
// reported as a process warning (LEAKGUARD_BAD_ENV) and dropped alone: the
// other variables still apply. leakguard failing to start at all (the native
// addon not built for this platform, a worker's resource limits, …) is
// reported as one (LEAKGUARD_START_FAILED) and the application runs without
// it: a preload must never stop the application from starting.

const { readEnv } = require('./lib/internal/env');
const { WARNINGS, warn: emitWarning } = require('./lib/internal/errors');
const { escapeText } = require('./lib/internal/text');

function warn(message, code = WARNINGS.BAD_ENV) {
  emitWarning(code, `leakguard/register: ${message}`);
}

function resolveStartOptions(options) {
  return require('./lib/sampler').resolveOptions(options);
}

/**
 * Options for start() from an environment (with onLeak printing the report
 * as LEAKGUARD_REPORT says); each bad variable is warned about and skipped.
 */
function optionsFromEnv(env, formatReport = require('./lib/sampler').formatReport) {
  const { options, output, warnings } = readEnv(env, resolveStartOptions);
  for (const message of warnings) warn(message);
  if (output !== 'none') {
    options.onLeak = (report) => {
      process.stderr.write(output === 'json' ? `${JSON.stringify(report)}\n` : formatReport(report));
    };
  }
  return options;
}

/** The start-up line: what is on, and when the first verdict can come. */
function startupLine(o) {
  const { firstVerdictMs } = require('./lib/sampler/settings');
  const on = ['sampler'];
  if (o.timers) on.push('timers');
  if (o.listeners) on.push('listeners');
  if (o.allocations) on.push(`allocation sampling every ${Math.round(o.samplingIntervalBytes / 1024)} KiB`);
  const f = firstVerdictMs(o);
  const s = (ms) => `${Math.round(ms / 100) / 10} s`;
  return (
    `leakguard: on (${on.join(', ')}; every ${o.intervalMs} ms, pid ${process.pid}). ` +
    `A leak is reported ~${s(f.afterLeakStartMs)} after it starts (warm-up at most ${s(f.warmupAtMostMs)}), ` +
    `at once near the heap limit. LEAKGUARD_QUIET=1 hides this line.\n`
  );
}

/** start() from the environment; every failure becomes a warning, never a throw. */
function startFromEnv(env) {
  try {
    const { disabled, warnings, quiet } = readEnv(env, resolveStartOptions);
    if (disabled) {
      for (const message of warnings) warn(message);
      process.stderr.write(`leakguard: off (LEAKGUARD_DISABLE=${escapeText(env.LEAKGUARD_DISABLE)}); not started\n`);
      return;
    }
    const { start, formatReport, runningOptions } = require('./lib/sampler');
    start(optionsFromEnv(env, formatReport));
    const o = runningOptions();
    // One line per process: workers that load register stay silent.
    if (o !== null && !quiet && require('node:worker_threads').isMainThread) process.stderr.write(startupLine(o));
  } catch (err) {
    warn(`leakguard did not start and the application runs without it: ${err && err.stack ? err.stack : err}`, WARNINGS.START_FAILED);
  }
}

startFromEnv(process.env);

module.exports = { optionsFromEnv, startupLine };
