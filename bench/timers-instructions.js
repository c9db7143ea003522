'use strict';
// Timers patch overhead in instructions, not seconds: each case's loop runs
// under valgrind's callgrind, which counts the instructions the process
// executes. On a shared machine wall time per timer pair moved by 2–4× within
// an hour (bench/RESULTS.md), while the same count came out the same to six
// digits run after run. The count is not the time (it does not see cache
// misses: the patched pair had ~2.7 more L1 data misses than native's ~6.1 in
// cachegrind's model), so the time goal stays in bench/timers.js; this one
// tells changes apart that the clock cannot.
//
// Method: node --predictable (V8 single-threaded, so JIT and GC work lands on
// the counted thread deterministically), the case's loop warmed up once, then
// run for ~100 000 and for ~300 000 operations in two processes; the
// difference of the two totals over the difference of operations is the
// per-operation count (start-up, warm-up and compilation cancel out).
// --predictable runs slower code than a normal process (the native pair is
// ~4 100 instructions here), so compare the ratios, not the absolute counts.
//
// Run: node bench/timers-instructions.js [--case text]   (needs valgrind; ~10 min for all cases on 2 cores)
const { execFile } = require('node:child_process');
const os = require('node:os');
const { VARIANTS, BODIES, CASES } = require('./timer-cases');

const SMALL = 100_000;
const LARGE = 300_000;

function noop() {}
const meter = { start: () => null, stop: () => null };

/** In the child: `calls` runs of the case's loop after one warm-up run. */
async function child(variant, caseIndex, calls) {
  const [, body, n] = CASES[caseIndex];
   
  const loop = new Function('t', 'n', 'noop', 'meter', BODIES[body]);
  await loop(VARIANTS[variant], n, noop, meter);
  for (let i = 0; i < calls; i++) await loop(VARIANTS[variant], n, noop, meter);
}

function collected(variant, caseIndex, calls) {
  const args = ['--tool=callgrind', '--smc-check=all-non-file', '--callgrind-out-file=/dev/null', process.execPath, '--predictable', __filename, '--child', variant, String(caseIndex), String(calls)];
  return new Promise((resolve, reject) => {
    execFile('valgrind', args, { maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const m = /Collected : (\d+)/.exec(stderr);
      if (err || m === null) reject(new Error(`valgrind ${args.join(' ')} failed: ${err ? err.message : stderr.slice(-500)}`));
      else resolve(Number(m[1]));
    });
  });
}

/** Instructions per operation of `variant` in case `caseIndex`. */
async function perOp(variant, caseIndex) {
  const n = CASES[caseIndex][2];
  const small = Math.ceil(SMALL / n);
  const large = Math.ceil(LARGE / n);
  const [a, b] = await Promise.all([collected(variant, caseIndex, small), collected(variant, caseIndex, large)]);
  return (b - a) / ((large - small) * n);
}

async function main() {
  const only = process.argv.indexOf('--case');
  const picked = CASES.map((c, i) => i).filter((i) => only === -1 || CASES[i][0].includes(process.argv[only + 1]));
  console.log(`node ${process.version}, ${os.cpus().length} cpus; instructions per operation under callgrind (node --predictable)`);
  const rows = [];
  for (const c of picked) {
    const count = {};
    for (const v of Object.keys(VARIANTS)) count[v] = await perOp(v, c);
    const pct = (v) => `${((count[v] / count.native - 1) * 100).toFixed(1)}%`;
    rows.push({ case: CASES[c][0], native: Math.round(count.native), patched: Math.round(count.patched), overhead: pct('patched'), handleFloor: pct('floor') });
    console.log(JSON.stringify(rows[rows.length - 1]));
  }
  console.table(rows);
}

const childMode = process.argv.indexOf('--child');
if (childMode !== -1) child(process.argv[childMode + 1], Number(process.argv[childMode + 2]), Number(process.argv[childMode + 3]));
else
  main().catch((err) => {
    console.error(err.message);
    process.exitCode = 1;
  });
