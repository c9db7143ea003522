'use strict';
// Near the limits a process dies at (issue 29): V8's own near-heap-limit
// callback through the GC watch (exact whatever sized the heap, the report
// written from native code, the limit raised once so JS can deliver it,
// Node's --heapsnapshot-near-heap-limit unharmed, the callback gone after
// stop()), the GC watch chosen by the version V8 states, and the container's
// memory limit (a real memory cgroup where this machine lets the test make
// one). Processes that must die run as children; no assertion depends on how
// fast this machine is (deadlines only bound a failure).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { limitRaise } = require('../lib/sampler/heap-feed');
const { packageWithoutWatches } = require('./support/package-copy');

const ROOT = path.resolve(__dirname, '..');
const MiB = 1024 * 1024;

function runChild(args, { env = {}, timeout = 120_000, shell = null } = {}) {
  return new Promise((resolve) => {
    const cmd = shell === null ? process.execPath : '/bin/sh';
    const argv = shell === null ? args : ['-c', shell, 'sh', process.execPath, ...args];
    const child = spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function tempDir(t, name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `leakguard-${name}-`));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Whether this Node runs the GC watch (the addon has one for its V8). */
function gcWatchHere() {
  const lg = require(ROOT);
  lg.start({ timers: false, listeners: false, allocations: false });
  const source = lg.report().sampler.gcWatch;
  lg.stop();
  return source === 'v8';
}

/**
 * A child that hoards ~100 KB every 10 ms (or in a loop that never yields,
 * `sync`) under `nodeArgs` until V8 aborts it. nearHeapLimitFraction 1 puts
 * the estimate's alarm at the limit itself, where V8 fails first: only V8's
 * callback can report. Prints each onLeak and the heap limit at that point.
 */
async function hoarder(dir, { nodeArgs = ['--max-old-space-size=64'], sync = false, before = '' } = {}) {
  const file = path.join(dir, 'report.json');
  const src = `
    const fs = require('node:fs');
    const v8 = require('node:v8');
    const lg = require(${JSON.stringify(ROOT)});
    ${before}
    lg.start({ intervalMs: 60_000, nearHeapLimitFraction: 1, reportFile: ${JSON.stringify(file)}, onLeak(r) {
      fs.writeSync(1, 'ONLEAK ' + JSON.stringify({ growing: r.heap.growing, near: r.nearHeapLimit, heapSizeLimit: v8.getHeapStatistics().heap_size_limit, top: r.suspects[0] && r.suspects[0].site && r.suspects[0].site.functionName }) + '\\n');
    } });
    fs.writeSync(1, 'START ' + JSON.stringify({ heapSizeLimit: v8.getHeapStatistics().heap_size_limit }) + '\\n');
    const kept = [];
    function hoard() { for (let i = 0; i < 400; i++) kept.push({ i, text: 'x'.repeat(200) + i, list: [i, i + 1, i + 2] }); }
    ${sync ? 'for (;;) hoard();' : 'setInterval(hoard, 10);'}`;
  // A file, not -e: the profiler names functions by their script's URL.
  const script = path.join(dir, 'hoarder.js');
  fs.writeFileSync(script, src);
  const out = await runChild([...nodeArgs, script]);
  assert.notEqual(out.code, 0, 'the child was expected to die of its leak');
  assert.match(out.stderr, /heap out of memory/);
  const lines = (tag) => out.stdout.split('\n').filter((l) => l.startsWith(`${tag} `)).map((l) => JSON.parse(l.slice(tag.length + 1)));
  const written = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
  return { out, reports: lines('ONLEAK'), start: lines('START')[0], written };
}

test("V8's near-heap-limit callback reports a leak at the exact limit, with suspects and to the report file, after raising the limit once", async (t) => {
  if (!gcWatchHere()) return t.skip(`no GC watch for V8 ${process.versions.v8} in this build`);
  const { out, reports, start, written } = await hoarder(tempDir(t, 'v8-limit'));
  const detail = `${out.stdout}\n${out.stderr.slice(-1500)}`;
  assert.equal(reports.length, 1, `one report, delivered within the raised limit\n${detail}`);
  const [r] = reports;
  assert.ok(r.growing.includes('heapLimit'), detail);
  assert.equal(r.near.limitBytes, 64 * MiB, 'the limit is the one V8 enforces (--max-old-space-size=64)');
  assert.equal(r.heapSizeLimit - start.heapSizeLimit, limitRaise(start.heapSizeLimit), 'raised once, by the documented amount');
  assert.equal(r.top, 'hoard', `the allocating function was named: ${detail}`);
  assert.ok(written !== null && written.leaking && written.nearHeapLimit.limitBytes === 64 * MiB, JSON.stringify(written));
});

test("a leak in a loop that never yields is in the report file, written from V8's callback in native code", async (t) => {
  if (!gcWatchHere()) return t.skip(`no GC watch for V8 ${process.versions.v8} in this build`);
  const { reports, written, out } = await hoarder(tempDir(t, 'v8-sync'), { sync: true });
  assert.equal(reports.length, 0, 'the JS thread never ran again');
  assert.ok(written !== null, `no report file\n${out.stderr.slice(-1500)}`);
  assert.equal(written.leaking, true);
  assert.ok(written.heap.growing.includes('heapLimit'));
  assert.equal(written.nearHeapLimit.limitBytes, 64 * MiB);
});

test("Node's --heapsnapshot-near-heap-limit still writes its snapshot beside leakguard's report", async (t) => {
  if (!gcWatchHere()) return t.skip(`no GC watch for V8 ${process.versions.v8} in this build`);
  const dir = tempDir(t, 'v8-snapshot');
  const snapshots = path.join(dir, 'diag');
  fs.mkdirSync(snapshots);
  const { reports, out } = await hoarder(dir, { nodeArgs: ['--max-old-space-size=64', '--heapsnapshot-near-heap-limit=1', `--diagnostic-dir=${snapshots}`] });
  assert.ok(reports.some((r) => r.growing.includes('heapLimit')), out.stdout);
  const files = fs.readdirSync(snapshots).filter((f) => f.endsWith('.heapsnapshot'));
  assert.equal(files.length, 1, `Node's snapshot: ${out.stderr.slice(-1500)}`);
});

test("stop() removes V8's near-heap-limit callback: a later OOM writes no report", async (t) => {
  if (!gcWatchHere()) return t.skip(`no GC watch for V8 ${process.versions.v8} in this build`);
  const dir = tempDir(t, 'v8-stopped');
  // start()/stop() cycles, then a last start() whose stop() comes before the leak.
  const cycles = `for (let i = 0; i < 20; i++) { lg.start({ reportFile: ${JSON.stringify(path.join(dir, 'report.json'))} }); lg.stop(); }
    const realStart = lg.start; lg.start = (o) => { realStart(o); lg.stop(); };`;
  const { reports, written, start, out } = await hoarder(dir, { before: cycles });
  assert.equal(reports.length, 0, out.stdout);
  assert.equal(written, null, 'no report file: the callback went with stop()');
  assert.ok(start.heapSizeLimit > 0);
});

test('the GC watch is chosen by the version V8 states: process.versions changes nothing, and a V8 without a watch gets the observer', async (t) => {
  const dir = tempDir(t, 'gcwatch-choice');
  const src = (pkg) => `
    Object.defineProperty(process.versions, 'v8', { value: '1.0.0' });
    const lg = require(${JSON.stringify(pkg)});
    lg.start({ intervalMs: 50 });
    let kept = [];
    for (let i = 0; i < 100000; i++) kept.push({ i });
    kept = null;
    gc();
    setTimeout(() => {
      const r = lg.report();
      console.log(JSON.stringify({ source: r.sampler.gcWatch, why: r.sampler.gcWatchUnavailable, majorGcs: r.heap.majorGcs }));
      lg.stop();
    }, 200);`;
  const here = gcWatchHere();
  const own = await runChild(['--expose-gc', '-e', src(ROOT)], { env: { LEAKGUARD_QUIET: '1' } });
  assert.equal(own.code, 0, own.stderr);
  const a = JSON.parse(own.stdout.trim().split('\n').pop());
  assert.equal(a.source, here ? 'v8' : 'observer', 'a redefined process.versions.v8 does not decide');
  const bare = await runChild(['--expose-gc', '-e', src(packageWithoutWatches(dir))], { env: { LEAKGUARD_QUIET: '1' } });
  assert.equal(bare.code, 0, bare.stderr);
  const b = JSON.parse(bare.stdout.trim().split('\n').pop());
  assert.equal(b.source, 'observer');
  const real = process.versions.v8.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  assert.match(b.why, new RegExp(`no GC watch for V8 ${real} \\(it has: none`), 'the reason names the V8 that V8 itself states');
  assert.ok(b.majorGcs >= 1, JSON.stringify(b));
});

/**
 * The memory cgroup v1 or v2 folder this process is in, where a child cgroup
 * can be made; null (and why) where it cannot.
 */
function cgroupParent() {
  if (process.platform !== 'linux') return { why: 'not Linux' };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return { why: 'not root' };
  let own;
  try {
    own = fs.readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return { why: 'no /proc/self/cgroup' };
  }
  for (const line of own.split('\n')) {
    const [id, controllers, where] = line.split(':');
    if (where === undefined) continue;
    if (controllers.split(',').includes('memory')) return { dir: path.join('/sys/fs/cgroup/memory', where), v: 1 };
    if (id === '0' && controllers === '' && fs.existsSync(path.join('/sys/fs/cgroup', where, 'cgroup.controllers'))) {
      return { dir: path.join('/sys/fs/cgroup', where), v: 2 };
    }
  }
  return { why: 'no memory cgroup' };
}

/** A child memory cgroup limited to `bytes`, removed after the test; null (and why) when refused. */
function makeCgroup(t, bytes) {
  const parent = cgroupParent();
  if (parent.dir === undefined) return parent;
  const dir = path.join(parent.dir, `leakguard-test-${process.pid}`);
  try {
    fs.mkdirSync(dir);
  } catch (err) {
    return { why: `cannot make a cgroup in ${parent.dir}: ${err.code}` };
  }
  t.after(() => {
    try {
      fs.rmdirSync(dir);
    } catch {
      // still busy: the kernel removes nothing while a process is in it
    }
  });
  try {
    if (parent.v === 1) {
      fs.writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(bytes));
      // No swapping around the limit: the kernel kills at it.
      try {
        fs.writeFileSync(path.join(dir, 'memory.memsw.limit_in_bytes'), String(bytes));
      } catch {
        // no swap accounting
      }
    } else {
      fs.writeFileSync(path.join(dir, 'memory.max'), String(bytes));
      try {
        fs.writeFileSync(path.join(dir, 'memory.swap.max'), '0');
      } catch {
        // no swap controller
      }
    }
  } catch (err) {
    return { why: `cannot limit a cgroup's memory: ${err.code}` };
  }
  return { dir };
}

test("a Buffer leak in a 200 MB memory cgroup is reported near the container's limit, to the report file, before the kernel kills it", async (t) => {
  const limit = 200 * MiB;
  const cg = makeCgroup(t, limit);
  if (cg.dir === undefined) return t.skip(`no memory cgroup for the test: ${cg.why}`);
  const dir = tempDir(t, 'cgroup');
  const file = path.join(dir, 'report.json');
  const script = path.join(dir, 'buffers.js');
  fs.writeFileSync(
    script,
    `const fs = require('node:fs');
    const lg = require(${JSON.stringify(ROOT)});
    lg.start({ intervalMs: 250, reportFile: ${JSON.stringify(file)}, onLeak(r) {
      fs.writeSync(1, 'ONLEAK ' + JSON.stringify({ growing: r.heap.growing, near: r.nearMemoryLimit, limit: r.heap.memoryLimitBytes, text: lg.formatReport(r) }) + '\\n');
    } });
    fs.writeSync(1, 'LIMIT ' + JSON.stringify(lg.report().heap.memoryLimitBytes) + '\\n');
    const kept = [];
    // ~6 MB/s of filled (resident) Buffer memory, outside the V8 heap.
    setInterval(() => kept.push(Buffer.alloc(600 * 1024, 1)), 100);`,
  );
  // The shell moves itself into the cgroup, then becomes node.
  const procs = path.join(cg.dir, 'cgroup.procs');
  const out = await runChild([script], { shell: `echo $$ > '${procs}' && exec "$@"`, timeout: 180_000 });
  const detail = `${out.stdout}\n${out.stderr.slice(-1500)}`;
  if (out.code !== null && /Permission denied|Operation not permitted|Invalid argument/.test(out.stderr) && !out.stdout.includes('LIMIT')) {
    return t.skip(`moving a process into the cgroup was refused: ${out.stderr.trim().split('\n')[0]}`);
  }
  assert.match(out.stdout, new RegExp(`^LIMIT ${limit}$`, 'm'), `the limit is read: ${detail}`);
  assert.equal(out.signal, 'SIGKILL', `the kernel's OOM killer ended it: ${detail}`);
  const reports = out.stdout.split('\n').filter((l) => l.startsWith('ONLEAK ')).map((l) => JSON.parse(l.slice(7)));
  const near = reports.find((r) => r.growing.includes('memoryLimit'));
  assert.ok(near, `reported near the container's limit before the kill: ${detail}`);
  assert.equal(near.near.limitBytes, limit);
  assert.equal(near.limit, limit);
  assert.match(near.text, /NEAR THE CONTAINER'S MEMORY LIMIT: rss [\d.]+ MB of a 209\.7 MB limit/);
  const written = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(written.leaking, true);
  assert.ok(written.heap.growing.includes('memoryLimit'), JSON.stringify(written.heap.growing));
  assert.equal(written.nearMemoryLimit.limitBytes, limit);
});
