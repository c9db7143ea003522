'use strict';
// The listener ledger's two modes: sampled books (the default) and exact
// books; escalation of a rising site; the cap on rows; a throwing `listener`
// getter contained to its own add. The sampling-specific tests shrink the
// per-second exact budget to 0 through the ledger's internal settings, so
// that the draw decides from the first add.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { spawnSync } = require('node:child_process');
const EventEmitter = require('node:events');
const ledger = require('../lib/listeners');
const { trackListeners, untrackListeners, listeners, ledgerBookkeeping } = ledger;
const { ledgerTick, setLedgerInternals, BOOK_EVERY } = require('../lib/internal/unsafe-internals').unsafeExposeInternals('listeners');
const { captureWarnings } = require('./support/warnings');
const { readEnv } = require('../lib/internal/env');
const { resolveOptions } = require('../lib/sampler');

const ROOT = path.resolve(__dirname, '..');
const SOURCE = fs.readFileSync(__filename, 'utf8').split('\n');
function lineOf(name) {
  const i = SOURCE.findIndex((l) => l.includes(`// @site:${name}`));
  assert.notEqual(i, -1, name);
  return i + 1;
}
function siteAt(name, event) {
  const line = lineOf(name);
  return listeners().find((s) => s.site && s.site.file === __filename && s.site.line === line && s.event === event);
}

function withLedger(options, internals, fn) {
  return async () => {
    setLedgerInternals(internals);
    trackListeners(options);
    try {
      await fn();
    } finally {
      untrackListeners();
      setLedgerInternals({});
    }
  };
}

test('the default mode is sampled, and listeners() says which mode produced each count', async () => {
  const bus = new EventEmitter();
  await withLedger(undefined, {}, () => {
    assert.equal(ledger.listenersMode(), 'sampled');
    bus.on('a', () => {}); // @site:defaultMode
    assert.equal(siteAt('defaultMode', 'a').mode, 'sampled');
  })();
  await withLedger({ mode: 'exact' }, {}, () => {
    assert.equal(ledger.listenersMode(), 'exact');
    bus.on('a', () => {}); // @site:exactMode
    assert.equal(siteAt('exactMode', 'a').mode, 'exact');
    assert.equal(siteAt('exactMode', 'a').exactSince, undefined, 'exact from the start: no escalation time');
  })();
  assert.equal(ledger.listenersMode(), null);
});

test(
  'sampled books: only drawn adds get a book entry, each counted N times; removals credit only those',
  withLedger(undefined, { exactPerTick: 0 }, () => {
    const emitters = [];
    const ADDS = 20_000;
    for (let i = 0; i < ADDS; i++) {
      const e = new EventEmitter();
      e.on('done', () => {}); // @site:perRequest
      emitters.push(e);
    }
    const row = siteAt('perRequest', 'done');
    const booked = ledgerBookkeeping().booked;
    assert.ok(booked > 0 && booked < ADDS / 4, `${booked} of ${ADDS} adds booked`);
    assert.equal(row.adds, booked * BOOK_EVERY, 'each booked add counts N');
    assert.equal(row.live, row.adds);
    assert.equal(row.emitters, booked * BOOK_EVERY);
    assert.ok(ledgerBookkeeping().books <= booked, 'emitters whose adds were not drawn have no book');
    // Removing every listener credits exactly what was booked.
    for (const e of emitters) e.removeAllListeners('done');
    const after = siteAt('perRequest', 'done');
    assert.equal(after.live, 0);
    assert.equal(after.removes, after.adds);
    assert.equal(after.emitters, 0);
  }),
);

test(
  'sampled books: off() of a listener that was not drawn credits nothing, of one that was drawn credits N',
  withLedger(undefined, { exactPerTick: 0, every: 2 }, () => {
    const bus = new EventEmitter();
    bus.setMaxListeners(0);
    const fns = [];
    for (let i = 0; i < 400; i++) {
      const fn = () => i;
      bus.on('x', fn); // @site:sharedBus
      fns.push(fn);
    }
    const before = siteAt('sharedBus', 'x');
    assert.equal(before.adds % 2, 0);
    for (const fn of fns) bus.off('x', fn);
    const after = siteAt('sharedBus', 'x');
    assert.equal(after.live, 0, 'every drawn listener credited once, nothing else');
    assert.equal(bus.listenerCount('x'), 0);
  }),
);

test(
  'sampled books: a function shared by many emitters is credited on every emitter it was drawn on, however its removals interleave',
  withLedger(undefined, { exactPerTick: 0, every: 2 }, () => {
    function onClose() {}
    function onEnd() {}
    const emitters = [];
    for (let i = 0; i < 600; i++) {
      const e = new EventEmitter();
      e.on('close', onClose); // @site:sharedClose
      e.once('end', onEnd); // @site:sharedEnd
      emitters.push(e);
      // Some removed at once (the function's count goes back to 0 and up again), the rest later.
      if (i % 3 === 0) e.off('close', onClose);
    }
    const added = siteAt('sharedClose', 'close').adds;
    assert.ok(added > 0 && siteAt('sharedEnd', 'end').adds > 0);
    for (let i = emitters.length - 1; i >= 0; i--) {
      if (i % 3 === 1) emitters[i].off('close', onClose);
      else if (i % 3 === 2) emitters[i].removeAllListeners('close');
      emitters[i].emit('end');
    }
    const close = siteAt('sharedClose', 'close');
    const end = siteAt('sharedEnd', 'end');
    assert.equal(close.live, 0, 'every drawn onClose credited once');
    assert.equal(close.removes, close.adds);
    assert.equal(end.live, 0, 'every drawn once wrapper credited when it fired');
    assert.equal(end.removes, end.adds);
  }),
);

test(
  'sampled books on EventTarget: drawn adds booked and credited, the rest left alone',
  withLedger(undefined, { exactPerTick: 0, every: 2 }, () => {
    const targets = [];
    for (let i = 0; i < 400; i++) {
      const t = new EventTarget();
      const fn = () => {};
      t.addEventListener('ping', fn); // @site:target
      targets.push([t, fn]);
    }
    const row = siteAt('target', 'ping');
    assert.ok(row.adds > 0 && row.adds % 2 === 0, `${row.adds}`);
    assert.equal(row.live, row.adds);
    for (const [t, fn] of targets) t.removeEventListener('ping', fn);
    assert.equal(siteAt('target', 'ping').live, 0);
  }),
);

test(
  'the first adds of each second are booked exactly: a process adding few listeners gets exact counts in sampled mode',
  withLedger(undefined, { exactPerTick: 100 }, () => {
    const bus = new EventEmitter();
    bus.setMaxListeners(0);
    for (let i = 0; i < 100; i++) bus.on('few', () => {}); // @site:few
    const row = siteAt('few', 'few');
    assert.equal(row.adds, 100);
    assert.equal(row.live, 100);
    assert.equal(ledgerBookkeeping().booked, 100);
  }),
);

test(
  'a site whose estimate keeps rising is escalated: exact from then on, with the time it became exact; a site of one listener per emitter is not',
  withLedger(undefined, { exactPerTick: 0 }, () => {
    // Noise: a per-request site, balanced; the leak: a few adds a "second"
    // (each tick of the ledger's clock stands for a second) that stay.
    const bus = new EventEmitter();
    bus.setMaxListeners(0);
    const addLeak = () => bus.on('leak', () => {}); // @site:risingLeak
    const held = [];
    let escalatedAt = -1;
    let seconds = 0;
    for (; seconds < 400 && escalatedAt === -1; seconds++) {
      for (let i = 0; i < 200; i++) {
        const res = new EventEmitter();
        res.on('close', () => {}); // @site:noise
        res.removeAllListeners('close');
      }
      for (let i = 0; i < 4; i++) addLeak();
      // One listener per emitter, emitters kept (requests in flight, or a
      // heap leak the heap verdict judges): rising, but never escalated.
      // Enough adds that some are drawn before the leak escalates (at
      // least 8 ticks: 256 adds, none drawn with probability (15/16)^256).
      for (let i = 0; i < 32; i++) {
        const r = new EventEmitter();
        r.on('end', () => {}); // @site:perEmitter
        held.push(r);
      }
      ledgerTick();
      const row = siteAt('risingLeak', 'leak');
      if (row !== undefined && row.mode === 'exact') escalatedAt = seconds;
    }
    assert.notEqual(escalatedAt, -1, 'the rising site was escalated');
    const row = siteAt('risingLeak', 'leak');
    assert.equal(typeof row.exactSince, 'number');
    const noise = siteAt('noise', 'close');
    const perEmitter = siteAt('perEmitter', 'end');
    assert.ok(noise !== undefined && perEmitter !== undefined, 'both other sites had adds drawn');
    assert.equal(noise.mode, 'sampled', 'the balanced site stays sampled');
    assert.equal(perEmitter.mode, 'sampled', 'one listener per emitter is left to the heap verdict');
    // From now on every add there is booked at weight 1.
    const before = row.adds;
    for (let i = 0; i < 7; i++) addLeak();
    assert.equal(siteAt('risingLeak', 'leak').adds, before + 7);
    // Removing all: what was booked at N and at 1 is credited at its own weight.
    bus.removeAllListeners('leak');
    assert.equal(siteAt('risingLeak', 'leak').live, 0);
  }),
);

test(
  'rows are capped: the least recently active fold into one "other sites" row, counts kept, removals still credited',
  withLedger({ mode: 'exact', sampleEvery: 1 }, { maxRows: 8 }, () => {
    const bus = new EventEmitter();
    bus.setMaxListeners(0);
    const added = [];
    for (let i = 0; i < 20; i++) {
      // A distinct file per site: twenty call sites.
      const add = vm.runInThisContext('(bus, fn) => bus.on("e", fn)', { filename: path.join(__dirname, `fold-site-${i}.js`) });
      const fn = () => i;
      add(bus, fn);
      add(bus, fn);
      added.push(fn);
    }
    const rows = listeners();
    assert.ok(rows.length <= 8, `${rows.length} rows`);
    const other = rows.find((r) => r.folded !== undefined);
    assert.ok(other, 'an "other sites" row');
    assert.equal(other.site, null);
    assert.ok(other.folded >= 12, `${other.folded} sites folded`);
    const total = rows.reduce((n, r) => n + r.live, 0);
    assert.equal(total, 40, 'no listener lost by folding');
    // The newest sites kept their own rows; the oldest were folded.
    assert.ok(rows.some((r) => r.site && r.site.file.endsWith('fold-site-19.js')));
    assert.ok(!rows.some((r) => r.site && r.site.file.endsWith('fold-site-0.js')));
    for (const fn of added) bus.off('e', fn);
    assert.equal(listeners().reduce((n, r) => n + r.live, 0), 20);
    bus.removeAllListeners('e');
    assert.equal(listeners().reduce((n, r) => n + r.live, 0), 0, 'folded rows credit the other row');
  }),
);

test('untrackListeners() releases every row, the "other sites" row too', () => {
  const { statsTable } = require('../lib/internal/stats');
  const count = () => statsTable().snapshot().filter((r) => r.meta.kind === 'listener').length;
  const before = count();
  setLedgerInternals({ maxRows: 2 });
  trackListeners({ mode: 'exact' });
  try {
    const bus = new EventEmitter();
    for (let i = 0; i < 5; i++) vm.runInThisContext('(bus) => bus.on("r", () => {})', { filename: `release-${i}.js` })(bus);
    assert.ok(count() > before);
  } finally {
    untrackListeners();
    setLedgerInternals({});
  }
  assert.equal(count(), before);
});

for (const mode of ['sampled', 'exact']) {
  test(`${mode}: a listener whose \`listener\` getter throws leaves that one add uncounted; the ledger keeps counting`, async () => {
    const { warnings, restore } = captureWarnings();
    try {
      trackListeners({ mode });
      try {
        const bus = new EventEmitter();
        const hostile = new Proxy(() => {}, {
          get(target, key, receiver) {
            if (key === 'listener') throw new Error('no listener for you');
            return Reflect.get(target, key, receiver);
          },
        });
        bus.on('h', hostile);
        assert.equal(bus.listenerCount('h'), 1, 'Node added it');
        bus.on('after', () => {}); // @site:afterThrowingGetter
        const row = siteAt('afterThrowingGetter', 'after');
        assert.ok(row, 'the ledger still counts');
        assert.equal(row.live, 1);
        bus.off('h', hostile);
        assert.equal(bus.listenerCount('h'), 0);
      } finally {
        untrackListeners();
      }
    } finally {
      await restore();
    }
    assert.deepEqual(
      warnings.filter((w) => w.code === 'LEAKGUARD_LISTENER_LEDGER'),
      [],
      'no ledger-failure warning',
    );
  });
}

test('the mode is validated through the shared options module, with a stable code', () => {
  assert.throws(() => trackListeners({ mode: 'fast' }), { name: 'RangeError', code: 'ERR_LEAKGUARD_INVALID_OPTION', message: /mode/ });
  assert.throws(() => trackListeners({ mode: 1 }), { name: 'TypeError', code: 'ERR_LEAKGUARD_INVALID_OPTION', message: /mode/ });
  assert.throws(() => resolveOptions({ listeners: 'fast' }), { name: 'RangeError', code: 'ERR_LEAKGUARD_INVALID_OPTION', message: /listeners/ });
  assert.throws(() => resolveOptions({ listeners: 1 }), { name: 'TypeError', code: 'ERR_LEAKGUARD_INVALID_OPTION', message: /listeners/ });
  assert.equal(resolveOptions({ listeners: 'exact' }).listeners, 'exact');
  assert.equal(resolveOptions({ listeners: 'sampled' }).listeners, 'sampled');
  assert.equal(resolveOptions({ listeners: false }).listeners, false);
  assert.equal(untrackListeners(), false, 'a refused call installed nothing');
});

test('LEAKGUARD_LISTENERS takes exact and sampled besides the booleans; anything else is dropped with a warning', () => {
  const read = (value) => readEnv({ LEAKGUARD_LISTENERS: value }, resolveOptions);
  assert.equal(read('exact').options.listeners, 'exact');
  assert.equal(read('sampled').options.listeners, 'sampled');
  assert.equal(read('0').options.listeners, false);
  assert.equal(read('true').options.listeners, true);
  const bad = read('Exact');
  assert.equal(bad.options.listeners, undefined);
  assert.equal(bad.warnings.length, 1);
  assert.match(bad.warnings[0], /LEAKGUARD_LISTENERS/);
});

test('start({ listeners: "exact" }) and LEAKGUARD_LISTENERS=exact install exact books; the default start() sampled ones', () => {
  const probe = "const l = require('./lib/listeners'); process.stdout.write(String(l.listenersMode()));";
  const inherited = { ...process.env };
  delete inherited.LEAKGUARD_LISTENERS;
  const run = (env, pre) => {
    const r = spawnSync(process.execPath, [...pre, '-e', probe], {
      cwd: ROOT,
      env: { ...inherited, LEAKGUARD_QUIET: '1', LEAKGUARD_REPORT: 'none', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  assert.equal(run({ LEAKGUARD_LISTENERS: 'exact' }, ['-r', './register.js']), 'exact');
  assert.equal(run({}, ['-r', './register.js']), 'sampled');
  assert.equal(run({ LEAKGUARD_LISTENERS: '0' }, ['-r', './register.js']), 'null');
  const viaStart = spawnSync(
    process.execPath,
    ['-e', "const lg = require('./index.js'); lg.start({ listeners: 'exact' }); process.stdout.write(String(require('./lib/listeners').listenersMode())); lg.stop();"],
    { cwd: ROOT, env: { ...inherited, LEAKGUARD_QUIET: '1' }, encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(viaStart.status, 0, viaStart.stderr);
  assert.equal(viaStart.stdout, 'exact');
});
