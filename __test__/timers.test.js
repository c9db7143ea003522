'use strict';
// The timers patch: one test per compatibility point a user relies on
// (Node's Timeout API, ids, clearing, ALS, promisify, fetch, http keep-alive,
// unpatch) and timers() grouping by line. Retention is in timers-retention.test.js.
const test = require('node:test');
const { captureWarnings } = require('./support/warnings');
const assert = require('node:assert/strict');
const path = require('node:path');
const http = require('node:http');
const net = require('node:net');
const util = require('node:util');
const nodeTimers = require('node:timers');
const timersPromises = require('node:timers/promises');
const { AsyncLocalStorage } = require('node:async_hooks');
const { spawnSync } = require('node:child_process');

// Node's own functions, captured before any patch: used for bounded waits.
const original = {
  setTimeout: globalThis.setTimeout,
  setInterval: globalThis.setInterval,
  clearTimeout: globalThis.clearTimeout,
  clearInterval: globalThis.clearInterval,
  setImmediate: globalThis.setImmediate,
  clearImmediate: globalThis.clearImmediate,
};
const moduleOriginal = { ...original };
const promisifyOriginal = original.setTimeout[util.promisify.custom];
const ROOT = path.resolve(__dirname, '..');
const { patchTimers, unpatchTimers, timers, LeakguardTimeout } = require('../lib/timers');
const { statsTable, CELLS } = require('../lib/internal/stats');

/** Resolves after `ms` on Node's own timer. */
function sleep(ms) {
  return new Promise((resolve) => original.setTimeout(resolve, ms));
}

/** `promise`, or a rejection after `ms` (every wait in this file is bounded). */
function within(promise, ms, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = original.setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => original.clearTimeout(timer));
}

function fired(make) {
  return within(new Promise((resolve) => make(resolve)), 5000, 'timer to fire');
}

/** The line of the caller of lineHere(). */
function lineHere() {
  const holder = {};
  Error.captureStackTrace(holder, lineHere);
  return Number(/:(\d+):\d+\)?\n/.exec(holder.stack.split('\n').slice(1).join('\n') + '\n')[1]);
}

test.before(() => patchTimers());
test.after(() => unpatchTimers());

test('patchTimers installs on globalThis, require("timers") and the ESM exports; idempotent', async () => {
  assert.notEqual(globalThis.setTimeout, original.setTimeout);
  for (const name of ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval']) {
    assert.equal(nodeTimers[name], globalThis[name], name);
  }
  const esm = await import('node:timers');
  assert.equal(esm.setTimeout, globalThis.setTimeout);
  assert.equal(esm.clearInterval, globalThis.clearInterval);
  const before = globalThis.setTimeout;
  assert.equal(patchTimers(), false);
  assert.equal(globalThis.setTimeout, before);
  assert.ok(setTimeout(() => {}, 1) instanceof LeakguardTimeout);
});

test('unpatchTimers restores the exact originals everywhere, idempotently, and patching again works', async () => {
  const live = setTimeout(() => {}, 60_000);
  assert.equal(unpatchTimers(), true);
  assert.equal(unpatchTimers(), false);
  for (const name of ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval']) {
    assert.equal(globalThis[name], original[name], name);
    assert.equal(nodeTimers[name], moduleOriginal[name], name);
  }
  const esm = await import('node:timers');
  assert.equal(esm.setTimeout, original.setTimeout);
  assert.equal(globalThis.setImmediate, original.setImmediate);
  // A handle made under the patch still clears with Node's own clearTimeout.
  clearTimeout(live);
  assert.match(util.inspect(live), /state: 'cleared'/);
  assert.equal(patchTimers(), true);
  assert.ok(setTimeout(() => {}, 1) instanceof LeakguardTimeout);
});

test('+handle, Number(handle) and `${handle}` give one numeric id, unique per timer', () => {
  const a = setTimeout(() => {}, 1000);
  const b = setInterval(() => {}, 1000);
  assert.equal(typeof +a, 'number');
  assert.equal(Number(a), +a);
  assert.equal(`${a}`, String(+a));
  assert.notEqual(+a, +b);
  clearTimeout(a);
  clearInterval(b);
});

test("a live handle's number is the async id of the Timeout Node made for it, as +timeout is in bare Node", () => {
  // Code that tells Node's timer numbers from ids of its own by size (a fake
  // clock numbering its timers from 10^12, say) must see a Node-sized number.
  const seen = [];
  const hook = require('node:async_hooks')
    .createHook({
      init(asyncId, type) {
        if (type === 'Timeout') seen.push(asyncId);
      },
    })
    .enable();
  let t;
  let i;
  try {
    t = setTimeout(() => {}, 1000);
    i = setInterval(() => {}, 1000);
  } finally {
    hook.disable();
  }
  try {
    assert.deepEqual([+t, +i], seen);
    assert.ok(+t < 2 ** 32 && +i < 2 ** 32);
  } finally {
    clearTimeout(t);
    clearInterval(i);
  }
});

test('clearTimeout(id), clearTimeout(String(id)) and clearInterval/clearTimeout across kinds all clear', async () => {
  let calls = 0;
  const cb = () => calls++;
  const t1 = setTimeout(cb, 5);
  const t2 = setTimeout(cb, 5);
  const t3 = setTimeout(cb, 5);
  const i1 = setInterval(cb, 5);
  clearTimeout(+t1);
  clearTimeout(String(+t2));
  clearInterval(t3);
  clearTimeout(i1);
  await sleep(60);
  assert.equal(calls, 0);
});

test('native Timeouts created before the patch still clear, by object and by id', async () => {
  unpatchTimers();
  let calls = 0;
  const a = setTimeout(() => calls++, 5);
  const b = setTimeout(() => calls++, 5);
  const bid = +b;
  patchTimers();
  clearTimeout(a);
  clearInterval(bid);
  clearTimeout(null);
  clearTimeout({});
  clearTimeout(987654321);
  await sleep(60);
  assert.equal(calls, 0);
});

test("leakguard never calls the real Timeout's Symbol.toPrimitive", async () => {
  const proto = Object.getPrototypeOf(original.setTimeout(() => {}, 1));
  const real = proto[Symbol.toPrimitive];
  let calls = 0;
  proto[Symbol.toPrimitive] = function (...args) {
    calls++;
    return real.apply(this, args);
  };
  try {
    const t = setTimeout(() => {}, 1);
    const before = +t;
    await fired((done) => setTimeout(done, 5));
    const after = `${t}`;
    clearTimeout(String(after));
    clearTimeout(before);
    const i = setInterval(() => {}, 1000);
    clearInterval(+i);
    t.refresh();
    clearTimeout(t);
    assert.equal(calls, 0);
  } finally {
    proto[Symbol.toPrimitive] = real;
  }
});

test('ref(), unref(), refresh() and close() return the handle; hasRef() follows ref/unref and stays true after firing', async () => {
  const t = setTimeout(() => {}, 1000);
  assert.equal(t.hasRef(), true);
  assert.equal(t.unref(), t);
  assert.equal(t.hasRef(), false);
  assert.equal(t.ref(), t);
  assert.equal(t.hasRef(), true);
  assert.equal(t.refresh(), t);
  assert.equal(t.close(), t);
  const f = await fired((done) => {
    const h = setTimeout(() => done(h), 1);
  });
  assert.equal(f.hasRef(), true);
});

test('an unref()ed timer does not keep the process alive; a ref()ed one does', () => {
  const fixture = path.join(__dirname, 'fixtures', 'timers-patch.js');
  const unrefd = spawnSync(process.execPath, ['-r', fixture, '-e', "setTimeout(() => console.log('fired'), 60000).unref(); console.log('end')"], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(unrefd.status, 0, unrefd.stderr);
  assert.equal(unrefd.stdout.trim(), 'end');
  const refd = spawnSync(process.execPath, ['-r', fixture, '-e', "const t = setTimeout(() => console.log('fired'), 50); t.unref(); t.ref();"], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(refd.status, 0, refd.stderr);
  assert.equal(refd.stdout.trim(), 'fired');
});

test('refresh() on a fired one-shot re-arms it (what fetch relies on)', async () => {
  let calls = 0;
  let handle;
  await fired((done) => {
    handle = setTimeout(() => {
      calls++;
      done();
    }, 1);
  });
  assert.equal(calls, 1);
  await fired((done) => {
    handle.refresh();
    const poll = original.setInterval(() => {
      if (calls === 2) {
        original.clearInterval(poll);
        done();
      }
    }, 2);
  });
  assert.equal(calls, 2);
  assert.match(util.inspect(handle), /state: 'fired'/);
});

test('refresh() inside the callback re-arms; refresh() after clear does nothing', async () => {
  let calls = 0;
  await fired((done) => {
    setTimeout(function () {
      if (++calls < 3) this.refresh();
      else done();
    }, 1);
  });
  assert.equal(calls, 3);
  let after = 0;
  const c = setTimeout(() => after++, 1);
  clearTimeout(c);
  c.refresh();
  await sleep(40);
  assert.equal(after, 0);
});

test('Symbol.dispose clears the timer', async () => {
  let calls = 0;
  const t = setTimeout(() => calls++, 5);
  t[Symbol.dispose]();
  await sleep(40);
  assert.equal(calls, 0);
  assert.match(util.inspect(t), /state: 'cleared'/);
});

test('`this` in the callback is the handle, for timeouts and intervals', async () => {
  let t;
  const self = await fired((done) => {
    t = setTimeout(function () {
      done(this);
    }, 1);
  });
  assert.equal(self, t);
  let i;
  const selfI = await fired((done) => {
    i = setInterval(function () {
      clearInterval(this);
      done(this);
    }, 1);
  });
  assert.equal(selfI, i);
});

test('extra arguments pass through (1 to 5 of them)', async () => {
  for (const args of [[1], [1, 2], [1, 2, 3], [1, 2, 3, 4, 5]]) {
    const got = await fired((done) => setTimeout((...a) => done(a), 1, ...args));
    assert.deepEqual(got, args);
  }
  const got = await fired((done) => {
    const i = setInterval((a, b) => {
      clearInterval(i);
      done([a, b]);
    }, 1, 'x', 'y');
  });
  assert.deepEqual(got, ['x', 'y']);
});

test("the callback runs in the creator's AsyncLocalStorage context", async () => {
  const als = new AsyncLocalStorage();
  const seen = await fired((done) => als.run({ who: 'creator' }, () => setTimeout(() => done(als.getStore()), 1)));
  assert.deepEqual(seen, { who: 'creator' });
  const seenI = await fired((done) =>
    als.run({ who: 'interval' }, () => {
      const i = setInterval(() => {
        clearInterval(i);
        done(als.getStore());
      }, 1);
    }),
  );
  assert.deepEqual(seenI, { who: 'interval' });
});

test('a non-function callback throws ERR_INVALID_ARG_TYPE like Node', () => {
  for (const fn of [setTimeout, setInterval]) {
    for (const bad of [undefined, null, 'code', 42, {}]) {
      assert.throws(() => fn(bad, 10), (err) => err instanceof TypeError && err.code === 'ERR_INVALID_ARG_TYPE');
    }
  }
});

test('a delay over 2^31-1 becomes 1 with a TimeoutOverflowWarning', async () => {
  const { warnings, restore } = captureWarnings();
  try {
    const t = await fired((done) => {
      const h = setTimeout(() => done(h), 2 ** 31);
    });
    assert.match(util.inspect(t), /delay: 1\b/);
    await sleep(5); // warnings are emitted on the next tick
    assert.ok(warnings.some((w) => w.name === 'TimeoutOverflowWarning'), warnings.map(String).join());
  } finally {
    await restore();
  }
});

test('util.promisify(setTimeout) and timers/promises keep working and stay Node’s own', async () => {
  assert.equal(setTimeout[util.promisify.custom], promisifyOriginal);
  assert.equal(await within(util.promisify(setTimeout)(1, 'value'), 5000, 'promisified setTimeout'), 'value');
  assert.equal(await within(timersPromises.setTimeout(1, 'p'), 5000, 'timers/promises setTimeout'), 'p');
  let n = 0;
  for await (const v of timersPromises.setInterval(1, 'tick')) {
    assert.equal(v, 'tick');
    if (++n === 3) break;
  }
  assert.equal(n, 3);
});

test('util.inspect(handle) shows id, kind, delay and state', async () => {
  const t = setTimeout(() => {}, 1);
  const text = util.inspect(t);
  assert.match(text, new RegExp(`id: ${+t}\\b`));
  assert.match(text, /kind: 'timeout'/);
  assert.match(text, /delay: 1\b/);
  assert.match(text, /state: 'active'/);
  await fired((done) => setTimeout(done, 5));
  assert.match(util.inspect(t), /state: 'fired'/);
  const i = setInterval(() => {}, 250);
  assert.match(util.inspect(i), /kind: 'interval'.*delay: 250.*state: 'active'/s);
  clearInterval(i);
  assert.match(util.inspect(i), /state: 'cleared'/);
});

test('setImmediate and clearImmediate are left alone', () => {
  assert.equal(globalThis.setImmediate, original.setImmediate);
  assert.equal(nodeTimers.setImmediate, original.setImmediate);
  assert.equal(globalThis.clearImmediate, original.clearImmediate);
  assert.equal(nodeTimers.clearImmediate, original.clearImmediate);
});

test("Node's built-in fetch works repeatedly under the patch, across its 1 s timer ticks", async () => {
  assert.ok(globalThis.setTimeout !== original.setTimeout);
  let n = 0;
  const server = http.createServer((req, res) => {
    n++;
    // Every fourth answer waits past undici's timer tick, so its timer has
    // fired and must be refreshed by the next request.
    const wait = n % 4 === 0 ? 1100 : 0;
    original.setTimeout(() => res.end(`ok ${n}`), wait);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/`;
  // Count refresh() calls on handles: fetch's timer goes through the patch.
  // undici refreshes its timer from the timer's own callback (the handle is
  // live then, as a Node Timeout is) and, after a tick that found nothing to
  // do, when the next request comes (the handle has fired: refresh() re-arms it).
  const refresh = LeakguardTimeout.prototype.refresh;
  let refreshed = 0;
  LeakguardTimeout.prototype.refresh = function () {
    refreshed++;
    return refresh.call(this);
  };
  try {
    for (let i = 1; i <= 9; i++) {
      const res = await within(fetch(url), 10_000, `fetch #${i}`);
      assert.equal(await within(res.text(), 10_000, 'body'), `ok ${i}`);
    }
    const all = await within(Promise.all([1, 2, 3, 4].map(() => fetch(url).then((r) => r.text()))), 10_000, 'parallel fetches');
    assert.equal(all.length, 4);
    assert.ok(refreshed > 0, 'fetch refreshed its leakguard timer');
  } finally {
    LeakguardTimeout.prototype.refresh = refresh;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test("an http server's keep-alive timeout still closes idle sockets", async () => {
  const server = http.createServer((req, res) => res.end('hi'));
  server.keepAliveTimeout = 150;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const socket = net.connect(server.address().port, '127.0.0.1');
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d) => (data += d));
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    await within(closed, 10_000, 'the server to close the idle keep-alive socket');
    assert.match(data, /HTTP\/1\.1 200/);
    assert.match(data, /Keep-Alive: timeout=/i);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('timers() groups live timers by the exact line of the setInterval call', () => {
  const made = [];
  let lineA;
  let lineB;
  for (let i = 0; i < 30; i++) {
    lineA = lineHere(); made.push(setInterval(() => i, 60_000));
  }
  for (let i = 0; i < 3; i++) {
    lineB = lineHere(); made.push(setInterval(() => i, 60_000));
  }
  const mine = timers().filter((r) => r.site && r.site.file === __filename && r.kind === 'interval');
  const a = mine.find((r) => r.site.line === lineA);
  const b = mine.find((r) => r.site.line === lineB);
  assert.ok(a && b, JSON.stringify(mine.map((r) => r.site)));
  assert.equal(a.live, 30);
  assert.equal(a.created, 30);
  assert.equal(a.delay, 60_000);
  assert.equal(b.live, 3);
  assert.ok(a.oldestAgeMs >= 0);
  assert.equal(a.site.functionName, 'TestContext.<anonymous>');
  assert.ok(Array.isArray(a.stack) && a.stack[0].line === lineA);
  // Sorted by live, most first.
  const all = timers();
  for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].live >= all[i].live);
  // The stats row the sampler reads says the same, without calling JS.
  const row = statsTable().snapshot().find((r) => r.meta.kind === 'timer' && r.meta.detail === 'interval' && r.meta.site && r.meta.site.line === lineA && r.meta.site.file === __filename);
  assert.ok(row, 'a timer row for line A');
  assert.equal(row.cells[CELLS.site.ADDS] - row.cells[CELLS.site.REMOVES], 30);
  assert.ok(row.cells[CELLS.site.OLDEST_MS] > 0);
  for (const t of made.splice(0, 10)) clearInterval(t);
  assert.equal(timers().find((r) => r.site && r.site.line === lineA && r.site.file === __filename).live, 20);
  for (const t of made) clearInterval(t);
  assert.equal(timers().find((r) => r.site && r.site.line === lineA && r.site.file === __filename), undefined);
});

test('the oldest live timer of a site is tracked through churn at the same line (OLDEST_MS)', async () => {
  let line;
  const make = () => {
    line = lineHere(); return setInterval(() => {}, 60_000);
  };
  const keep = make();
  const bornBy = Date.now();
  await sleep(1100);
  for (let i = 0; i < 100; i++) clearInterval(make());
  const mine = () => timers().find((r) => r.site && r.site.file === __filename && r.site.line === line);
  assert.equal(mine().live, 1);
  assert.ok(mine().oldestAgeMs >= 1100, `oldestAgeMs ${mine().oldestAgeMs}`);
  const cell = () =>
    statsTable()
      .snapshot()
      .find((r) => r.meta.kind === 'timer' && r.meta.site && r.meta.site.file === __filename && r.meta.site.line === line).cells[CELLS.site.OLDEST_MS];
  assert.ok(cell() > 0 && cell() <= bornBy, `OLDEST_MS ${cell()} vs ${bornBy}`);
  const later = make();
  clearInterval(keep);
  assert.equal(mine().live, 1);
  assert.ok(cell() > bornBy - 1000, 'the oldest is now the later timer');
  clearInterval(later);
  assert.equal(mine(), undefined);
  assert.equal(cell(), 0);
});

test('a site creating thousands of timers that stay live shows thousands live', () => {
  const made = [];
  let line;
  for (let i = 0; i < 3000; i++) {
    line = lineHere(); made.push(setInterval(() => i, 60_000));
  }
  const row = timers().find((r) => r.site && r.site.file === __filename && r.site.line === line);
  assert.equal(row.live, 3000);
  for (const t of made) clearInterval(t);
});

test('one function scheduled from two lines is counted on each line (after at most 4096 timers)', () => {
  function shared() {}
  const made = [];
  let lineA;
  let lineB;
  for (let i = 0; i < 5000; i++) {
    lineA = lineHere(); made.push(setTimeout(shared, 60_000));
  }
  for (let i = 0; i < 5000; i++) {
    lineB = lineHere(); made.push(setTimeout(shared, 60_000));
  }
  const rows = timers().filter((r) => r.site && r.site.file === __filename);
  const a = rows.find((r) => r.site.line === lineA);
  const b = rows.find((r) => r.site.line === lineB);
  assert.ok(b, 'line B has its own row');
  assert.equal(a.live + b.live, 10_000);
  assert.ok(b.live >= 5000 - 4096, `line B live ${b.live}`);
  for (const t of made) clearTimeout(t);
});

test("a handle made under the patch is cleared by Node's original clearTimeout (captured before the patch)", async () => {
  let calls = 0;
  const t = setTimeout(() => calls++, 5);
  original.clearTimeout(t);
  await sleep(40);
  assert.equal(calls, 0);
  assert.match(util.inspect(t), /state: 'cleared'/);
});

test('a throwing callback ends its one-shot timer and does not stop an interval', () => {
  // In a child: node:test turns an uncaught exception into a failure.
  const script = `
    const { timers } = require(${JSON.stringify(path.join(ROOT, 'lib/timers/index.js'))});
    const errors = [];
    process.on('uncaughtException', (e) => errors.push(e.message));
    setTimeout(() => { throw new Error('once'); }, 1);
    let ticks = 0;
    const i = setInterval(() => { if (++ticks === 3) clearInterval(i); throw new Error('tick'); }, 1);
    // Read from an immediate: a one-shot is live while its own callback runs, as in Node.
    setTimeout(() => setImmediate(() => console.log(JSON.stringify({ errors, ticks, live: timers().reduce((n, r) => n + r.live, 0) }))), 200);
  `;
  const out = spawnSync(process.execPath, ['-r', path.join(__dirname, 'fixtures', 'timers-patch.js'), '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(out.status, 0, out.stderr);
  const got = JSON.parse(out.stdout);
  assert.deepEqual(got.errors, ['once', 'tick', 'tick', 'tick']);
  assert.equal(got.ticks, 3);
  assert.equal(got.live, 0);
});

test('clearTimeout(number) of a Timeout made before the patch clears that timer, never a leakguard timer given the same number', () => {
  // A library that kept Node's setTimeout from before the patch makes native
  // Timeouts; +timeout is then Node's async id. A leakguard timer converted to
  // a number must never be given that same number.
  const script = `
    const { patchTimers } = require(${JSON.stringify(path.join(ROOT, 'lib/timers/index.js'))});
    const nativeSetTimeout = setTimeout;
    const fired = [];
    const native = nativeSetTimeout(() => fired.push('native'), 20);
    const n = +native;
    patchTimers();
    const handles = [];
    for (let i = 0; i < n + 10; i++) {
      const h = setTimeout(() => fired.push('leakguard'), 40);
      +h;
      handles.push(h);
    }
    clearTimeout(n);
    setTimeout(() => {
      console.log(JSON.stringify({ nativeFired: fired.includes('native'), leakguardFired: fired.filter((f) => f === 'leakguard').length, expected: handles.length }));
    }, 200);
  `;
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(out.status, 0, out.stderr);
  const got = JSON.parse(out.stdout);
  assert.equal(got.nativeFired, false, 'the native timer was cleared');
  assert.equal(got.leakguardFired, got.expected, 'every leakguard timer fired');
});

test('node -r <file calling patchTimers()> patches before the application runs', () => {
  const fixture = path.join(__dirname, 'fixtures', 'timers-patch.js');
  const out = spawnSync(process.execPath, ['-r', fixture, '-e', "const t = require('timers').setTimeout(() => {}, 1); console.log(t.constructor.name, typeof +t)"], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout.trim(), 'LeakguardTimeout number');
});

test('node -r leakguard/register gives patched timers', () => {
  const out = spawnSync(process.execPath, ['-r', 'leakguard/register', '-e', 'const t = setTimeout(() => {}, 1); console.log(t.constructor.name); process.exit(0)'], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout.trim(), 'LeakguardTimeout');
});

test('node --import leakguard/register gives patched timers to an ES module', () => {
  const out = spawnSync(
    process.execPath,
    ['--import', 'leakguard/register', '--input-type=module', '-e', "import { setTimeout as st } from 'node:timers'; const t = st(() => {}, 1); console.log(t.constructor.name, globalThis.setTimeout === st); process.exit(0)"],
    { cwd: ROOT, encoding: 'utf8', timeout: 20_000 },
  );
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout.trim(), 'LeakguardTimeout true');
});

test('each worker thread patches its own timers', async () => {
  const { Worker } = require('node:worker_threads');
  const source = `
    const { parentPort } = require('node:worker_threads');
    const { patchTimers, timers } = require(${JSON.stringify(path.join(ROOT, 'lib/timers/index.js'))});
    patchTimers();
    const made = [];
    for (let i = 0; i < 5; i++) made.push(setInterval(() => {}, 60_000));
    parentPort.postMessage({ name: made[0].constructor.name, live: timers().reduce((n, r) => n + r.live, 0) });
    for (const t of made) clearInterval(t);
  `;
  const worker = new Worker(source, { eval: true });
  // Listen for 'exit' from the start: a worker that ends before this thread
  // reads its message gets both events in one go (Node drains the port on exit).
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  const message = await within(new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  }), 10_000, 'the worker');
  assert.deepEqual(message, { name: 'LeakguardTimeout', live: 5 });
  await within(exited, 10_000, 'the worker to exit on its own');
});
