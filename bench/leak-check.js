'use strict';
// leakguard/test (checkLeaks) on the leak patterns of examples/ written as
// functions (__test__/fixtures/leak-check/): each fixture runs in its own
// process (__test__/fixtures/leak-check/run-one.js).
//
//   node bench/leak-check.js [leaks] [controls] [smallest] [heapdiff] [jest]   (all by default)
//   LEAKGUARD_CHECK_THRESHOLD=64 node bench/leak-check.js controls smallest   (another threshold)
//
// leaks:    each leak fixture once: leaking? named (timer/listener: the
//           marked line is a suspect's site; allocation: the marked line is
//           among a suspect's candidate lines, or in the suspect's function)? time.
// controls: each control fixture RUNS times in a row in one process (50,
//           LEAKGUARD_BENCH_RUNS overrides): the false-positive count.
// smallest: leaks of a few bytes per call (`keep.push(new Array(k).fill(0))`),
//           5 checks each at the defaults: how often each is reported.
// heapdiff: the same leak and control fixtures through a plain heap-diff loop
//           (run-one.js heapdiff, with --expose-gc).
// jest:     the same fixtures as Jest tests (1100 calls each, one file per
//           fixture) under `jest --detectLeaks`, one Jest run per fixture; runs
//           only with LEAKGUARD_BENCH_JEST_DIR set to a folder where jest is
//           installed (`npm install jest@29` there): jest is not a dependency.
// Prints a markdown table per part; bench/RESULTS.md keeps the figures.

const path = require('node:path');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');

const DIR = path.join(__dirname, '..', '__test__', 'fixtures', 'leak-check');
const RUN_ONE = path.join(DIR, 'run-one.js');
const RUNS = Number(process.env.LEAKGUARD_BENCH_RUNS ?? 50);
const parts = process.argv.slice(2);
const want = (p) => parts.length === 0 || parts.includes(p);

function runOne(rel, extra = [], nodeArgs = []) {
  const out = execFileSync(process.execPath, [...nodeArgs, RUN_ONE, rel, ...extra], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 30 * 60_000 });
  return out.trim().split('\n').map((l) => JSON.parse(l));
}

function list(folder) {
  return fs.readdirSync(path.join(DIR, folder)).filter((n) => /\.m?js$/.test(n)).sort().map((n) => `${folder}/${n}`);
}

/** Whether a report names the marked line (see the header). */
function named(report, marker) {
  for (const s of report.suspects) {
    if (s.site && s.site.file === marker.file && s.site.line === marker.line) return true;
    if ((s.candidates ?? []).some((c) => c.file === marker.file && c.line === marker.line)) return true;
    if (marker.kind === 'allocation' && s.function && s.function.file === marker.file && s.function.line <= marker.line && marker.line <= s.function.endLine) return 'function';
  }
  return false;
}

function leaks() {
  console.log('| leak fixture | leaking | names the line | bytes/call (r²) | top suspect | time |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const rel of list('leaks')) {
    const [r] = runOne(rel);
    const top = r.report.suspects[0];
    const n = named(r.report, r.marker);
    const b = r.report.bytesPerCall;
    console.log(`| ${rel} | ${r.report.leaking ? 'yes' : '**no**'} | ${n === true ? 'yes' : n === 'function' ? 'its function' : '**no**'} | ${b.value} (${b.r2}) | ${top ? `${top.kind} :${top.site ? top.site.line : '?'}` : '-'} | ${(r.ms / 1000).toFixed(1)} s |`);
  }
}

function controls() {
  console.log(`| control fixture | runs | reported leaking | max bytes/call: slope / median step | median time |`);
  console.log('| --- | --- | --- | --- | --- |');
  for (const rel of list('controls')) {
    const rs = runOne(rel, [String(RUNS)]);
    const fp = rs.filter((r) => r.report.leaking).length;
    const max = `${Math.max(...rs.map((r) => r.report.bytesPerCall.value))} / ${Math.max(...rs.map((r) => r.report.bytesPerCall.median))}`;
    const ms = rs.map((r) => r.ms).sort((a, b) => a - b)[rs.length >> 1];
    console.log(`| ${rel} | ${rs.length} | ${fp} | ${max} | ${(ms / 1000).toFixed(1)} s |`);
  }
}

function smallest() {
  const file = path.join(DIR, '.small-leak.js');
  console.log('| leak (array of k zeros per call) | measured bytes/call (median of 5) | reported leaking |');
  console.log('| --- | --- | --- |');
  try {
    for (const k of [0, 2, 4, 6, 8, 10, 12, 16]) {
      fs.writeFileSync(file, `'use strict';\nconst keep = [];\nexports.call = () => { ${k === 0 ? 'return [1, 2].length;' : `keep.push(new Array(${k}).fill(0));`} };\n`);
      const rs = runOne('.small-leak.js', ['5']);
      const values = rs.map((r) => r.report.bytesPerCall.value).sort((a, b) => a - b);
      console.log(`| k = ${k} | ${values[2]} | ${rs.filter((r) => r.report.leaking).length} of 5 |`);
    }
  } finally {
    fs.rmSync(file, { force: true });
  }
}

function heapdiff() {
  console.log('| fixture | heap-diff loop: leaking | bytes/call | names a line | time |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const rel of [...list('leaks'), ...list('controls')]) {
    const [r] = runOne(rel, ['heapdiff'], ['--expose-gc']);
    console.log(`| ${rel} | ${r.heapDiff.leaking ? 'yes' : 'no'} | ${r.heapDiff.bytesPerCall.toFixed(1)} | no | ${(r.ms / 1000).toFixed(1)} s |`);
  }
}

function jest() {
  const dir = process.env.LEAKGUARD_BENCH_JEST_DIR;
  if (!dir) {
    console.log('jest: skipped (set LEAKGUARD_BENCH_JEST_DIR to a folder with jest installed)');
    return;
  }
  const { spawnSync } = require('node:child_process');
  const bin = path.join(path.dirname(require.resolve('jest/package.json', { paths: [dir] })), 'bin', 'jest.js');
  const tests = fs.mkdtempSync(path.join(dir, 'detect-leaks-'));
  console.log('| fixture | jest --detectLeaks: leak reported | names a line | time |');
  console.log('| --- | --- | --- | --- |');
  try {
    for (const rel of [...list('leaks'), ...list('controls')]) {
      const name = rel.replace(/[/.]/g, '_');
      const file = path.join(DIR, rel);
      const load = rel.endsWith('.mjs') ? `await import(${JSON.stringify(file)})` : `require(${JSON.stringify(file)})`;
      fs.writeFileSync(
        path.join(tests, `${name}.test.js`),
        `test('1100 calls', async () => {\n  const fixture = ${load};\n  for (let i = 0; i < 1100; i++) await fixture.call(i);\n}, 120000);\n`,
      );
      const t = Date.now();
      const r = spawnSync(process.execPath, [bin, '--detectLeaks', '--rootDir', tests, '--testPathPattern', `${name}\\.test\\.js$`, '--forceExit'], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
      const ms = Date.now() - t;
      const out = `${r.stdout}${r.stderr}`;
      const leak = /EXPERIMENTAL FEATURE!|leak/i.test(out) && /Your test suite is leaking memory/.test(out);
      const passed = /Tests:\s+1 passed/.test(out);
      console.log(`| ${rel} | ${leak ? 'yes' : passed ? 'no' : `? (exit ${r.status})`} | no | ${(ms / 1000).toFixed(1)} s |`);
    }
  } finally {
    fs.rmSync(tests, { recursive: true, force: true });
  }
}

console.log(`node ${process.version}, ${new Date().toISOString()}, threshold ${process.env.LEAKGUARD_CHECK_THRESHOLD ?? 'default'}`);
if (want('leaks')) leaks();
if (want('controls')) controls();
if (want('smallest')) smallest();
if (want('heapdiff')) heapdiff();
if (want('jest')) jest();
