'use strict';
// Node's own semantics with and without leakguard. Every case of
// fixtures/compat-cases.js (timers, EventEmitter, EventTarget: what Node's
// documentation promises, and Node's behaviour where it is silent) runs in a
// child process bare and in one started with `-r register.js` (timers patched,
// listener ledger on); each test compares the two records of one case, which
// must be identical.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFile, spawnSync } = require('node:child_process');
const { cases } = require('./fixtures/compat-cases');

const ROOT = path.resolve(__dirname, '..');
const RUNNER = path.join(__dirname, 'fixtures', 'compat-run.js');

// LEAKGUARD_LISTENERS=exact or =sampled is passed on to the patched runs
// (the ledger's mode); the drawn run books one add in two with no exact budget.
function run(preload, extra = {}) {
  return new Promise((resolve, reject) => {
    const args = [...preload, '--expose-gc', RUNNER];
    const env = { ...process.env, LEAKGUARD_REPORT: 'none' };
    const mode = ['exact', 'sampled'].includes(env.LEAKGUARD_LISTENERS) ? env.LEAKGUARD_LISTENERS : undefined;
    for (const name of ['LEAKGUARD_DISABLE', 'LEAKGUARD_TIMERS', 'LEAKGUARD_LISTENERS', 'COMPAT_LEDGER_DRAWN']) delete env[name];
    if (mode !== undefined && preload.length > 0) env.LEAKGUARD_LISTENERS = mode;
    Object.assign(env, extra);
    execFile(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const line = stdout.trim().split('\n').pop();
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`node ${args.join(' ')} gave no result (${err ? err.message : 'no error'}):\n${stderr.slice(-4000)}`));
      }
    });
  });
}

let bare;
let patched;
let drawn;

test.before(async () => {
  [bare, patched, drawn] = await Promise.all([
    run([]),
    run(['-r', './register.js']),
    run(['-r', './register.js'], { COMPAT_LEDGER_DRAWN: '1' }),
  ]);
});

test('the bare run is bare and the patched runs are patched', () => {
  assert.equal(bare.patched, false);
  assert.equal(patched.patched, true);
  assert.equal(drawn.patched, true);
});

for (const name of Object.keys(cases)) {
  test(`compat: ${name}`, () => {
    assert.ok(name in bare.results, 'the bare run recorded it');
    assert.deepEqual(patched.results[name], bare.results[name]);
    assert.deepEqual(drawn.results[name], bare.results[name], 'with sampled books drawing one add in two');
  });
}

/** Allocates, then runs two full GCs (scavenges on the way): script lines. */
const GCS = ['let kept = [];', 'for (let i = 0; i < 300000; i++) kept.push({ i });', 'gc();', 'kept = null;', 'gc();'];

/** Runs `lines` with -e, bare (preload false) or under -r register.js, with --expose-gc and `flags`. */
function runLines(preload, flags, lines) {
  const env = { ...process.env, LEAKGUARD_QUIET: '1', LEAKGUARD_REPORT: 'none' };
  const args = [...(preload ? ['-r', './register.js'] : []), '--expose-gc', ...flags, '-e', lines.join('\n')];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.replace(/\(node:\d+\)/g, '(node:PID)') };
}

// What the preload does before the main script must be over by then, and
// what it does later must be invisible: an async hook enabled on the script's
// first line sees only the script's own resources, across scavenges and full
// GCs (a promise or job left behind by the preload would show up as a PROMISE
// it never made; a GC watched from JavaScript, as an Immediate per batch).
test('an async hook enabled at the top of the main script sees nothing of the preload, across GCs', () => {
  const lines = [
    'const seen = [];',
    "require('node:async_hooks').createHook({ init: (id, type) => seen.push(type) }).enable();",
    ...GCS,
    'setImmediate(() => process.stdout.write(JSON.stringify(seen)));',
  ];
  const seen = (preload) => {
    const r = runLines(preload, [], lines);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  assert.deepEqual(seen(true), seen(false));
});

// A domain entered at top level sees every callback Node makes from then on:
// under the preload, GCs must not add one (Node's 'gc' observer delivers its
// entries from an immediate, which warns DEP0097 there, and throws with
// --throw-deprecation). The output, warnings and exit are bare Node's.
test('a top-level domain sees the same callbacks and warnings across GCs as in bare Node', () => {
  const lines = ["const d = require('node:domain').create();", 'd.enter();', ...GCS, "setTimeout(() => console.log('done'), 20);"];
  assert.deepEqual(runLines(true, ['--throw-deprecation'], lines), runLines(false, ['--throw-deprecation'], lines));
});

// The preload keeps an in-process inspector session connected (the sampling
// heap profiler), and Node counts any connected session as a debugger that
// may resume the thread: inspector.waitForDebugger() must still throw
// ERR_INSPECTOR_NOT_ACTIVE when the program opened no inspector (instead of
// blocking for ever), through both inspector modules and the ESM named
// export, and allocation sampling must go on afterwards.
test('inspector.waitForDebugger() without an open inspector throws as in bare Node, and sampling goes on', () => {
  const script = [
    "import inspector from 'node:inspector';",
    "import { waitForDebugger } from 'node:inspector';",
    "import promises from 'node:inspector/promises';",
    'const codes = [];',
    'for (const fn of [inspector.waitForDebugger, waitForDebugger, promises.waitForDebugger]) {',
    '  try { fn(); codes.push("returned"); } catch (err) { codes.push(err.code); }',
    '}',
    'const { createRequire } = await import("node:module");',
    `const sampler = createRequire(${JSON.stringify(path.join(ROOT, 'package.json'))})('./lib/sampler');`,
    'const running = sampler.runningOptions();',
    'console.log(JSON.stringify({ codes, profiling: running === null ? null : running.profiling }));',
  ].join('\n');
  const env = { ...process.env, LEAKGUARD_QUIET: '1', LEAKGUARD_REPORT: 'none' };
  for (const name of ['LEAKGUARD_DISABLE', 'LEAKGUARD_ALLOCATIONS']) delete env[name];
  const seen = (preload) => {
    const r = spawnSync(process.execPath, [...preload, '--input-type=module', '-e', script], { cwd: ROOT, env, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.signal, null, `node ${preload.join(' ')} was still blocked in waitForDebugger after 20 s`);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const bare = seen([]);
  assert.deepEqual(bare, { codes: ['ERR_INSPECTOR_NOT_ACTIVE', 'ERR_INSPECTOR_NOT_ACTIVE', 'ERR_INSPECTOR_NOT_ACTIVE'], profiling: null });
  assert.deepEqual(seen(['-r', './register.js']), { ...bare, profiling: true });
});
