'use strict';
// The preload entry: `node -r leakguard/register app.js` (or `--import
// leakguard/register` for ESM, through register.mjs). Calls start() configured
// from environment variables and prints the report to stderr when the verdict
// turns leaking (and again when it changes materially).
//
//   LEAKGUARD_DISABLE=1|true        do nothing (one line on stderr says so)
//   LEAKGUARD_INTERVAL_MS=1000      sampling period, ms (10 .. 600000)
//   LEAKGUARD_WINDOW_MS             short horizon, ms (default max(8000, 32 x interval))
//   LEAKGUARD_WARMUP_MS             samples this long after start are never judged, ms (default = window)
//   LEAKGUARD_MIN_GROWTH_BYTES      minimum heap growth over a horizon (default 4 MiB)
//   LEAKGUARD_TIMERS=0              leave timers unpatched
//   LEAKGUARD_LISTENERS=0           leave the listener ledger off
//   LEAKGUARD_ALLOCATIONS=0         never run the sampling heap profiler
//   LEAKGUARD_REPORT=stderr|json|none   what to print on a leak (default stderr)
//
// The grammar and the table of names are in lib/internal/env.js (docs:
// docs/register.md). Each malformed, out-of-range or unknown variable is
// reported as a process warning (LEAKGUARD_BAD_ENV) and dropped alone: the
// other variables still apply. leakguard failing to start at all (the native
// addon not built for this platform, a worker's resource limits, …) is
// reported as one (LEAKGUARD_START_FAILED) and the application runs without
// it: a preload must never stop the application from starting.

const { readEnv } = require('./lib/internal/env');

function warn(message, code = 'LEAKGUARD_BAD_ENV') {
  process.emitWarning(`leakguard/register: ${message}`, { code });
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

/** start() from the environment; every failure becomes a warning, never a throw. */
function startFromEnv(env) {
  try {
    const { disabled, warnings } = readEnv(env, resolveStartOptions);
    if (disabled) {
      for (const message of warnings) warn(message);
      process.stderr.write(`leakguard: off (LEAKGUARD_DISABLE=${env.LEAKGUARD_DISABLE}); not started\n`);
      return;
    }
    const { start, formatReport } = require('./lib/sampler');
    start(optionsFromEnv(env, formatReport));
  } catch (err) {
    warn(`leakguard did not start and the application runs without it: ${err && err.stack ? err.stack : err}`, 'LEAKGUARD_START_FAILED');
  }
}

startFromEnv(process.env);

module.exports = { optionsFromEnv };
