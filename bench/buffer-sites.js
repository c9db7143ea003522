'use strict';
// Off-heap attribution cost (lib/sampler/buffer-sites.js): what Buffer's
// factories, and with arrayBufferSites `new ArrayBuffer` and typed arrays,
// cost while leakguard samples them by call site (armed), against Node's own
// functions (off), at the default sampling interval (512 KiB).
//
//   node bench/buffer-sites.js --time          ns per call, off and armed in interleaved rounds (pinned to one core with taskset when present)
//   node bench/buffer-sites.js --instructions  instructions per call under callgrind (node --predictable; needs valgrind)
//   node bench/buffer-sites.js --memory        peak arrayBuffers of a Buffer churn, off and armed (a sampled Buffer lives until the next major GC)
//   node bench/buffer-sites.js --memory --typed the same for a Float64Array churn (arrayBufferSites)
//
// The instruction count is the load-independent figure: per case, two
// processes run ~N and ~3N calls after a warm-up and the difference of their
// totals over 2N is the per-call count (start-up cancels out).
const { execFile, spawnSync } = require('node:child_process');
const { Buffer } = require('node:buffer');
const os = require('node:os');
const { BufferSites } = require('../lib/sampler/buffer-sites');

const INTERVAL = 512 * 1024;
const text = 'x'.repeat(100);
const half = Buffer.alloc(512);
let sink = 0;
const CASES = {
  'Buffer.alloc(64)': () => (sink += Buffer.alloc(64).length),
  'Buffer.allocUnsafe(1024) (pool)': () => (sink += Buffer.allocUnsafe(1024).length),
  'Buffer.from(100-char string)': () => (sink += Buffer.from(text).length),
  'Buffer.concat(2 × 512 B)': () => (sink += Buffer.concat([half, half]).length),
  'Buffer.alloc(64 KiB)': () => (sink += Buffer.alloc(64 * 1024).length),
  // arrayBufferSites: the globals are a Proxy of each while armed.
  'new Uint8Array(64)': () => (sink += new Uint8Array(64).length),
  'new Float64Array(128) (1 KiB)': () => (sink += new Float64Array(128).length),
  'new ArrayBuffer(64 KiB)': () => (sink += new ArrayBuffer(64 * 1024).byteLength),
};

function tracker() {
  return new BufferSites({ samplingIntervalBytes: INTERVAL, windowMs: 8000, intervalMs: 1000, constructors: true });
}

function loop(fn, n) {
  for (let i = 0; i < n; i++) fn();
}

function timeCase(fn, n) {
  const t0 = process.hrtime.bigint();
  loop(fn, n);
  return Number(process.hrtime.bigint() - t0) / n;
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];

function time() {
  const rounds = 15;
  console.log(`node ${process.version}, ${os.cpus().length} cpus, pid ${process.pid}; ns per call, median of ${rounds} interleaved rounds (min–max)`);
  const rows = [];
  for (const [name, fn] of Object.entries(CASES)) {
    const n = name.includes('KiB') ? 20_000 : 200_000;
    const s = tracker();
    loop(fn, n); // warm-up, off
    s.arm();
    loop(fn, n); // warm-up, armed
    s.disarm();
    const off = [];
    const armed = [];
    for (let r = 0; r < rounds; r++) {
      off.push(timeCase(fn, n));
      s.arm();
      armed.push(timeCase(fn, n));
      s.disarm();
    }
    const a = median(off);
    const b = median(armed);
    rows.push({
      case: name,
      off: `${a.toFixed(1)} (${Math.min(...off).toFixed(1)}–${Math.max(...off).toFixed(1)})`,
      armed: `${b.toFixed(1)} (${Math.min(...armed).toFixed(1)}–${Math.max(...armed).toFixed(1)})`,
      added: `${(b - a).toFixed(1)} ns (${((b / a - 1) * 100).toFixed(0)}%)`,
    });
  }
  console.table(rows);
}

/** In a callgrind child: warm-up, then `calls` calls of the case, armed or not. */
function child(variant, name, calls) {
  const fn = CASES[name];
  const s = tracker();
  if (variant === 'armed') s.arm();
  loop(fn, 20_000);
  loop(fn, calls);
}

function collected(variant, name, calls) {
  const args = ['--tool=callgrind', '--smc-check=all-non-file', '--callgrind-out-file=/dev/null', process.execPath, '--predictable', __filename, '--child', variant, name, String(calls)];
  return new Promise((resolve, reject) => {
    execFile('valgrind', args, { maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const m = /Collected : (\d+)/.exec(stderr);
      if (err || m === null) reject(new Error(`valgrind failed: ${err ? err.message : stderr.slice(-500)}`));
      else resolve(Number(m[1]));
    });
  });
}

async function instructions() {
  console.log(`node ${process.version}; instructions per call under callgrind (node --predictable)`);
  const rows = [];
  for (const name of Object.keys(CASES)) {
    const n = name.includes('KiB') ? 4_000 : 40_000;
    const count = {};
    for (const v of ['off', 'armed']) {
      const [a, b] = await Promise.all([collected(v, name, n), collected(v, name, 3 * n)]);
      count[v] = (b - a) / (2 * n);
    }
    rows.push({ case: name, off: Math.round(count.off), armed: Math.round(count.armed), added: `${Math.round(count.armed - count.off)} (${((count.armed / count.off - 1) * 100).toFixed(1)}%)` });
    console.log(JSON.stringify(rows[rows.length - 1]));
  }
  console.table(rows);
}

const MAKERS = {
  Buffer: (size) => Buffer.alloc(size).length,
  Float64Array: (size) => new Float64Array(size / 8).length,
};

/** Peak arrayBuffers while churning `size`-byte Buffers or typed arrays (none kept) for `ms`. */
async function churn(kind, size, ms, armed) {
  const make = MAKERS[kind];
  const s = tracker();
  if (armed) s.arm();
  let peak = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    for (let i = 0; i < 64; i++) sink += make(size);
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    await new Promise((resolve) => setImmediate(resolve));
  }
  s.disarm();
  return { peak, samples: s.samples };
}

async function memory() {
  console.log(`node ${process.version}; peak process.memoryUsage().arrayBuffers while churning Buffers or Float64Arrays (none kept), 3 s each, off and armed alternating`);
  const kinds = process.argv.includes('--typed') ? ['Float64Array'] : ['Buffer'];
  const rows = [];
  for (const kind of kinds) {
    for (const size of [4 * 1024, 64 * 1024, 1024 * 1024]) {
      for (let r = 0; r < 2; r++) {
        for (const armed of [false, true]) {
          const { peak, samples } = await churn(kind, size, 3000, armed);
          rows.push({ kind, size, armed, peakMB: (peak / 1e6).toFixed(1), samples });
        }
      }
    }
  }
  console.table(rows);
}

const at = process.argv.indexOf('--child');
if (at !== -1) child(process.argv[at + 1], process.argv[at + 2], Number(process.argv[at + 3]));
else if (process.argv.includes('--instructions')) instructions().catch((err) => ((process.exitCode = 1), console.error(err.message)));
else if (process.argv.includes('--memory')) memory();
else if (!process.env.BENCH_PINNED && spawnSync('taskset', ['-c', '1', 'true']).status === 0) {
  // Pinned to one core: the rounds of both variants share it.
  const r = spawnSync('taskset', ['-c', '1', process.execPath, __filename, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, BENCH_PINNED: '1' } });
  process.exitCode = r.status;
} else time();
