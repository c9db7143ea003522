'use strict';
// The settings table (lib/sampler/settings.js) is the one source of start()'s
// options: the accepted names, validation and defaults, the environment
// grammar, what crosses to Rust, the docs table and the TypeScript interface
// all follow from it.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { SETTINGS, START_OPTIONS, defaultsFor, nativeSettings } = require('../lib/sampler/settings');
const { resolveOptions } = require('../lib/sampler');
const { OPTION_NAMES } = require('../lib/internal/options');
const { INTEGER_VARS, BOOLEAN_VARS, REGISTER_VARS, readEnv } = require('../lib/internal/env');
const { derived } = require('../scripts/settings-docs');

const ROOT = path.join(__dirname, '..');
const INVALID = { code: 'ERR_LEAKGUARD_INVALID_OPTION' };

test('start() accepts exactly the names of the table', () => {
  assert.deepEqual(OPTION_NAMES.start, SETTINGS.map((r) => r.name));
  assert.deepEqual(START_OPTIONS, OPTION_NAMES.start);
  assert.throws(() => resolveOptions({ notAnOption: 1 }), INVALID);
});

test('each row is validated by its type and range, and defaults to its default', () => {
  const d = resolveOptions();
  assert.deepEqual(Object.keys(d), SETTINGS.map((r) => r.name));
  for (const r of SETTINGS) {
    const want = typeof r.default === 'function' ? r.default(d) : r.default;
    assert.equal(d[r.name], want, `${r.name} defaults to its row's default`);
    const wrongType = r.type === 'string' || r.type === 'path' || r.choices !== undefined ? 1 : 'x';
    assert.throws(() => resolveOptions({ [r.name]: wrongType }), { ...INVALID, name: 'TypeError', message: new RegExp(r.name) });
    const min = typeof r.min === 'function' ? r.min(d) : r.min;
    const max = typeof r.max === 'function' ? r.max(d) : r.max;
    if (min !== undefined) {
      assert.throws(() => resolveOptions({ [r.name]: min - (r.type === 'integer' ? 1 : min / 2 || 1) }), { ...INVALID, name: 'RangeError' }, `${r.name} below its min`);
      assert.equal(resolveOptions({ [r.name]: min })[r.name], min, `${r.name} accepts its min`);
    }
    if (max !== undefined) {
      assert.throws(() => resolveOptions({ [r.name]: max + 1 }), { ...INVALID, name: 'RangeError' }, `${r.name} above its max`);
      assert.equal(resolveOptions({ [r.name]: max })[r.name], max, `${r.name} accepts its max`);
    }
  }
  assert.throws(() => resolveOptions({ reportFile: '' }), INVALID, 'an empty reportFile is refused');
  assert.deepEqual(defaultsFor(), Object.fromEntries(Object.entries(d).filter(([name]) => name !== 'onLeak')));
});

test('the environment grammar is the env column of the table', () => {
  const withEnv = SETTINGS.filter((r) => r.env !== undefined);
  assert.deepEqual(
    [...INTEGER_VARS, ...BOOLEAN_VARS].map(([v, o]) => `${v}=${o}`).sort(),
    withEnv.map((r) => `${r.env}=${r.name}`).sort(),
  );
  for (const r of withEnv) {
    assert.ok(REGISTER_VARS.includes(r.env), `register reads ${r.env}`);
    const raw = r.type === 'boolean' ? 'false' : String(typeof r.max === 'number' ? r.max : 123456);
    const { options, warnings } = readEnv({ [r.env]: raw }, resolveOptions);
    assert.deepEqual(warnings, []);
    assert.equal(options[r.name], r.type === 'boolean' ? false : Number(raw), `${r.env} sets ${r.name}`);
  }
});

test('the Rust SamplerSettings has a field for each native row and no other', () => {
  const rust = fs.readFileSync(path.join(ROOT, 'src', 'sampler', 'binding.rs'), 'utf8');
  const body = /#\[napi\(object\)\]\s*pub struct SamplerSettings \{([\s\S]*?)\n\}/.exec(rust);
  assert.ok(body, 'src/sampler/binding.rs declares SamplerSettings');
  // napi-rs names a field in camelCase on the JavaScript side.
  const fields = [...body[1].matchAll(/^\s+pub (\w+):/gm)].map((m) => m[1].replace(/_([a-z])/g, (_, c) => c.toUpperCase()));
  assert.deepEqual(fields.sort(), Object.keys(nativeSettings(resolveOptions())).sort());
});

test('docs/sampler.md and lib/sampler/index.d.ts hold what scripts/settings-docs.js writes from the table', () => {
  for (const [file, now, want] of derived()) {
    assert.equal(now, want, `${path.relative(ROOT, file)} is stale: run node scripts/settings-docs.js`);
  }
});
