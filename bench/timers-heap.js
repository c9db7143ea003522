'use strict';
// Heap per live timer: N live timers (default 1 000 000), bare Node vs the
// leakguard patch, each measured in a child process of its own (node
// --expose-gc), as process.memoryUsage().heapUsed after full GCs with the
// timers held minus the same before they were made, divided by N. Children
// alternate bare / patched for --rounds rounds; the table gives the median
// and the range per variant, and the patched/bare ratio of the medians.
// Run: node bench/timers-heap.js [--n 1000000] [--rounds 3] [--floor]
//   --floor: instead, the floor of any handle separate from Node's Timeout:
//   a bare setTimeout held through a plain object of 0, 1, 2 or 3 fields
//   (the first pointing at the Timeout), per live timer.
//   shapes: setTimeout with one shared callback (what a Node Timeout costs
//   alone), setTimeout with a fresh closure each (the closure counts on both
//   sides), setTimeout with two arguments, setInterval.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

// A bare timer held through a handle of k fields (--floor).
const FLOOR = {
  'handle of 0 fields': 'const cb = () => {}; class H { constructor() {} } make = () => { setTimeout(cb, 1e7).unref(); return new H(); };',
  'handle of 1 field': 'const cb = () => {}; class H { constructor(t) { this.t = t; } } make = () => new H(setTimeout(cb, 1e7).unref());',
  'handle of 2 fields': 'const cb = () => {}; class H { constructor(t, c) { this.t = t; this.c = c; } } make = () => new H(setTimeout(cb, 1e7).unref(), cb);',
  'handle of 3 fields': 'const cb = () => {}; class H { constructor(t, c) { this.t = t; this.c = c; this.b = null; } } make = () => new H(setTimeout(cb, 1e7).unref(), cb);',
};

const SHAPES = {
  shared: 'const cb = () => {}; make = () => setTimeout(cb, 1e7);',
  closure: 'make = (i) => setTimeout(() => i, 1e7);',
  args: 'const cb = () => {}; make = (i) => setTimeout(cb, 1e7, i, "x");',
  interval: 'const cb = () => {}; make = () => setInterval(cb, 1e7);',
};

function child(variant, shape, n) {
  const root = path.resolve(__dirname, '..');
  const script = `
    'use strict';
    if (${JSON.stringify(variant)} === 'floor') {} else if (${JSON.stringify(variant)} === 'patched') require(${JSON.stringify(path.join(root, 'lib', 'timers'))}).patchTimers();
    let make;
    ${variant === 'floor' ? FLOOR[shape] : SHAPES[shape]}
    const used = () => { for (let i = 0; i < 4; i++) globalThis.gc(); return process.memoryUsage().heapUsed; };
    const held = new Array(${n}).fill(null);
    const before = used();
    for (let i = 0; i < ${n}; i++) held[i] = make(i);
    const after = used();
    process.stdout.write(String((after - before) / ${n}));
    for (const t of held) clearTimeout(t && t.t !== undefined ? t.t : t);
  `;
  return Number(execFileSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' }));
}

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

const n = arg('--n', 1_000_000);
const rounds = arg('--rounds', 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rows = [];
if (process.argv.includes('--floor')) {
  for (const shape of Object.keys(FLOOR)) {
    const got = [];
    for (let r = 0; r < rounds; r++) got.push(child('floor', shape, n));
    rows.push({ shape, 'B per live timer': median(got).toFixed(1) });
  }
  console.log(`node ${process.version}, ${n} live bare timers each held through a handle, ${rounds} rounds (median)`);
  console.table(rows);
  process.exit(0);
}
for (const shape of Object.keys(SHAPES)) {
  const got = { bare: [], patched: [] };
  for (let r = 0; r < rounds; r++) {
    for (const variant of r % 2 === 0 ? ['bare', 'patched'] : ['patched', 'bare']) got[variant].push(child(variant, shape, n));
  }
  const b = median(got.bare);
  const p = median(got.patched);
  const range = (xs) => `${Math.min(...xs).toFixed(1)} … ${Math.max(...xs).toFixed(1)}`;
  rows.push({ shape, bareB: b.toFixed(1), bareRange: range(got.bare), patchedB: p.toFixed(1), patchedRange: range(got.patched), ratio: (p / b).toFixed(2) });
}
console.log(`node ${process.version}, ${n} live timers, ${rounds} rounds (median, range), bytes of heap per live timer`);
console.table(rows);
