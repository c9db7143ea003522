'use strict';
// What watching GCs costs per GC: V8's GC callbacks (the GC watch,
// src/sampler/gc_watch.cc) against the 'gc' PerformanceObserver leakguard
// falls back to under another V8. Each variant runs in a fresh process under
// valgrind's callgrind, which counts the instructions of the whole process
// (every thread, GC included), twice: 300 and 900 event-loop turns, each
// turn leaving ~1.5 MB of garbage with a 1 MiB semi-space, so every turn
// runs scavenges (and the observer, when used, delivers from an immediate per
// batch). The difference between the two runs over the difference in GCs is
// the cost per GC with start-up left out; bare's is subtracted. leakguard
// runs with its heartbeat at 10 min (the tick is not what is counted) and
// without allocation sampling (its cost is per allocation, the same in both
// variants). Rounds alternate; medians and spread.
//
// Run: node bench/gc-watch.js [--rounds 3]   (needs valgrind; ~10 min)

const { spawnSync } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
// The package without its GC watches: JS observes GCs (an addon with no watch for this V8).
const fs = require('node:fs');
const { packageWithoutWatches } = require('../__test__/support/package-copy');
const BARE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-bench-nowatch-'));
process.on('exit', () => fs.rmSync(BARE_DIR, { recursive: true, force: true }));
const BARE = packageWithoutWatches(BARE_DIR);
const argv = process.argv.slice(2);
const rounds = Number(argv[argv.indexOf('--rounds') + 1]) || 3;

const work = (turns) => `
  const turns = ${turns};
  let done = 0;
  let sink = null;
  const turn = () => {
    for (let i = 0; i < 20000; i++) sink = { i, a: [i, i + 1], s: 'x' + (i & 1023) };
    if (++done < turns) setImmediate(turn);
    else process.stdout.write('RESULT ' + JSON.stringify({ gcs: gcs(), sink: sink !== null }) + '\\n');
  };
  setImmediate(turn);`;

// Counts GCs without watching them from JS (the count is read once, at the end).
const COUNT = `
  const { GCProfiler } = require('node:v8');
  const counter = new GCProfiler();
  counter.start();
  const gcs = () => counter.stop().statistics.length;`;

const VARIANTS = {
  bare: '',
  'GC watch': `require(${JSON.stringify(ROOT)}).start({ intervalMs: 600000, allocations: false });`,
  'observer (no watch for this V8)': `require(${JSON.stringify(BARE)}).start({ intervalMs: 600000, allocations: false });`,
};

function run(setup, turns) {
  const source = `${COUNT}\n${setup}\n${work(turns)}`;
  const r = spawnSync(
    'valgrind',
    ['--tool=callgrind', '--callgrind-out-file=/dev/null', '--smc-check=all-non-file', process.execPath, '--max-semi-space-size=1', '-e', source],
    { cwd: os.tmpdir(), encoding: 'utf8', env: { ...process.env, LEAKGUARD_QUIET: '1', LEAKGUARD_REPORT: 'none' }, maxBuffer: 1 << 26 },
  );
  const c = /Collected : (\d+)/.exec(r.stderr);
  const m = /RESULT (.*)/.exec(r.stdout);
  if (c === null || m === null) throw new Error(`no count: ${r.stderr.slice(-600)}`);
  return { instructions: Number(c[1]), gcs: JSON.parse(m[1]).gcs };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString('en');
/** Instructions per GC from the short and the long run of one round. */
const perGc = (short, long) => (long.instructions - short.instructions) / (long.gcs - short.gcs);
const results = Object.fromEntries(Object.keys(VARIANTS).map((k) => [k, []]));
console.log(`node ${process.version}, V8 ${process.versions.v8}; ${rounds} rounds, alternating; whole process under callgrind`);
for (let i = 0; i < rounds; i++) {
  for (const [name, setup] of Object.entries(VARIANTS)) {
    const short = run(setup, 300);
    const long = run(setup, 900);
    results[name].push(perGc(short, long));
    console.log(`  round ${i + 1} ${name}: ${fmt(short.instructions)} (${short.gcs} GCs), ${fmt(long.instructions)} (${long.gcs} GCs): ${fmt(perGc(short, long))} per GC`);
  }
}
const bare = median(results.bare);
console.log('\n| variant | instructions per GC (median) | added per GC over bare | spread of rounds (min–max per GC) |');
console.log('| --- | --- | --- | --- |');
for (const [name, rs] of Object.entries(results)) {
  const m = median(rs);
  console.log(`| ${name} | ${fmt(m)} | ${name === 'bare' ? '–' : fmt(m - bare)} | ${fmt(Math.min(...rs))} – ${fmt(Math.max(...rs))} |`);
}
