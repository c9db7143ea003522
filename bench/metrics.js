'use strict';
// Cost of the fleet exports: metrics.prometheus() with the sampler running and
// a populated counter table, and rendering the HTML report of a full timeline.
// Run by hand: node bench/metrics.js (medians of interleaved rounds).
const os = require('node:os');
const lg = require('..');
const { statsTable } = require('../lib/internal/stats');
const { renderHtmlReport } = require('../lib/export/html-report');

const CACHES = 50;
const SITES = 200;
const SAMPLES = 600;

lg.start({ intervalMs: 1000, timers: false, listeners: false, allocations: false });
const rows = [];
for (let i = 0; i < CACHES; i++) {
  const r = statsTable().acquire({ kind: 'cache', name: `cache-${i}` });
  r.cells[0] = i * 10;
  r.cells[5] = i;
  rows.push(r.id);
}
for (let i = 0; i < SITES; i++) {
  const r = statsTable().acquire({ kind: i % 2 ? 'timer' : 'listener', site: { file: '/srv/app.js', line: i + 1, column: 1 }, detail: 'x' });
  r.cells[0] = i;
  rows.push(r.id);
}
const t0 = Date.now();
const history = [];
for (let i = 0; i < SAMPLES; i++) {
  history.push({ t: t0 + i * 1000, heapUsedBytes: 2e7 + i * 1e5, rssBytes: 6e7 + i * 1e5, externalBytes: 1e6, baselineBytes: 1.9e7 + i * 1e5, leaking: i > 300, lagP99Ms: 3 });
}
const report = lg.report();

function timeMs(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}
const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];

const prom = [];
const html = [];
for (let round = 0; round < 200; round++) {
  prom.push(timeMs(() => lg.metrics.prometheus()));
  if (round % 4 === 0) html.push(timeMs(() => renderHtmlReport(report, history)));
}
console.log(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`metrics.prometheus(): ${median(prom).toFixed(2)} ms median, ${lg.metrics.prometheus().length} bytes (${CACHES} caches, ${SITES} site rows)`);
console.log(`renderHtmlReport(): ${median(html).toFixed(2)} ms median, ${renderHtmlReport(report, history).length} bytes (${SAMPLES} samples)`);
for (const id of rows) statsTable().release(id);
lg.stop();
