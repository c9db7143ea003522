'use strict';
// leakguard/register's environment variables: the grammar (plain decimal
// digits, 1/true/0/false), each bad variable dropped alone with a warning
// naming it, LEAKGUARD_DISABLE saying so in one line, unknown LEAKGUARD_*
// names warned about.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { readEnv, REGISTER_VARS } = require('../lib/internal/env');
const { resolveOptions } = require('../lib/sampler');

const ROOT = path.join(__dirname, '..');
const REGISTER = path.join(ROOT, 'register.js');

const read = (env) => readEnv(env, resolveOptions);

test('plain decimal digits are accepted; every other spelling of a number is refused', () => {
  assert.deepEqual(read({ LEAKGUARD_INTERVAL_MS: '250' }).options, { intervalMs: 250 });
  assert.deepEqual(read({ LEAKGUARD_INTERVAL_MS: '0250' }).options, { intervalMs: 250 });
  for (const raw of ['0x10', ' 50 ', '50 ', '+50', '-50', '1e3', '1E3', '50.0', '5.5', '1_000', '0b11', '0o17', 'Infinity', 'NaN', '50ms', '５０', '9007199254740993']) {
    const r = read({ LEAKGUARD_INTERVAL_MS: raw });
    assert.deepEqual(r.options, {}, `LEAKGUARD_INTERVAL_MS=${JSON.stringify(raw)} is refused`);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0], /LEAKGUARD_INTERVAL_MS/);
  }
});

test('an unset or empty variable is the default, silently', () => {
  const r = read({ LEAKGUARD_INTERVAL_MS: '', LEAKGUARD_TIMERS: '', LEAKGUARD_REPORT: '', LEAKGUARD_DISABLE: '' });
  assert.deepEqual(r, { disabled: false, options: {}, output: 'stderr', quiet: false, warnings: [] });
});

test('each malformed or out-of-range variable falls back alone, with a warning naming it', () => {
  const r = read({
    LEAKGUARD_INTERVAL_MS: '20',
    LEAKGUARD_MIN_GROWTH_BYTES: '0',
    LEAKGUARD_WARMUP_MS: 'soon',
    LEAKGUARD_TIMERS: 'no',
    LEAKGUARD_LISTENERS: '0',
    LEAKGUARD_REPORT: 'loud',
  });
  assert.deepEqual(r.options, { intervalMs: 20, listeners: false });
  assert.equal(r.output, 'stderr');
  assert.equal(r.warnings.length, 4, r.warnings.join('\n'));
  for (const name of ['LEAKGUARD_MIN_GROWTH_BYTES', 'LEAKGUARD_WARMUP_MS', 'LEAKGUARD_TIMERS', 'LEAKGUARD_REPORT']) {
    assert.equal(r.warnings.filter((w) => w.includes(name)).length, 1, `one warning names ${name}`);
  }
  assert.ok(!r.warnings.some((w) => w.includes('LEAKGUARD_INTERVAL_MS')));
});

test('LEAKGUARD_WINDOW_MS is checked against the interval actually used', () => {
  // 100 ms is at least 4 x 20 ms: valid with LEAKGUARD_INTERVAL_MS=20 ...
  assert.deepEqual(read({ LEAKGUARD_INTERVAL_MS: '20', LEAKGUARD_WINDOW_MS: '100' }).options, { intervalMs: 20, windowMs: 100 });
  // ... but not with the default 1000 ms interval, which a bad interval falls back to.
  const r = read({ LEAKGUARD_INTERVAL_MS: '3', LEAKGUARD_WINDOW_MS: '100' });
  assert.deepEqual(r.options, {});
  assert.equal(r.warnings.length, 2);
});

test('booleans are 1, true, 0 or false', () => {
  for (const [raw, value] of [['1', true], ['true', true], ['0', false], ['false', false]]) {
    assert.deepEqual(read({ LEAKGUARD_ALLOCATIONS: raw }).options, { allocations: value });
  }
  for (const raw of ['yes', 'on', 'TRUE', ' 1', '2']) {
    const r = read({ LEAKGUARD_ALLOCATIONS: raw });
    assert.deepEqual(r.options, {});
    assert.match(r.warnings[0], /LEAKGUARD_ALLOCATIONS/);
  }
});

test('LEAKGUARD_DISABLE=1 or true turns leakguard off and reads nothing else', () => {
  for (const raw of ['1', 'true']) {
    const r = readEnv({ LEAKGUARD_DISABLE: raw, LEAKGUARD_INTERVAL_MS: 'bad', LEAKGUARD_TYPO: '1' }, () => {
      throw new Error('start() options are not read when disabled');
    });
    assert.equal(r.disabled, true);
    assert.deepEqual(r.warnings, []);
  }
  assert.equal(read({ LEAKGUARD_DISABLE: '0' }).disabled, false);
  assert.equal(read({ LEAKGUARD_DISABLE: 'false' }).disabled, false);
  const r = read({ LEAKGUARD_DISABLE: 'please' });
  assert.equal(r.disabled, false);
  assert.match(r.warnings[0], /LEAKGUARD_DISABLE/);
});

test('an unknown LEAKGUARD_* variable is warned about, naming the known ones', () => {
  const r = read({ LEAKGUARD_INTERVAL: '250', LEAKGUARD_RUN_DIR: '/x', LEAKGUARD_EXAMPLE_MS: '5', OTHER: '1' });
  assert.equal(r.warnings.length, 1, r.warnings.join('\n'));
  assert.match(r.warnings[0], /LEAKGUARD_INTERVAL\b/);
  for (const name of REGISTER_VARS) assert.ok(r.warnings[0].includes(name), `lists ${name}`);
  const lower = read({ leakguard_interval_ms: '250' });
  assert.deepEqual(lower.options, {}, 'names are case-sensitive');
  assert.match(lower.warnings[0], /unknown variable leakguard_interval_ms .*did you mean LEAKGUARD_INTERVAL_MS\?/);
});

function runRegistered(env) {
  const probe = `const r = require(${JSON.stringify(path.join(ROOT, 'lib/sampler/index.js'))}).report();
    console.log(JSON.stringify({ running: r.running, interval: r.sampler && r.sampler.intervalMs }));`;
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^LEAKGUARD_/i.test(k)));
  const out = spawnSync(process.execPath, ['-r', REGISTER, '-e', probe], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...clean, ...env },
  });
  assert.equal(out.status, 0, out.stderr);
  return { ...JSON.parse(out.stdout), stderr: out.stderr };
}

test('under -r leakguard/register: a bad LEAKGUARD_MIN_GROWTH_BYTES leaves a valid LEAKGUARD_INTERVAL_MS applied', () => {
  const r = runRegistered({ LEAKGUARD_INTERVAL_MS: '20', LEAKGUARD_MIN_GROWTH_BYTES: '0' });
  assert.equal(r.running, true);
  assert.equal(r.interval, 20);
  assert.match(r.stderr, /LEAKGUARD_BAD_ENV/);
  assert.match(r.stderr, /LEAKGUARD_MIN_GROWTH_BYTES="0"/);
  assert.doesNotMatch(r.stderr, /LEAKGUARD_INTERVAL_MS=/);
});

test('under -r leakguard/register: LEAKGUARD_DISABLE=true prints one line and starts nothing', () => {
  const r = runRegistered({ LEAKGUARD_DISABLE: 'true' });
  assert.equal(r.running, false);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /leakguard: off \(LEAKGUARD_DISABLE=true\)/);
});

test('under -r leakguard/register: 0x10 is refused and an unknown variable warned about', () => {
  const r = runRegistered({ LEAKGUARD_INTERVAL_MS: '0x10', LEAKGUARD_INTERVALMS: '50' });
  assert.equal(r.running, true);
  assert.equal(r.interval, 1000);
  assert.match(r.stderr, /LEAKGUARD_INTERVAL_MS="0x10"/);
  assert.match(r.stderr, /unknown variable LEAKGUARD_INTERVALMS/);
});
