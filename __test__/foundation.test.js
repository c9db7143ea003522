'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { Worker } = require('node:worker_threads');
const { assertWorkerChurnSurvives } = require('./support/worker-churn');

const ROOT = path.resolve(__dirname, '..');

test('the addon loads in the main thread and shares memory with Rust', () => {
  const native = require('../lib/internal/native');
  const registry = new native.NativeRegistry();
  const page = registry.addPage();
  assert.ok(page instanceof Float64Array);
  registry.register(1, JSON.stringify({ kind: 'cache', name: 'x' }));
  page[8] = 12;
  page[9] += 0.5;
  const [row] = JSON.parse(registry.snapshotJson());
  assert.equal(row.id, 1);
  assert.deepEqual(row.cells.slice(0, 2), [12, 0.5]);
});

test('the addon loads in 4 workers at once and they terminate cleanly', async () => {
  const source = `
    const { parentPort } = require('node:worker_threads');
    const lg = require(${JSON.stringify(ROOT)});
    const { statsTable } = require(${JSON.stringify(path.join(ROOT, 'lib/internal/stats.js'))});
    const { cells } = statsTable().acquire({ kind: 'cache' });
    cells[0] = 7;
    parentPort.postMessage({ version: lg.version, rows: statsTable().snapshot().length, hits: statsTable().snapshot()[0].cells[0] });
    setInterval(() => {}, 1000); // keep running until terminated
  `;
  const workers = Array.from({ length: 4 }, () => new Worker(source, { eval: true }));
  const messages = await Promise.all(
    workers.map((w) => new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    })),
  );
  for (const m of messages) assert.deepEqual(m, { version: require('../package.json').version, rows: 1, hits: 7 });
  const codes = await Promise.all(workers.map((w) => w.terminate()));
  assert.deepEqual(codes, [1, 1, 1, 1]);
});

test('terminating workers repeatedly while they use the addon never crashes the process', () => {
  const stats = JSON.stringify(path.join(ROOT, 'lib/internal/stats.js'));
  assertWorkerChurnSurvives(
    `const { statsTable } = require(${stats});
     for (;;) { const t = statsTable(); const r = t.acquire({ kind: 'timer' }); r.cells[0]++; t.release(r.id); }`,
    { runs: 20, delayMs: (i) => 5 + (i % 5) * 5 },
  );
});

test('CJS and ESM entry points expose the same names and objects', async () => {
  const cjs = require('..');
  const esm = await import('../index.mjs');
  const named = Object.keys(esm).filter((k) => k !== 'default').sort();
  assert.deepEqual(named, Object.keys(cjs).sort());
  assert.equal(esm.default, cjs);
  for (const k of named) assert.equal(esm[k], cjs[k], k);
});

test('the package resolves by name for require and import', () => {
  const out = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import lg, { version } from 'leakguard'; import { createRequire } from 'node:module';
       const req = createRequire(import.meta.url);
       console.log(JSON.stringify([version === req('leakguard').version, lg === req('leakguard')]));`,
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  assert.deepEqual(JSON.parse(out), [true, true]);
});

test('requiring leakguard never keeps a process alive', () => {
  const started = process.hrtime.bigint();
  const out = spawnSync(process.execPath, ['-e', "require('leakguard'); require('leakguard/register')"], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.signal, null, 'the process had to be killed: something kept it alive');
  assert.ok(process.hrtime.bigint() > started);
});
