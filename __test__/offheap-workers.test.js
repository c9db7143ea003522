'use strict';
// OffHeapCache across worker threads: several threads hammering one named
// store (no crash, no torn or foreign value, exact byte accounting), and
// workers terminated in the middle of using it, many times over (no crash,
// and the store is freed when its last handle goes).

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { OffHeapCache } = require('../lib/offheap');

const LIB = path.join(__dirname, '..', 'lib', 'offheap', 'index.js');
const OVERHEAD = OffHeapCache.entryOverhead;

function stringBytes(s) {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) return s.length * 2;
  return s.length;
}

// A value written for `key` by worker `w` at step `seq`: its text names the key,
// and its filler is derived from (w, seq), so a torn or foreign value is caught.
const HAMMER = `
const { parentPort, workerData } = require('node:worker_threads');
const { OffHeapCache } = require(${JSON.stringify(LIB)});
const { w, name, maxSize, ms } = workerData;
const cache = new OffHeapCache({ name, maxSize });
function filler(w, seq, n) { return String.fromCharCode(97 + ((w * 7 + seq) % 26)).repeat(n); }
function check(key, v) {
  const text = typeof v === 'string' ? v : Buffer.from(v).toString('latin1');
  const [k, ws, seqs, fill] = text.split('|');
  const expect = filler(Number(ws), Number(seqs), 40 + (Number(seqs) % 200));
  if (k !== String(key) || fill !== expect) throw new Error('torn or foreign value for ' + key + ': ' + text.slice(0, 60));
}
let ops = 0, hits = 0, seq = 0, x = 0x9e3779b9 ^ (w + 1);
function rnd(n) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) % n; }
const end = Date.now() + ms;
while (Date.now() < end) {
  for (let i = 0; i < 500; i++) {
    const k = rnd(400);
    const key = k % 3 === 0 ? k : 'k' + k;
    const r = rnd(10);
    if (r < 4) {
      const text = key + '|' + w + '|' + seq + '|' + filler(w, seq, 40 + (seq % 200));
      cache.set(key, r === 0 ? Buffer.from(text, 'latin1') : text);
    } else if (r < 9) {
      const v = cache.get(key);
      if (v !== undefined) { hits++; check(key, v); }
    } else {
      cache.delete(key);
    }
    ops++;
    seq++;
  }
}
parentPort.postMessage({ ops, hits });
cache.close();
`;

test('4 worker threads hammering one named cache: no crash, no torn value, exact bytes', async () => {
  const name = 'offheap-workers-hammer';
  const maxSize = 200 * (OVERHEAD + 260);
  const main = new OffHeapCache({ name, maxSize });
  const workers = [];
  for (let w = 0; w < 4; w++) {
    workers.push(
      new Promise((resolve, reject) => {
        const worker = new Worker(HAMMER, { eval: true, workerData: { w, name, maxSize, ms: 2000 } });
        let result;
        worker.on('message', (m) => (result = m));
        worker.on('error', reject);
        worker.on('exit', (code) => (code === 0 && result ? resolve(result) : reject(new Error(`worker exit ${code}`))));
      }),
    );
  }
  const results = await Promise.all(workers);
  for (const r of results) {
    assert.ok(r.ops > 1000, `each worker ran (${r.ops} ops)`);
    assert.ok(r.hits > 0, 'and read values written by the threads');
  }
  const s = main.stats();
  assert.ok(s.evictions > 0, 'the bound was reached');
  assert.ok(s.calculatedSize <= maxSize);
  let bytes = 0;
  let count = 0;
  for (const [key, value] of main) {
    const text = typeof value === 'string' ? value : Buffer.from(value).toString('latin1');
    assert.equal(text.split('|')[0], String(key), 'every entry holds a value written for its key');
    bytes += (typeof key === 'number' ? 8 : stringBytes(key)) + (typeof value === 'string' ? stringBytes(value) : value.length) + OVERHEAD;
    count++;
  }
  assert.equal(count, s.size);
  assert.equal(bytes, s.calculatedSize, 'byte accounting equals the sum of the live entries');
  main.close();
});

const CHURN = `
const { parentPort, workerData } = require('node:worker_threads');
const { OffHeapCache } = require(${JSON.stringify(LIB)});
const { name, maxSize, i } = workerData;
const caches = [new OffHeapCache({ name, maxSize }), new OffHeapCache({ maxSize })];
let n = 0;
for (;;) {
  for (const c of caches) {
    c.set('k' + (n % 500), 'x'.repeat(100 + (n % 300)));
    c.set(n % 500, Buffer.alloc(64, n));
    c.get('k' + ((n * 7) % 500));
    c.get((n * 3) % 500);
    if (n % 17 === 0) c.delete('k' + (n % 500));
  }
  n++;
  if (n === 200 + i * 37) parentPort.postMessage('busy');
}
`;

async function terminateMidUse(runs, name, maxSize) {
  for (let i = 0; i < runs; i++) {
    const worker = new Worker(CHURN, { eval: true, workerData: { name, maxSize, i } });
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
    });
    worker.removeAllListeners('exit');
    const code = await worker.terminate();
    assert.equal(code, 1, 'terminated, not crashed');
  }
}

test('workers terminated mid-use 50 times: no crash, and the store goes with its last handle', async () => {
  const name = 'offheap-workers-terminate';
  const maxSize = 256 * 1024;
  const before = OffHeapCache.processUsage();

  // No handle in this thread: each worker's store dies with the worker.
  await terminateMidUse(25, name, maxSize);
  assert.deepEqual(OffHeapCache.processUsage(), before, 'nothing left behind by terminated workers');

  // This thread holds a handle: the store outlives the workers, then goes with it.
  const main = new OffHeapCache({ name, maxSize });
  await terminateMidUse(25, name, maxSize);
  const s = main.stats();
  assert.ok(s.size > 0, 'the workers wrote to the shared store');
  assert.ok(s.calculatedSize <= maxSize);
  assert.equal(OffHeapCache.processUsage().stores, before.stores + 1);
  main.close();
  assert.deepEqual(OffHeapCache.processUsage(), before, 'freed when the last handle went');
});

test("a shared store's stats row follows other threads' changes without a call in this thread", async () => {
  const name = `offheap-workers-row-${process.pid}`;
  const maxSize = 1 << 20;
  const cache = new OffHeapCache({ name, maxSize });
  const { statsTable, CELLS } = require('../lib/internal/stats');
  const row = () => statsTable().snapshot().find((r) => r.meta.name === name);
  assert.equal(row().cells[CELLS.cache.SIZE], 0);
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const { OffHeapCache } = require(${JSON.stringify(LIB)});
     const c = new OffHeapCache({ name: workerData.name, maxSize: workerData.maxSize });
     for (let i = 0; i < 25; i++) c.set('k' + i, 'v');
     parentPort.postMessage('done');
     parentPort.once('message', () => c.close());`,
    { eval: true, workerData: { name, maxSize } },
  );
  await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  // The refresher runs every second while a named cache is open; wait for it.
  for (let i = 0; i < 600 && row().cells[CELLS.cache.SIZE] !== 25; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(row().cells[CELLS.cache.SIZE], 25);
  worker.postMessage('close');
  await new Promise((resolve) => worker.once('exit', resolve));
  cache.close();
});
