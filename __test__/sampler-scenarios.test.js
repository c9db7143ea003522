'use strict';
// The sampler against real workloads, each in its own process
// (fixtures/sampler-scenario.js, intervalMs 250), all started at once so the
// file takes about two scenarios' time (~35 s when leaks are found in ~10 s). Leaks must be reported with the
// right suspect; warm-up, sawtooth and a bounded cache must never be.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const FIXTURE = path.join(__dirname, 'fixtures', 'sampler-scenario.js');
const SOURCE = fs.readFileSync(FIXTURE, 'utf8').split('\n');
// Controls run 20 s; leaks end 1.5 s after onLeak, with slack for a loaded machine.
const RUN_MS = 20_000;
const LEAK_DEADLINE_MS = 30_000;

/** Line (1-based) of the `// LEAK-LINE <name>` marker. */
function leakLine(name) {
  const i = SOURCE.findIndex((l) => l.endsWith(`// LEAK-LINE ${name}`));
  assert.ok(i >= 0, name);
  return i + 1;
}

function run(name, ms = RUN_MS) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [FIXTURE, name, String(ms)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SAMPLER_SCENARIO_HISTORY: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const started = Date.now();
    const kill = setTimeout(() => child.kill('SIGKILL'), ms + 20_000);
    child.on('close', (code, signal) => {
      clearTimeout(kill);
      const line = stdout.split('\n').find((l) => l.startsWith('SAMPLER_RESULT '));
      const result = line ? JSON.parse(line.slice('SAMPLER_RESULT '.length)) : null;
      resolve({ code, signal, result, stderr, wallMs: Date.now() - started });
    });
  });
}

// Two waves (the leaks end ~10 s in, the controls run 20 s) so that no more
// than five allocation-heavy processes share the machine at once.
const LEAKS = ['map', 'timer', 'listener', 'buffer', 'throwing'];
const CONTROLS = ['lru', 'plateau', 'sawtooth', 'idle'];
const runs = Object.fromEntries(LEAKS.map((n) => [n, run(n, LEAK_DEADLINE_MS)]));
const firstWave = Promise.all(Object.values(runs));
for (const n of CONTROLS) runs[n] = firstWave.then(() => run(n));

function explain(r) {
  const rep = r.result && r.result.report;
  const sus = rep ? rep.suspects.map((s) => `  ${s.kind} ${s.description}`).join('\n') : '';
  const h = (r.result && r.result.history) || [];
  const timeline = h
    .filter((_, i) => i % 4 === 0)
    .map((e) => `${((e.t - h[0].t) / 1000).toFixed(1)}s ${(e.heapUsedBytes / 1e6).toFixed(1)}/${(e.baselineBytes / 1e6).toFixed(1)}MB${e.leaking ? ' L' : ''}`)
    .join(', ');
  const heap = rep ? JSON.stringify(rep.heap) : '';
  return `exit ${r.code} ${r.signal || ''}; firstLeakMs=${r.result && r.result.firstLeakMs}\n${heap}\n${timeline}\n${sus}\n${r.stderr.slice(-1200)}`;
}

async function leaked(name) {
  const r = await runs[name];
  assert.equal(r.code, 0, explain(r));
  assert.ok(r.result.firstLeakMs !== null, `not reported within ${LEAK_DEADLINE_MS} ms\n${explain(r)}`);
  assert.equal(r.result.leakReport.leaking, true);
  assert.equal(r.result.report.leaking, true, explain(r));
  return r.result;
}

test('a global Map growing per tick: leaking, with an allocation suspect named to the line that fills it', async () => {
  const res = await leaked('map');
  const alloc = res.report.suspects.find((s) => s.kind === 'allocation');
  assert.ok(alloc, explain(await runs.map));
  assert.equal(alloc.site.file, FIXTURE);
  assert.equal(alloc.site.functionName, 'rememberSessions');
  // The function has one line that grows a container: it is the suspect's line.
  assert.equal(alloc.site.line, leakLine('map'));
  assert.equal(alloc.precision, 'line');
  assert.equal(alloc.candidates.length, 1);
  assert.equal(alloc.candidates[0].container, 'sessions');
  assert.equal(alloc.candidates[0].scope, 'module');
  assert.equal(alloc.function.name, 'rememberSessions');
  assert.match(alloc.description, /^`sessions\.set\(n\+\+, \{ id: n, blob: new Array\(160\)\.fill\(n\) \}\)` at .*sampler-scenario\.js:\d+ \(`sessions`: module scope\)/);
  assert.ok(alloc.growth > 0 && alloc.bytes > 0);
  assert.equal(res.report.suspects[0], alloc, 'nothing else outranks it');
});

test('a setInterval per tenant: the top suspect is the timer at the exact line', async () => {
  const res = await leaked('timer');
  const top = res.report.suspects[0];
  assert.equal(top.kind, 'timer', explain(await runs.timer));
  assert.equal(top.site.file, FIXTURE);
  assert.equal(top.site.line, leakLine('timer'));
  assert.equal(top.detail, 'interval');
  assert.ok(top.count > 100 && top.growth > 0);
  assert.match(top.description, /^setInterval at .*sampler-scenario\.js:\d+:\d+ has [\d ]+ live intervals, growing/);
});

test('a listener per request on a global bus (setMaxListeners(0)): the top suspect is that listener line', async () => {
  const res = await leaked('listener');
  const top = res.report.suspects[0];
  assert.equal(top.kind, 'listener', explain(await runs.listener));
  assert.equal(top.site.file, FIXTURE);
  assert.equal(top.site.line, leakLine('listener'));
  assert.equal(top.detail, 'config-changed');
});

test('Buffers piling up off-heap: leaking on external memory, the line that allocates them named first', async () => {
  const res = await leaked('buffer');
  assert.ok(res.report.heap.growing.includes('external'), explain(await runs.buffer));
  // Sampled Buffer allocations by call site (docs/sampler.md, "Off-heap attribution").
  const named = (r) => r.suspects.length > 0 && r.suspects[0].kind === 'buffer' && r.suspects[0].site.file === FIXTURE && r.suspects[0].site.line === leakLine('buffer');
  assert.ok(named(res.leakReport) || named(res.report), explain(await runs.buffer));
  const top = (named(res.report) ? res.report : res.leakReport).suspects[0];
  assert.equal(top.precision, 'line');
  assert.equal(top.detail, 'Buffer.alloc');
  assert.ok(top.bytes > 0 && top.growth > 0);
});

test('a throwing onLeak is reported as a warning and the sampler keeps sampling', async () => {
  const r = await runs.throwing;
  const res = await leaked('throwing');
  assert.ok(res.warnings >= 1, explain(r));
  assert.ok(res.report.heap.samples > res.leakReport.heap.samples, 'samples kept coming after the throw');
  assert.equal(res.report.running, true);
});

for (const name of ['lru', 'plateau', 'sawtooth']) {
  const what = { lru: 'a bounded LruCache under high-cardinality keys', plateau: 'a warm-up plateau', sawtooth: 'a GC sawtooth' }[name];
  test(`${what} is not flagged within 20 s`, async () => {
    const r = await runs[name];
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.result.firstLeakMs, null, `flagged\n${explain(r)}`);
    assert.equal(r.result.report.leaking, false);
    assert.ok(r.result.ranMs >= RUN_MS - 100);
    assert.ok(r.result.report.heap.samples > 20, 'the sampler was sampling');
  });
}

test('a process that only called start() exits on its own', async () => {
  const r = await runs.idle;
  assert.equal(r.signal, null, explain(r));
  assert.equal(r.code, 0, explain(r));
  assert.ok(r.wallMs < 15_000, `took ${r.wallMs} ms`);
});
