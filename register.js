'use strict';
// The preload entry: `node -r leakguard/register app.js` (or `--import
// leakguard/register` for ESM, through register.mjs). Calls start() configured
// from environment variables, prints one line to stderr saying what is on and
// when a first verdict can come, and prints the report to stderr when the
// verdict turns leaking (and again when it changes materially).
//
//   LEAKGUARD_DISABLE=1             do nothing
//   LEAKGUARD_INTERVAL_MS=1000      sampling period, ms (10 .. 600000)
//   LEAKGUARD_WINDOW_MS             short horizon, ms (default max(8000, 32 x interval))
//   LEAKGUARD_WARMUP_MS             samples this long after start are never judged, ms (default = window)
//   LEAKGUARD_MIN_GROWTH_BYTES      minimum heap growth over a horizon (default 4 MiB)
//   LEAKGUARD_TIMERS=0              leave timers unpatched
//   LEAKGUARD_LISTENERS=0           leave the listener ledger off
//   LEAKGUARD_ALLOCATIONS=0         never run the sampling heap profiler
//   LEAKGUARD_REPORT=stderr|json|none   what to print on a leak (default stderr)
//   LEAKGUARD_REPORT_FILE=path      also write each leak report there, synchronously
//   LEAKGUARD_QUIET=1               no start-up line
//
// A malformed variable is reported as a process warning (LEAKGUARD_BAD_ENV)
// and ignored, and leakguard failing to start at all (the native addon not
// built for this platform, a worker's resource limits, …) is reported as one
// (LEAKGUARD_START_FAILED) and the application runs without it: a preload
// must never stop the application from starting.


const INTEGER_VARS = {
  LEAKGUARD_INTERVAL_MS: 'intervalMs',
  LEAKGUARD_WINDOW_MS: 'windowMs',
  LEAKGUARD_WARMUP_MS: 'warmupMs',
  LEAKGUARD_MIN_GROWTH_BYTES: 'minGrowthBytes',
};
const BOOLEAN_VARS = {
  LEAKGUARD_TIMERS: 'timers',
  LEAKGUARD_LISTENERS: 'listeners',
  LEAKGUARD_ALLOCATIONS: 'allocations',
};

function warn(message, code = 'LEAKGUARD_BAD_ENV') {
  process.emitWarning(`leakguard/register: ${message}`, { code });
}

/** Options for start() from an environment; bad values are warned about and skipped. */
function optionsFromEnv(env, formatReport = require('./lib/sampler').formatReport) {
  const options = {};
  for (const [name, option] of Object.entries(INTEGER_VARS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isInteger(n)) warn(`${name}=${JSON.stringify(raw)} is not an integer; ignored`);
    else options[option] = n;
  }
  for (const [name, option] of Object.entries(BOOLEAN_VARS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (raw === '0' || raw === 'false') options[option] = false;
    else if (raw === '1' || raw === 'true') options[option] = true;
    else warn(`${name}=${JSON.stringify(raw)} is not 0/1; ignored`);
  }
  let output = env.LEAKGUARD_REPORT || 'stderr';
  if (!['stderr', 'json', 'none'].includes(output)) {
    warn(`LEAKGUARD_REPORT=${JSON.stringify(output)} is not stderr, json or none; using stderr`);
    output = 'stderr';
  }
  if (env.LEAKGUARD_REPORT_FILE) options.reportFile = env.LEAKGUARD_REPORT_FILE;
  if (output !== 'none') {
    options.onLeak = (report) => {
      process.stderr.write(output === 'json' ? `${JSON.stringify(report)}\n` : formatReport(report));
    };
  }
  return options;
}

/** The start-up line: what is on, and when the first verdict can come. */
function startupLine(o) {
  const { firstVerdictMs } = require('./lib/sampler/defaults');
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
    const { start, formatReport, runningOptions } = require('./lib/sampler');
    const options = optionsFromEnv(env, formatReport);
    try {
      start(options);
    } catch (err) {
      if (!err || err.code !== 'ERR_LEAKGUARD_INVALID_OPTION') throw err;
      // An out-of-range value: warn and start with the defaults for it.
      warn(`${err.message}; starting with defaults`);
      const { onLeak, timers, listeners, allocations, reportFile } = options;
      start({ onLeak, timers, listeners, allocations, reportFile });
    }
    const o = runningOptions();
    // One line per process: workers that load register stay silent.
    const quiet = env.LEAKGUARD_QUIET === '1' || env.LEAKGUARD_QUIET === 'true' || !require('node:worker_threads').isMainThread;
    if (o !== null && !quiet) process.stderr.write(startupLine(o));
  } catch (err) {
    warn(`leakguard did not start and the application runs without it: ${err && err.stack ? err.stack : err}`, 'LEAKGUARD_START_FAILED');
  }
}

if (process.env.LEAKGUARD_DISABLE !== '1') startFromEnv(process.env);

module.exports = { optionsFromEnv, startupLine };
