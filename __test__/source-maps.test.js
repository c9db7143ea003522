'use strict';
// Sites in TypeScript are reported at the .ts line under --enable-source-maps,
// for timers, listeners and allocations alike: a .ts file compiled with tsc
// into a temp folder, loaded by a child process that records a timer, a
// listener and a sampled allocation, and reports their sites.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');

const SOURCE = `import { EventEmitter } from 'node:events';

export const bus = new EventEmitter();
const kept: Map<number, { n: number; at: number; pad: number[] }> = new Map();

export function arm(n: number): NodeJS.Timeout {
  const unused: string = \`timer \${n}\`;
  void unused;
  return setInterval(() => n, 60_000); // TIMER
}

export function listen(n: number): void {
  const label: string = \`listener \${n}\`;
  bus.on('change', () => label); // LISTENER
}

export function keep(n: number): void {
  const entry: { n: number; at: number; pad: number[] } = { n, at: Date.now(), pad: new Array(64).fill(n) };
  kept.set(n, entry); // ALLOCATION
}
`;

const CHILD = `
const timers = require(${JSON.stringify(path.join(ROOT, 'lib/timers'))});
const listeners = require(${JSON.stringify(path.join(ROOT, 'lib/listeners'))});
const { allocationSuspects, Attributor } = require(${JSON.stringify(path.join(ROOT, 'lib/sampler/attribution'))});
const inspector = require('node:inspector');
timers.patchTimers();
listeners.trackListeners();
const session = new inspector.Session();
session.connect();
const post = (m, p) => { let out; session.post(m, p, (e, r) => { if (e) throw e; out = r; }); return out; };
post('HeapProfiler.startSampling', { samplingInterval: 2048 });
const m = require(process.argv[1]);
const handles = [];
for (let i = 0; i < 3; i++) { handles.push(m.arm(i)); m.listen(i); }
for (let i = 0; i < 20000; i++) m.keep(i);
const { profile } = post('HeapProfiler.getSamplingProfile', {});
post('HeapProfiler.stopSampling', {});
const attributor = new Attributor();
const allocations = allocationSuspects(profile, null, 1)
  .filter((s) => s.facts.generatedFile === process.argv[1])
  .map((s) => ({ site: s.site, attribution: attributor.attribute(s.facts) }));
process.stdout.write(JSON.stringify({ timers: timers.timers(), listeners: listeners.listeners(), allocations }));
handles.forEach(clearInterval);
timers.unpatchTimers();
listeners.untrackListeners();
`;

function lineOf(marker) {
  return SOURCE.split('\n').findIndex((l) => l.includes(marker)) + 1;
}

function compile(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-ts-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'sites.ts'), SOURCE);
  const tsc = require.resolve('typescript/bin/tsc');
  const types = path.join(ROOT, 'node_modules', '@types');
  const r = spawnSync(process.execPath, [tsc, '--target', 'ES2022', '--module', 'commonjs', '--strict', '--sourceMap', '--types', 'node', '--typeRoots', types, path.join(dir, 'sites.ts')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc: ${r.stdout}${r.stderr}`);
  return dir;
}

function run(dir, flags) {
  const r = spawnSync(process.execPath, [...flags, '-e', CHILD, path.join(dir, 'sites.js')], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('under --enable-source-maps, timer, listener and allocation sites are the .ts lines', (t) => {
  const dir = compile(t);
  const ts = path.join(dir, 'sites.ts');
  const out = run(dir, ['--enable-source-maps']);
  const timer = out.timers.find((row) => row.kind === 'interval');
  assert.equal(timer.site.file, ts);
  assert.equal(timer.site.line, lineOf('// TIMER'));
  const listener = out.listeners.find((row) => row.event === 'change');
  assert.equal(listener.site.file, ts);
  assert.equal(listener.site.line, lineOf('// LISTENER'));
  const alloc = out.allocations.find((a) => a.attribution.candidates.length > 0);
  assert.ok(alloc, JSON.stringify(out.allocations));
  assert.equal(alloc.site.file, ts, 'the allocating function is reported in the .ts file');
  const [c] = alloc.attribution.candidates;
  assert.equal(c.file, ts);
  assert.equal(c.line, lineOf('// ALLOCATION'));
  assert.equal(c.container, 'kept');
  assert.equal(alloc.attribution.function.file, ts);
  assert.equal(alloc.attribution.function.line, lineOf('export function keep'));
});

test('without source maps the same sites stay in the compiled .js', (t) => {
  const dir = compile(t);
  const js = path.join(dir, 'sites.js');
  const compiled = fs.readFileSync(js, 'utf8').split('\n');
  const out = run(dir, []);
  const timer = out.timers.find((row) => row.kind === 'interval');
  assert.equal(timer.site.file, js);
  assert.equal(timer.site.line, compiled.findIndex((l) => l.includes('// TIMER')) + 1);
  const alloc = out.allocations.find((a) => a.attribution.candidates.length > 0);
  assert.ok(alloc, JSON.stringify(out.allocations));
  assert.equal(alloc.attribution.candidates[0].file, js);
  assert.equal(alloc.attribution.candidates[0].line, compiled.findIndex((l) => l.includes('// ALLOCATION')) + 1);
});
