'use strict';
// The leak corpus test: runs every program in examples/leaks and
// examples/controls as a child process under `node -r leakguard/register`
// with a 250 ms sampling interval, two at a time, each bounded in time, and
// reads the JSON report line examples/support/example-run.js prints at the
// end. Each leak must be reported as leaking during the run, and the report
// at the end must rank a suspect of the right kind among the top 3: for
// timers, listeners, caches and Buffers (`buffer`: sampled Buffer allocations
// by call site) the exact line marked `// LEAK: <kind>` in the example; for
// raw allocations the marked line as the first candidate line.
// Each control must never be reported as leaking.
//
// An example may declare, in a `// leakguard-example:` comment, `node-args=...`
// (extra node flags, e.g. a small heap) and `dies=oom` (it is expected to die
// of its leak: then the report must have reached onLeak before the exit, and
// there is no end-of-run report line), `expect=filling` (a control whose
// growth must be reported as an application cache filling: an lru-cache
// listed in report().caches and in report().filling) and
// `bytes-per-unit=<unit>:<bytes>` (a leak that retains that many bytes per
// unit of work: report().work must give it within 20%) and
// `grows-with=work|time` (report().work must tell which the growth follows)
// and `env=NAME=value` (a variable for register, e.g. an option that is off
// by default).
//
// LEAKGUARD_EXAMPLES=<regular expression> runs only the examples whose name
// matches (e.g. `LEAKGUARD_EXAMPLES=buffer node --test __test__/examples.test.js`):
// the corpus's examples are subtests made while it runs, which
// --test-name-pattern cannot select on its own.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const EXAMPLES = path.join(ROOT, 'examples');
const MARKER = 'LEAKGUARD_EXAMPLE_REPORT ';
// A first verdict comes ~8-10 s after a leak starts at 250 ms (docs/sampler.md).
// A leak's run ends 8 s after its verdict was first seen (time for the held
// report and better-attributed ones), and at the latest after LEAK_RUN_MS: on
// a loaded machine a leak grows slower than designed and may need the long
// horizon (8 windows = 64 s). A control runs CONTROL_RUN_MS.
const LEAK_RUN_MS = 75_000;
const AFTER_LEAK_MS = 8_000;
// A leak with a `bytes-per-unit` or `grows-with` setting: its figures come from post-GC points (docs/work.md).
const AFTER_LEAK_FIT_MS = 30_000;
const CONTROL_RUN_MS = 30_000;

// Leaks leakguard must detect but cannot name yet, and why (see README, Limits);
// `offHeap`: the growth must be seen outside the V8 heap.
const ATTRIBUTION_LIMITS = {};
const KILL_AFTER_MS = LEAK_RUN_MS + 20_000;

// Controls leakguard itself can push over the threshold, or that its verdict
// cannot yet tell from a leak, and why. Such a control still runs and
// reports; its "never reported" check is a todo until the cause is fixed.
// (balanced-listeners was one until the listener ledger stopped registering
// every emitter with a FinalizationRegistry: issue #5.)
const KNOWN_FALSE_POSITIVES = {
  'batch-flush':
    'data gathered and flushed every 5 s: garbage promoted between rare major GCs makes the floors rise, and two post-GC points taken at different moments of one cycle confirm the rise (docs/sampler.md, Limits)',
};

const ONLY = process.env.LEAKGUARD_EXAMPLES ? new RegExp(process.env.LEAKGUARD_EXAMPLES) : null;

function listExamples(folder, { all = false } = {}) {
  const dir = path.join(EXAMPLES, folder);
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.js') || name.endsWith('.mjs'))
    .filter((name) => all || ONLY === null || ONLY.test(name.replace(/\.m?js$/, '')))
    .sort()
    .map((name) => path.join(dir, name));
}

/** The file an example's marker is in: its TypeScript source when it has a source map. */
function sourceOf(file) {
  const map = `${file}.map`;
  if (!fs.existsSync(map)) return file;
  const { sources } = JSON.parse(fs.readFileSync(map, 'utf8'));
  return path.resolve(path.dirname(file), sources[0]);
}

/** Reads the `// LEAK: <kind>` marker of an example: kind, file and line. */
function leakMarker(example) {
  const file = sourceOf(example);
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const index = lines.findIndex((l) => /\/\/ LEAK: \w+/.test(l));
  assert.notEqual(index, -1, `${file} has no // LEAK: marker`);
  assert.equal(lines.filter((l) => /\/\/ LEAK: \w+/.test(l)).length, 1, `${file} has more than one // LEAK: marker`);
  const kind = /\/\/ LEAK: (\w+)/.exec(lines[index])[1];
  return { kind, file, line: index + 1 };
}

/** The `// leakguard-example:` settings of an example: { nodeArgs, env, dies, expect, bytesPerUnit, growsWith }. */
function exampleSettings(file) {
  const m = /^\/\/ leakguard-example: (.*)$/m.exec(fs.readFileSync(file, 'utf8'));
  const settings = { nodeArgs: [], env: {}, dies: null, expect: null, bytesPerUnit: null, growsWith: null };
  if (m === null) return settings;
  for (const part of m[1].trim().split(/\s+/)) {
    const at = part.indexOf('=');
    const [key, value] = at < 0 ? [part, ''] : [part.slice(0, at), part.slice(at + 1)];
    if (key === 'node-args') settings.nodeArgs.push(...value.split(','));
    else if (key === 'env') {
      const eq = value.indexOf('=');
      settings.env[value.slice(0, eq)] = value.slice(eq + 1);
    }
    else if (key === 'dies') settings.dies = value;
    else if (key === 'expect') settings.expect = value;
    else if (key === 'grows-with') settings.growsWith = value;
    else if (key === 'bytes-per-unit') {
      const at = value.lastIndexOf(':');
      settings.bytesPerUnit = { unit: value.slice(0, at), bytes: Number(value.slice(at + 1)) };
    }
  }
  return settings;
}

const exampleName = (file) => path.basename(file).replace(/\.m?js$/, '');

/** Runs one example under leakguard/register; resolves to { payload, code, stdout, stderr }. */
function runUnderLeakguard(file, { runMs, afterLeakMs = 0 }) {
  return new Promise((resolve) => {
    const flags = fs.existsSync(`${file}.map`) ? ['--enable-source-maps'] : [];
    const child = spawn(process.execPath, [...flags, ...exampleSettings(file).nodeArgs, '-r', path.join(ROOT, 'register.js'), file], {
      cwd: ROOT,
      env: {
        ...process.env,
        LEAKGUARD_INTERVAL_MS: '250',
        LEAKGUARD_REPORT: 'json', // register's onLeak prints each leak report as one JSON line on stderr
        LEAKGUARD_EXAMPLE_JSON: '1',
        LEAKGUARD_EXAMPLE_MS: String(runMs),
        LEAKGUARD_EXAMPLE_AFTER_LEAK_MS: String(afterLeakMs),
        NODE_OPTIONS: '',
        ...exampleSettings(file).env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
      let payload = null;
      if (line !== undefined) payload = JSON.parse(line.slice(MARKER.length));
      // Every report onLeak received (register prints them with LEAKGUARD_REPORT=json).
      const onLeakReports = [];
      for (const l of stderr.split('\n')) {
        if (!l.startsWith('{')) continue;
        try {
          const r = JSON.parse(l);
          if (r && typeof r === 'object' && 'leaking' in r) onLeakReports.push(r);
        } catch {
          // not a report line
        }
      }
      resolve({ payload, onLeakReports, code, signal, stdout, stderr });
    });
  });
}

function describeSuspects(report) {
  if (!report || !Array.isArray(report.suspects)) return '(no suspects array)';
  return report.suspects
    .slice(0, 5)
    .map((s, i) => {
      const candidates = Array.isArray(s.candidates) ? ` candidates ${s.candidates.map((c) => `${path.relative(ROOT, c.file)}:${c.line}`).join(', ')}` : '';
      return `  #${i + 1} ${s.kind} ${s.site ? `${s.site.functionName ?? '?'} ${path.relative(ROOT, s.site.file ?? '')}:${s.site.line}` : '(no site)'}${candidates} — ${s.description ?? ''}`;
    })
    .join('\n');
}

function diagnostics(run) {
  const r = run.payload && run.payload.report;
  const first = run.payload && run.payload.everLeaking ? `first leaking after ${run.payload.firstLeakMs} ms; ` : '';
  const heap = r && r.heap ? `heap used ${r.heap.usedBytes}, baseline ${r.heap.baselineBytes}, slope ${r.heap.slopeBytesPerSec} B/s, rss slope ${r.heap.rssSlopeBytesPerSec} B/s` : '(no heap figures)';
  const leaks = run.onLeakReports.map((x) => `onLeak: leaking=${x.leaking}, growing ${JSON.stringify(x.heap && x.heap.growing)}, top ${describeSuspects({ suspects: (x.suspects || []).slice(0, 1) }).trim()}`).join('\n');
  return `${leaks ? `${leaks}\n` : ''}exit ${run.code}${run.signal ? ` (${run.signal})` : ''}; ${first}leaking at the end=${r ? r.leaking : '?'}; ${heap}\nsuspects:\n${describeSuspects(r)}\nstderr tail:\n${run.stderr.split('\n').filter((l) => !l.startsWith('{')).join('\n').slice(-1500)}`;
}

function assertRan(run) {
  assert.ok(run.payload !== null, `the example printed no report line\n${diagnostics(run)}`);
  assert.ok(run.payload.report !== null, `leakguard's report() was unavailable in the example: ${run.payload.reportError}\n${diagnostics(run)}`);
}

test('every leak example carries exactly one well-formed // LEAK: marker', () => {
  for (const file of listExamples('leaks', { all: true })) {
    const marker = leakMarker(file);
    assert.ok(['cache', 'timer', 'listener', 'allocation', 'buffer'].includes(marker.kind), `${file}: unknown kind ${marker.kind}`);
  }
  for (const file of listExamples('controls', { all: true })) {
    assert.doesNotMatch(fs.readFileSync(file, 'utf8'), /\/\/ LEAK:/, `${file} is a control and must not carry a LEAK marker`);
  }
});

test('the TypeScript examples are compiled from their current source', (t) => {
  const out = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'leakguard-tsc-'));
  t.after(() => fs.rmSync(out, { recursive: true, force: true }));
  const project = path.join(EXAMPLES, 'leaks', 'tsconfig.json');
  const tsc = require.resolve('typescript/bin/tsc');
  const r = require('node:child_process').spawnSync(process.execPath, [tsc, '-p', project, '--outDir', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc failed: ${r.stdout}${r.stderr}`);
  for (const name of fs.readdirSync(out)) {
    const committed = path.join(EXAMPLES, 'leaks', name);
    // The map names its source relative to where it sits: compare the JS, and the map's mappings.
    if (name.endsWith('.map')) assert.equal(JSON.parse(fs.readFileSync(committed, 'utf8')).mappings, JSON.parse(fs.readFileSync(path.join(out, name), 'utf8')).mappings, `${name} is stale: npx tsc -p examples/leaks/tsconfig.json`);
    else assert.equal(fs.readFileSync(committed, 'utf8'), fs.readFileSync(path.join(out, name), 'utf8'), `${name} is stale: npx tsc -p examples/leaks/tsconfig.json`);
  }
});

test('the leak corpus under leakguard/register (250 ms interval)', { concurrency: 2, timeout: 10 * 60_000 }, async (t) => {
  const runs = [];
  for (const file of listExamples('leaks')) {
    const name = exampleName(file);
    const marker = leakMarker(file);
    const { dies, bytesPerUnit, growsWith } = exampleSettings(file);
    const fitted = bytesPerUnit !== null || growsWith !== null;
    const where = `${path.relative(ROOT, marker.file)}:${marker.line}`;
    runs.push(t.test(`leak ${name}: reported as a ${marker.kind} suspect at ${where}`, async (tt) => {
      // Bytes per unit (and which the growth follows) need post-GC points (4 full GCs at least): such a leak runs longer after its verdict.
      const run = await runUnderLeakguard(file, { runMs: LEAK_RUN_MS, afterLeakMs: fitted ? AFTER_LEAK_FIT_MS : AFTER_LEAK_MS });
      assert.match(run.stderr, /^leakguard: on \(/m, 'register printed its start-up line');
      if (dies === null || run.payload !== null) assertRan(run);
      else {
        // It died of its leak: the report must have come before.
        assert.notEqual(run.code, 0, `expected to die of ${dies}\n${diagnostics(run)}`);
        assert.ok(run.onLeakReports.length > 0, `died unreported\n${diagnostics(run)}`);
        assert.ok(run.onLeakReports.every((r) => r.leaking === true));
      }
      const report = run.payload !== null ? run.payload.report : run.onLeakReports.at(-1);
      // Detected: onLeak fired, or the verdict was leaking when the example polled report().
      assert.ok(run.onLeakReports.length > 0 || run.payload.everLeaking, `never reported as leaking\n${diagnostics(run)}`);
      // Every onLeak report names a suspect, or says why it cannot.
      for (const r of run.onLeakReports) {
        assert.ok(r.suspects.length > 0 || typeof r.note === 'string', `an onLeak report with no suspect and no note\n${diagnostics(run)}`);
      }
      // Without an end-of-run line (it died), the sampler's own start time.
      const first = run.onLeakReports[0];
      const startedAt = run.payload !== null ? run.payload.startedAt : first && first.sampler ? first.sampler.startedAt : null;
      const detectedAfter = [run.payload && run.payload.firstLeakMs, ...run.onLeakReports.map((r) => (typeof r.since === 'number' && startedAt !== null ? r.since - startedAt : null))]
        .filter((ms) => typeof ms === 'number')
        .reduce((a, b) => Math.min(a, b), Infinity);
      tt.diagnostic(`${name}: detected after ${Math.round(detectedAfter)} ms`);
      // The top 3 of a report the user gets: the one at the end, or one onLeak received.
      const atMarker = (x) => x && x.file === marker.file && x.line === marker.line;
      const matches = (s) => {
        if (s.kind !== marker.kind) return false;
        if (marker.kind !== 'allocation') return atMarker(s.site);
        const candidates = Array.isArray(s.candidates) ? s.candidates : [];
        return atMarker(candidates[0]) || candidates.slice(1, 3).some((c) => atMarker(c) && typeof c.container === 'string' && c.container !== '');
      };
      const attributed = () => {
        const found = [report, ...run.onLeakReports].some((r) => Array.isArray(r.suspects) && r.suspects.slice(0, 3).some(matches));
        assert.ok(found, `no ${marker.kind} suspect naming ${where} among the top 3\n${diagnostics(run)}`);
      };
      if (bytesPerUnit !== null) {
        const units = report.work && Array.isArray(report.work.units) ? report.work.units : [];
        const u = units.find((x) => x.name === bytesPerUnit.unit);
        const got = u === undefined ? null : u.bytesPerUnit;
        tt.diagnostic(`${name}: ${got} bytes per ${bytesPerUnit.unit} reported, ${bytesPerUnit.bytes} retained`);
        assert.ok(typeof got === 'number' && Math.abs(got - bytesPerUnit.bytes) <= 0.2 * bytesPerUnit.bytes, `bytes per ${bytesPerUnit.unit}: ${got}, not within 20% of ${bytesPerUnit.bytes}\n${JSON.stringify(report.work)}\n${diagnostics(run)}`);
      }
      if (growsWith !== null) {
        const work = report.work ?? null;
        tt.diagnostic(`${name}: grows with ${work && work.growsWith} (${JSON.stringify(work)})`);
        // Never the wrong one; undecided (null) when the request rate varied too
        // little for the two fits to differ (a loaded machine serves at a
        // steadier rate), which docs/work.md states.
        const wrong = growsWith === 'work' ? 'time' : 'work';
        assert.ok(work !== null && typeof work === 'object', `no report().work\n${diagnostics(run)}`);
        assert.notEqual(work.growsWith, wrong, `report().work says the growth follows ${wrong}, not ${growsWith}\n${JSON.stringify(work)}`);
      }
      if (marker.kind === 'buffer') {
        const growing = [report, ...run.onLeakReports].flatMap((r) => (r.heap && Array.isArray(r.heap.growing) ? r.heap.growing : []));
        assert.ok(growing.includes('external') || growing.includes('rss'), `a Buffer leak not seen as off-heap growth\n${diagnostics(run)}`);
      }
      if (ATTRIBUTION_LIMITS[name] === undefined) attributed();
      else {
        // Detection is required above; naming the site is a known limit, tracked as todo.
        const growing = run.onLeakReports.flatMap((r) => (r.heap && Array.isArray(r.heap.growing) ? r.heap.growing : []));
        if (ATTRIBUTION_LIMITS[name].offHeap) {
          assert.ok(growing.includes('external') || growing.includes('rss'), `the leak was not seen as off-heap growth\n${diagnostics(run)}`);
        }
        await tt.test(`names ${where}`, { todo: ATTRIBUTION_LIMITS[name].reason }, attributed);
      }
    }));
  }
  for (const file of listExamples('controls')) {
    const name = exampleName(file);
    const todo = KNOWN_FALSE_POSITIVES[name];
    runs.push(t.test(`control ${name}: never reported as leaking`, todo === undefined ? {} : { todo }, async () => {
      const run = await runUnderLeakguard(file, { runMs: CONTROL_RUN_MS });
      assertRan(run);
      assert.equal(run.onLeakReports.length, 0, `onLeak fired\n${diagnostics(run)}`);
      assert.equal(run.payload.everLeaking, false, `reported as leaking after ${run.payload.firstLeakMs} ms\n${diagnostics(run)}`);
      assert.equal(run.payload.report.leaking, false, `reported as leaking at the end\n${diagnostics(run)}`);
      if (exampleSettings(file).expect === 'filling') {
        const r = run.payload.report;
        assert.ok(r.caches.some((c) => c.kind === 'lru-cache' && c.size > 0), `no lru-cache in report().caches\n${JSON.stringify(r.caches)}`);
        // Whether it is still in `filling` at the very end depends on when its
        // size was last read (a duty cycle, docs/cache.md): said, not asserted.
        t.diagnostic(`${name}: filling at the end ${JSON.stringify((r.filling ?? []).filter((f) => f.class === 'lru-cache'))}`);
      }
    }));
  }
  await Promise.all(runs);
});
