'use strict';
// The suspect that holds the memory comes first: examples/leaks/
// session-map-and-bus-listener.js fills a Map (~1.5 MB/s) and, every tenth
// call of the same handler, adds a listener to a bus (fast enough to be a
// registry verdict before the heap's). Its first onLeak report must rank the
// Map line first and credit the listener only with what listeners hold
// (their count times the per-listener estimate), not the Map's bytes.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const EXAMPLE = path.join(ROOT, 'examples', 'leaks', 'session-map-and-bus-listener.js');
// Bytes a live listener is assumed to hold (src/sampler/ranking.rs, ITEM_BYTES).
const ITEM_BYTES = 1024;

function firstOnLeakReport() {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', path.join(ROOT, 'register.js'), EXAMPLE], {
      cwd: ROOT,
      env: { ...process.env, LEAKGUARD_INTERVAL_MS: '250', LEAKGUARD_REPORT: 'json', LEAKGUARD_EXAMPLE_JSON: '1', LEAKGUARD_EXAMPLE_MS: '45000', LEAKGUARD_EXAMPLE_AFTER_LEAK_MS: '2000', NODE_OPTIONS: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 70_000);
    child.on('close', () => {
      clearTimeout(killer);
      const first = stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l))
        .find((r) => r && r.leaking === true);
      resolve({ first: first ?? null, stderr });
    });
  });
}

test('a Map leak and a slower listener leak in one handler: the first onLeak report names the Map line first', { timeout: 90_000 }, async () => {
  const lines = fs.readFileSync(EXAMPLE, 'utf8').split('\n');
  const mapLine = lines.findIndex((l) => l.includes('// LEAK: allocation')) + 1;
  const listenerLine = lines.findIndex((l) => l.includes("bus.on('logout'")) + 1;
  const { first, stderr } = await firstOnLeakReport();
  assert.ok(first !== null, `no onLeak report\n${stderr.slice(-2000)}`);
  const show = JSON.stringify(first.suspects.slice(0, 3).map((s) => ({ kind: s.kind, line: s.site && s.site.line, bytes: s.bytes, count: s.count, description: s.description })), null, 1);
  const top = first.suspects[0];
  assert.equal(top.kind, 'allocation', show);
  assert.equal(top.candidates[0].file, EXAMPLE, show);
  assert.equal(top.candidates[0].line, mapLine, show);
  assert.doesNotMatch(top.description, /likely retained/, show);
  const listener = first.suspects.find((s) => s.kind === 'listener' && s.site.line === listenerLine);
  if (listener !== undefined) assert.equal(listener.bytes, listener.count * ITEM_BYTES, `the listener holds its listeners only\n${show}`);
});
