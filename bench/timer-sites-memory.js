'use strict';
// RSS cost of timer sites in generated code: N distinct script names (vm
// scripts, as templates compiled with their own sourceURL are), each creating
// and clearing one timer, bare Node against the leakguard patch. Each variant
// runs in a child process of its own (node --expose-gc): RSS after full GCs
// once the scripts ran, minus the same before, and for the patched runs the
// timer rows of the counter table then and after unpatchTimers(). Children
// alternate bare / patched for --rounds rounds; the table gives the median and
// the range per variant.
// Run: node bench/timer-sites-memory.js [--n 10000] [--rounds 3]
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const N = arg('--n', 10_000);
const ROUNDS = arg('--rounds', 3);
const ROOT = path.resolve(__dirname, '..');

const CHILD = `
const vm = require('node:vm');
const patched = process.argv[1] === 'patched';
const root = process.argv[2];
const n = Number(process.argv[3]);
const timers = require(root + '/lib/timers');
const { statsTable } = require(root + '/lib/internal/stats');
// Rows registered now (only timer rows exist here): acquired less given back.
const timerRows = () => statsTable().next - statsTable().free.length;
if (patched) { timers.patchTimers(); statsTable(); }
const settle = () => { for (let i = 0; i < 4; i++) gc(); return process.memoryUsage().rss; };
const scripts = [];
for (let i = 0; i < n; i++) scripts.push(new vm.Script('clearTimeout(setTimeout(function tpl() {}, 1000));', { filename: 'template-' + i + '.js' }));
const before = settle();
for (const s of scripts) s.runInThisContext();
const after = settle();
const rows = patched ? timerRows() : 0;
if (patched) timers.unpatchTimers();
const afterUnpatch = settle();
const rowsAfterUnpatch = patched ? timerRows() : 0;
process.stdout.write(JSON.stringify({ grew: after - before, afterUnpatch: afterUnpatch - before, rows, rowsAfterUnpatch }));
`;

function run(variant) {
  return JSON.parse(execFileSync(process.execPath, ['--expose-gc', '-e', CHILD, variant, ROOT, String(N)], { encoding: 'utf8' }));
}

const results = { bare: [], patched: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const v of r % 2 === 0 ? ['bare', 'patched'] : ['patched', 'bare']) results[v].push(run(v));
}
const mb = (b) => (b / 1e6).toFixed(1);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const table = {};
for (const [v, rs] of Object.entries(results)) {
  const grew = rs.map((x) => x.grew);
  table[v] = {
    'RSS growth MB (median)': mb(median(grew)),
    range: `${mb(Math.min(...grew))} … ${mb(Math.max(...grew))}`,
    'after unpatch MB': v === 'patched' ? mb(median(rs.map((x) => x.afterUnpatch))) : '',
    'timer rows': v === 'patched' ? median(rs.map((x) => x.rows)) : '',
    'rows after unpatch': v === 'patched' ? median(rs.map((x) => x.rowsAfterUnpatch)) : '',
  };
}
console.log(`${N} scripts, ${ROUNDS} rounds, Node ${process.version}`);
console.table(table);
