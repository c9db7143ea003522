'use strict';
// Cache hot paths in instructions, not seconds (a shared machine's load moves
// timings by 2x; instruction counts do not move): each (cache, operation) loop
// runs under valgrind's callgrind at two lengths, and the difference divided
// by the difference in operations is the cost of one operation, start-up
// excluded. With BASE=<another checkout> the same loops run against its lib/
// and addon too, side by side.
//
//   BASE=/tmp/lg-base node bench/cache-instructions.js   (needs valgrind; ~5 min)
//
// LruCache: get-hit over 10 000 string keys, set of 30 000 keys cycling
// through max 10 000 (every set evicts); OffHeapCache: get-hit and same-size
// replacing set of 64-byte string values over 2 000 keys.

const { spawnSync } = require('node:child_process');
const path = require('node:path');
const os = require('node:os');

const SHORT = 100_000;
const LONG = 300_000;

function child(root, kind, op, ops) {
  const N = kind === 'lru' ? 10_000 : 2_000;
  const keys = Array.from({ length: 3 * N }, (_, i) => `user:${i}`);
  let c;
  let v;
  if (kind === 'lru') {
    const { LruCache } = require(path.join(root, 'lib/cache'));
    c = new LruCache({ max: N });
    v = { id: 1 };
  } else {
    const { OffHeapCache } = require(path.join(root, 'lib/offheap'));
    c = new OffHeapCache({ maxSize: N * (OffHeapCache.entryOverhead + 80) });
    v = 'v'.repeat(64);
  }
  for (let i = 0; i < N; i++) c.set(keys[i], v);
  const span = kind === 'lru' ? 3 * N : N;
  let x;
  if (op === 'get') for (let i = 0; i < ops; i++) x = c.get(keys[(i * 7) % N]);
  else for (let i = 0; i < ops; i++) c.set(keys[(i * 7) % span], v);
  if (x === 42) process.stdout.write('');
}

function run(root, kind, op, ops) {
  // callgrind prints its total on stderr.
  const r = spawnSync(
    'valgrind',
    ['--tool=callgrind', '--smc-check=all-non-file', '--callgrind-out-file=/dev/null', process.execPath, '--predictable', __filename, '--child', root, kind, op, String(ops)],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  const m = /Collected : (\d+)/.exec(r.stderr);
  if (m === null) throw new Error(`valgrind failed: ${r.stderr.slice(-500)}`);
  return Number(m[1]);
}

function main() {
  const roots = [['this checkout', path.join(__dirname, '..')]];
  if (process.env.BASE) roots.push(['BASE', path.resolve(process.env.BASE)]);
  const rows = [];
  for (const [kind, op] of [
    ['lru', 'get'],
    ['lru', 'set'],
    ['offheap', 'get'],
    ['offheap', 'set'],
  ]) {
    const row = { what: `${kind === 'lru' ? 'LruCache' : 'OffHeapCache'} ${op === 'get' ? 'get-hit' : 'set'}` };
    for (const [name, root] of roots) row[name] = (run(root, kind, op, LONG) - run(root, kind, op, SHORT)) / (LONG - SHORT);
    rows.push(row);
  }
  const names = roots.map(([n]) => n);
  let out = `instructions per operation under callgrind (node --predictable); ${LONG} - ${SHORT} operations\n\n`;
  out += `| operation | ${names.join(' | ')} |${names.length > 1 ? ' ratio |' : ''}\n|---|${names.map(() => '---:').join('|')}|${names.length > 1 ? '---:|' : ''}\n`;
  for (const r of rows) {
    const cells = names.map((n) => r[n].toFixed(0));
    out += `| ${r.what} | ${cells.join(' | ')} |${names.length > 1 ? ` ${(r[names[0]] / r[names[1]]).toFixed(3)}x |` : ''}\n`;
  }
  out += `\nnode ${process.version}, ${os.cpus().length} CPUs\n`;
  process.stdout.write(out);
}

if (process.argv[2] === '--child') child(process.argv[3], process.argv[4], process.argv[5], Number(process.argv[6]));
else main();
