'use strict';
// The environment variables of leakguard/register (register.js), read into
// start() options: which option has a variable, and its type, is the `env`
// column of the settings table (lib/sampler/settings.js). Documented in
// docs/register.md; every name here must appear there
// (__test__/docs-options.test.js).
//
// Grammar, exactly:
//   - unset or empty: the default;
//   - integers: plain decimal digits only (/^[0-9]+$/, at most 2^53 - 1): no
//     sign, no spaces, no `0x`, `0b`, `0o`, no `1e3`, no `1_000`, no fraction;
//   - booleans: `1` or `true` (on), `0` or `false` (off), lower case;
//     LEAKGUARD_LISTENERS also takes the ledger's mode, `sampled` or `exact`;
//   - LEAKGUARD_REPORT: `stderr`, `json` or `none`.
// Each malformed or out-of-range variable is dropped alone, with one warning
// naming it; the others still apply. Integers are range-checked by start()'s
// own validator, in the order of INTEGER_VARS, so LEAKGUARD_WINDOW_MS is
// checked against the LEAKGUARD_INTERVAL_MS actually used. A LEAKGUARD_*
// variable that leakguard does not read gets a warning naming the known ones.
//
// Reading the environment changes nothing: readEnv() returns what to do and
// the warnings to give; register.js acts on them.

const { SETTINGS } = require('../sampler/settings');

/** [variable, start() option] of the settings rows of `type` with a variable, in table order. */
function varsOf(type) {
  return Object.freeze(SETTINGS.filter((row) => row.env !== undefined && row.type === type).map((row) => Object.freeze([row.env, row.name])));
}

/** Integer variables → start() option, in the order they are range-checked (the settings table's). */
const INTEGER_VARS = varsOf('integer');

/** Boolean variables → start() option. */
const BOOLEAN_VARS = varsOf('boolean');

const REPORT_OUTPUTS = Object.freeze(['stderr', 'json', 'none']);

/** Variable → the strings its boolean row also takes (`choices`, e.g. LEAKGUARD_LISTENERS's modes). */
const CHOICES = new Map(SETTINGS.filter((row) => row.env !== undefined && row.choices !== undefined).map((row) => [row.env, row.choices]));

/** Read by register.js itself. */
const REGISTER_VARS = Object.freeze([
  'LEAKGUARD_DISABLE',
  ...INTEGER_VARS.map(([name]) => name),
  ...BOOLEAN_VARS.map(([name]) => name),
  'LEAKGUARD_REPORT',
  'LEAKGUARD_REPORT_FILE',
  'LEAKGUARD_QUIET',
]);

/**
 * Read by other parts of leakguard, never by register.js: set by
 * `leakguard run` for its agent (lib/cli/run-agent.js), the run length of
 * the bundled examples and demo, and the V8 headers a build from source
 * compiles the GC watch against (build.rs). Known, so they draw no warning.
 */
const OTHER_VARS = Object.freeze([
  'LEAKGUARD_RUN_DIR',
  'LEAKGUARD_RUN_TICK_MS',
  'LEAKGUARD_EXAMPLE_MS',
  'LEAKGUARD_EXAMPLE_JSON',
  'LEAKGUARD_EXAMPLE_AFTER_LEAK_MS',
  'LEAKGUARD_DEMO_SECONDS',
  'LEAKGUARD_NODE_INCLUDE',
  'LEAKGUARD_NODE_INCLUDES',
]);

/** Every LEAKGUARD_* variable leakguard reads. */
const ENV_NAMES = Object.freeze([...REGISTER_VARS, ...OTHER_VARS]);

const DECIMAL = /^[0-9]+$/;

function parseInteger(raw) {
  if (!DECIMAL.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : undefined;
}

function parseBoolean(raw) {
  if (raw === '1' || raw === 'true') return true;
  if (raw === '0' || raw === 'false') return false;
  return undefined;
}

function shown(name, raw) {
  return `${name}=${JSON.stringify(raw)}`;
}

/**
 * What register.js should do for `env`: { disabled, options, output,
 * warnings }. `options` are start() options (without onLeak), each already
 * accepted by `resolve` (start()'s validator); `output` is the
 * LEAKGUARD_REPORT choice; `warnings` one message per variable dropped or
 * unknown.
 */
function readEnv(env, resolve) {
  const warnings = [];
  const set = (name) => env[name] !== undefined && env[name] !== '';

  let disabled = false;
  if (set('LEAKGUARD_DISABLE')) {
    const off = parseBoolean(env.LEAKGUARD_DISABLE);
    if (off === undefined) {
      warnings.push(`${shown('LEAKGUARD_DISABLE', env.LEAKGUARD_DISABLE)} is not 1, true, 0 or false; ignored (leakguard stays on)`);
    } else disabled = off;
  }
  // Off: nothing else is read (and the addon is never loaded).
  if (disabled) return { disabled, options: {}, output: 'none', quiet: true, warnings };

  const options = {};
  for (const [name, option] of INTEGER_VARS) {
    if (!set(name)) continue;
    const raw = env[name];
    const n = parseInteger(raw);
    if (n === undefined) {
      warnings.push(`${shown(name, raw)} is not a whole number in plain decimal digits; ignored, ${option} keeps its default`);
      continue;
    }
    options[option] = n;
    try {
      resolve(options);
    } catch (err) {
      if (!err || err.code !== 'ERR_LEAKGUARD_INVALID_OPTION') throw err;
      delete options[option];
      warnings.push(`${shown(name, raw)} is out of range (${err.message.replace(/^leakguard: /, '')}); ignored, ${option} keeps its default`);
    }
  }
  for (const [name, option] of BOOLEAN_VARS) {
    if (!set(name)) continue;
    const raw = env[name];
    const b = parseBoolean(raw);
    if (b !== undefined) options[option] = b;
    else if (CHOICES.get(name)?.includes(raw)) options[option] = raw;
    else {
      const allowed = CHOICES.has(name) ? `1, true, 0, false, ${CHOICES.get(name).join(' or ')}` : '1, true, 0 or false';
      warnings.push(`${shown(name, raw)} is not ${allowed}; ignored, ${option} keeps its default`);
    }
  }

  let output = 'stderr';
  if (set('LEAKGUARD_REPORT')) {
    if (REPORT_OUTPUTS.includes(env.LEAKGUARD_REPORT)) output = env.LEAKGUARD_REPORT;
    else warnings.push(`${shown('LEAKGUARD_REPORT', env.LEAKGUARD_REPORT)} is not stderr, json or none; using stderr`);
  }

  if (set('LEAKGUARD_REPORT_FILE')) options.reportFile = env.LEAKGUARD_REPORT_FILE;

  let quiet = false;
  if (set('LEAKGUARD_QUIET')) {
    const q = parseBoolean(env.LEAKGUARD_QUIET);
    if (q === undefined) warnings.push(`${shown('LEAKGUARD_QUIET', env.LEAKGUARD_QUIET)} is not 1, true, 0 or false; ignored (the start-up line is printed)`);
    else quiet = q;
  }

  for (const name of Object.keys(env)) {
    if (/^leakguard_/i.test(name) && !ENV_NAMES.includes(name)) {
      const near = ENV_NAMES.find((known) => known === name.toUpperCase());
      const hint = near === undefined ? '' : `; did you mean ${near}?`;
      warnings.push(`unknown variable ${name} ignored (known: ${REGISTER_VARS.join(', ')})${hint}`);
    }
  }
  return { disabled, options, output, quiet, warnings };
}

module.exports = { readEnv, ENV_NAMES, REGISTER_VARS, INTEGER_VARS, BOOLEAN_VARS };
