'use strict';
// Growth per unit of work (lib/sampler/work.js): work() validates its
// arguments; the fit gives bytes per unit and tells a leak that follows the
// work from one that follows the clock, on synthetic post-GC points; HTTP
// server requests are counted from Node's diagnostics channel.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const lg = require('..');
const { WorkFit, fit } = require('../lib/sampler/work');

test('work() refuses a bad name or count with ERR_LEAKGUARD_INVALID_OPTION', () => {
  for (const args of [[42], [''], ['x'.repeat(65)], ['job', -1], ['job', Number.NaN], ['job', Infinity], ['job', '1']]) {
    assert.throws(() => lg.work(...args), { code: 'ERR_LEAKGUARD_INVALID_OPTION' }, `work(${args.map(String).join(', ')})`);
  }
  assert.doesNotThrow(() => lg.work());
  assert.doesNotThrow(() => lg.work('upload', 3));
});

test('the least-squares fit gives slope and r²', () => {
  const f = fit([0, 1, 2, 3], [10, 12, 14, 16]);
  assert.equal(f.slope, 2);
  assert.equal(f.r2, 1);
  assert.equal(fit([1, 1, 1], [1, 2, 3]), null, 'no slope when x does not vary');
});

/** Synthetic points: units at a rate that alternates 600/s and 100/s every 3 s; bytes from `grow(units, t)` plus noise. */
function synthetic(name, grow) {
  const w = new WorkFit();
  let units = 0;
  let seed = 7;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return (seed / 2 ** 31 - 0.5) * 200_000;
  };
  for (let i = 0; i < 60; i++) {
    const t = 1_000_000 + i * 1000;
    units += Math.floor(i / 3) % 2 === 0 ? 600 : 100;
    lg.work(name, Math.floor(i / 3) % 2 === 0 ? 600 : 100);
    w.observe(i + 1, t, 50e6 + grow(units, (t - 1_000_000) / 1000) + noise());
  }
  return w.summary();
}

test('a leak per unit of work: bytes per unit within 5%, and it is said to grow with the work', () => {
  const s = synthetic('per-unit', (units) => units * 4096);
  const u = s.units.find((x) => x.name === 'per-unit');
  assert.ok(Math.abs(u.bytesPerUnit - 4096) / 4096 < 0.05, `bytes per unit ${u.bytesPerUnit}`);
  assert.equal(s.growsWith, 'work');
  assert.equal(s.unit, 'per-unit');
});

test('a leak per second while the work varies: it is said to grow with time', () => {
  const s = synthetic('clock', (_units, sec) => sec * 1.5e6);
  assert.equal(s.growsWith, 'time');
  assert.equal(s.unit, null);
  assert.ok(Math.abs(s.bytesPerSec - 1.5e6) / 1.5e6 < 0.05, `bytes per second ${s.bytesPerSec}`);
});

test('HTTP server requests are counted as http.request while the sampler runs', async () => {
  lg.start({ intervalMs: 250 });
  try {
    const server = http.createServer((req, res) => res.end('ok'));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => http.get({ host: '127.0.0.1', port: server.address().port, agent: false }, (res) => res.resume().on('end', resolve)));
    }
    await new Promise((resolve) => server.close(resolve));
    const row = lg.report().work.units.find((u) => u.name === 'http.request');
    assert.ok(row !== undefined && row.total >= 5, JSON.stringify(lg.report().work));
  } finally {
    lg.stop();
  }
});

test('work() refuses a name past the 32 distinct ones it keeps', () => {
  assert.throws(
    () => {
      for (let i = 0; i < 40; i++) lg.work(`name-${i}`);
    },
    { code: 'ERR_LEAKGUARD_INVALID_OPTION' },
  );
});
