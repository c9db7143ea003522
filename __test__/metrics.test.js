'use strict';
// metrics: Prometheus exposition, prom-client collectors and OpenTelemetry
// instruments over fixed figures (a fake report and fake stats-table rows),
// plus the live process's figures through the public entry.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { spawnSync } = require('node:child_process');
const client = require('prom-client');
const { MeterProvider, MetricReader, DataPointType } = require('@opentelemetry/sdk-metrics');
const { MetricsExporter } = require('../lib/export/metrics');
const { CELLS } = require('../lib/internal/stats');
const leakguard = require('..');

const ROOT = path.resolve(__dirname, '..');

function fakeReport(overrides = {}) {
  return {
    leaking: true,
    since: 1_700_000_000_000,
    generatedAt: 1_700_000_030_000,
    heap: {
      usedBytes: 52_000_000,
      totalBytes: 80_000_000,
      rssBytes: 120_000_000,
      externalBytes: 2_000_000,
      baselineBytes: 48_000_000,
      slopeBytesPerSec: 1_500_000,
      rssSlopeBytesPerSec: 1_600_000,
      windowMs: 30_000,
      samples: 120,
    },
    eventLoopLag: { p50Ms: 1.5, p99Ms: 12, maxMs: 40 },
    gcPause: { p50Ms: 0.5, p99Ms: 4, maxMs: 9, count: 77 },
    suspects: [{ kind: 'timer' }, { kind: 'allocation' }],
    sampler: { overhead: { elapsedMs: 30_000, threadBusyMs: 30, jsBusyMs: 45, threadPercent: 0.1, jsPercent: 0.15, allocation: { estimatedBytes: 4096, bytesPerSec: 1, timersCreated: 1, listenersCounted: 0, emittersTracked: 0 } } },
    ...overrides,
  };
}

function cacheRow(name, { hits = 0, misses = 0, evictions = 0, size = 0 } = {}) {
  const cells = new Array(8).fill(0);
  cells[CELLS.cache.HITS] = hits;
  cells[CELLS.cache.MISSES] = misses;
  cells[CELLS.cache.EVICTIONS] = evictions;
  cells[CELLS.cache.SIZE] = size;
  return { id: 0, meta: { kind: 'cache', name, site: { file: '/srv/a.js', line: 1, column: 1 }, detail: 'LruCache' }, cells };
}

function siteRow(kind, line, adds, removes, detail) {
  const cells = new Array(8).fill(0);
  cells[CELLS.site.ADDS] = adds;
  cells[CELLS.site.REMOVES] = removes;
  return { id: 0, meta: { kind, site: { file: '/srv/app.js', line, column: 3, functionName: 'f' }, stack: [], detail }, cells };
}

/**
 * A validating parser of the text exposition format 0.0.4: every line is a
 * HELP, a TYPE or a sample of the family last declared; names and label names
 * match the Prometheus grammar; label values unescape; values are numbers;
 * no label set repeats within a family. Returns Map name → { help, type, samples }.
 */
function parseExposition(text) {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  const families = new Map();
  let current = null;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m;
    if ((m = /^# HELP (\S+) (.*)$/.exec(line))) {
      assert.match(m[1], NAME);
      assert.ok(!families.has(m[1]), `family ${m[1]} declared once`);
      current = { name: m[1], help: m[2].replace(/\\n/g, '\n').replace(/\\\\/g, '\\'), type: null, samples: [] };
      families.set(m[1], current);
    } else if ((m = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line))) {
      assert.equal(m[1], current && current.name, 'TYPE follows its HELP');
      current.type = m[2];
    } else {
      m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      assert.ok(m, `a sample line: ${JSON.stringify(line)}`);
      assert.equal(m[1], current.name, 'a sample belongs to the family declared above it');
      const labels = {};
      let rest = m[2] || '';
      while (rest.length > 0) {
        const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/.exec(rest);
        assert.ok(lm, `a label pair in ${JSON.stringify(rest)}`);
        assert.ok(!(lm[1] in labels), 'no repeated label name');
        labels[lm[1]] = lm[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
        rest = rest.slice(lm[0].length);
      }
      // Go's ParseFloat (Prometheus) accepts NaN and Inf in any case; prom-client prints "Nan".
      assert.match(m[3], /^(?:[+-]?(?:\d+\.?\d*(?:e[+-]?\d+)?|\.\d+)|nan|[+-]inf)$/i, `a numeric value: ${m[3]}`);
      const value = /^nan$/i.test(m[3]) ? NaN : Number(m[3].replace(/inf$/i, 'Infinity'));
      const key = JSON.stringify(Object.entries(labels).sort());
      assert.ok(!current.samples.some((s) => s.key === key), `label set repeated in ${current.name}: ${key}`);
      current.samples.push({ labels, value, key });
    }
  }
  for (const f of families.values()) assert.ok(f.type, `${f.name} has a TYPE`);
  return families;
}

function value(families, name, labels = {}) {
  const f = families.get(name);
  assert.ok(f, `family ${name} present`);
  const s = f.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  assert.ok(s, `${name} has a sample with ${JSON.stringify(labels)}`);
  return s.value;
}

test('prometheus() exposes the verdict, baseline, slope, RSS, lag and GC figures in base units', () => {
  const ex = new MetricsExporter({ report: () => fakeReport(), rows: () => [] });
  const f = parseExposition(ex.prometheus());
  assert.equal(value(f, 'leakguard_sampler_running'), 1);
  assert.equal(value(f, 'leakguard_leaking'), 1);
  assert.equal(value(f, 'leakguard_heap_used_bytes'), 52_000_000);
  assert.equal(value(f, 'leakguard_heap_baseline_bytes'), 48_000_000);
  assert.equal(value(f, 'leakguard_heap_baseline_slope_bytes_per_second'), 1_500_000);
  assert.equal(value(f, 'leakguard_resident_memory_bytes'), 120_000_000);
  assert.equal(value(f, 'leakguard_resident_memory_slope_bytes_per_second'), 1_600_000);
  assert.equal(value(f, 'leakguard_external_memory_bytes'), 2_000_000);
  assert.equal(value(f, 'leakguard_eventloop_lag_p99_seconds'), 0.012);
  assert.equal(value(f, 'leakguard_eventloop_lag_max_seconds'), 0.04);
  assert.equal(value(f, 'leakguard_gc_pause_p99_seconds'), 0.004);
  assert.equal(value(f, 'leakguard_gc_pauses_total'), 77);
  assert.equal(f.get('leakguard_gc_pauses_total').type, 'counter');
  assert.equal(value(f, 'leakguard_suspects'), 2);
  assert.equal(value(f, 'leakguard_self_busy_seconds_total'), 0.075);
  assert.equal(f.get('leakguard_self_busy_seconds_total').type, 'counter');
  assert.equal(value(f, 'leakguard_self_allocated_bytes_total'), 4096);
  assert.equal(f.get('leakguard_self_allocated_bytes_total').type, 'counter');
  for (const [name, fam] of f) {
    assert.ok(name.startsWith('leakguard_'), `${name} has the leakguard_ prefix by default`);
    if (fam.type === 'counter') assert.ok(name.endsWith('_total'), `${name}: counters end in _total`);
  }

  const clean = parseExposition(new MetricsExporter({ report: () => fakeReport({ leaking: false }), rows: () => [] }).prometheus());
  assert.equal(value(clean, 'leakguard_leaking'), 0);

  // After stop(), report() is the last report with running: false.
  const stopped = parseExposition(
    new MetricsExporter({ report: () => fakeReport({ running: false }), rows: () => [] }).prometheus(),
  );
  assert.equal(value(stopped, 'leakguard_sampler_running'), 0);
  assert.equal(value(stopped, 'leakguard_heap_used_bytes'), 52_000_000, 'the last figures are kept');
});

test('a sampler that is not running gives zeros and leakguard_sampler_running 0, never a failed scrape', () => {
  const ex = new MetricsExporter({
    report: () => {
      throw new Error('not started');
    },
    rows: () => {
      throw new Error('no table');
    },
  });
  const f = parseExposition(ex.prometheus());
  assert.equal(value(f, 'leakguard_sampler_running'), 0);
  assert.equal(value(f, 'leakguard_leaking'), 0);
  assert.equal(f.get('leakguard_cache_entries').samples.length, 0);
});

test('per-cache figures are labelled by cache name, summed per name, and escaped', () => {
  const odd = 'sess"ions\\eu\nwest';
  const rows = [
    cacheRow('users', { hits: 90, misses: 10, evictions: 3, size: 500 }),
    cacheRow('users', { hits: 10, misses: 5, evictions: 1, size: 100 }),
    cacheRow(odd, { hits: 1, misses: 2, evictions: 0, size: 7 }),
    siteRow('timer', 4, 10, 10, 'timeout'),
  ];
  const f = parseExposition(new MetricsExporter({ report: () => fakeReport(), rows: () => rows }).prometheus());
  assert.equal(value(f, 'leakguard_cache_entries', { cache: 'users' }), 600);
  assert.equal(value(f, 'leakguard_cache_hits_total', { cache: 'users' }), 100);
  assert.equal(value(f, 'leakguard_cache_misses_total', { cache: 'users' }), 15);
  assert.equal(value(f, 'leakguard_cache_evictions_total', { cache: 'users' }), 4);
  assert.equal(value(f, 'leakguard_cache_entries', { cache: odd }), 7, 'the label value round-trips through escaping');
  assert.equal(f.get('leakguard_cache_hits_total').type, 'counter');
  assert.equal(value(f, 'leakguard_timers_live', { site: '/srv/app.js:4:3', kind: 'timeout' }), 0);
});

test('live timers and listeners are labelled for the top N sites only; the rest is summed under _other', () => {
  const rows = [];
  for (let line = 1; line <= 40; line++) rows.push(siteRow('timer', line, line * 10, line, 'interval'));
  rows.push(siteRow('listener', 7, 500, 100, 'message'));
  rows.push(siteRow('listener', 8, 3, 1, 'close'));
  const ex = new MetricsExporter({ report: () => fakeReport(), rows: () => rows });
  const f = parseExposition(ex.prometheus({ topSites: 5 }));
  const timers = f.get('leakguard_timers_live').samples;
  assert.equal(timers.length, 6, '5 sites + _other');
  assert.deepEqual(
    timers.slice(0, 5).map((s) => s.labels.site),
    [40, 39, 38, 37, 36].map((l) => `/srv/app.js:${l}:3`),
    'ranked by live count',
  );
  const total = rows.filter((r) => r.meta.kind === 'timer').reduce((a, r) => a + r.cells[0] - r.cells[1], 0);
  assert.equal(timers.reduce((a, s) => a + s.value, 0), total, 'no live timer is lost by the cut');
  assert.equal(timers[5].labels.site, '_other');
  assert.equal(value(f, 'leakguard_listeners_live', { site: '/srv/app.js:7:3', event: 'message' }), 400);

  const all = parseExposition(ex.prometheus()).get('leakguard_timers_live').samples;
  assert.equal(all.length, 11, 'default topSites is 10');
});

test('register() output through a prom-client Registry is identical to prometheus()', async () => {
  let reads = 0;
  const rows = [cacheRow('users', { hits: 3, misses: 1, evictions: 0, size: 2 }), siteRow('listener', 9, 4, 1, 'data')];
  const ex = new MetricsExporter({ report: () => (reads++, fakeReport()), rows: () => rows });
  const registry = new client.Registry();
  const handle = ex.register(registry);
  reads = 0;
  const scraped = await registry.metrics();
  assert.equal(reads, 1, 'one read of the report per scrape, not one per family');
  assert.equal(scraped, ex.prometheus());
  parseExposition(scraped);
  assert.equal(ex.register(registry), handle, 'registering twice on one registry is harmless');
  handle.unregister();
  assert.equal(await registry.metrics(), '\n');

  // Without a registry: prom-client's global one.
  const global = ex.register();
  assert.ok(client.register.getSingleMetric('leakguard_leaking'));
  global.unregister();
  assert.equal(client.register.getSingleMetric('leakguard_leaking'), undefined);
});

test('register() coexists with prom-client default metrics; standardNames is opt-in', async () => {
  const ex = new MetricsExporter({ report: () => fakeReport(), rows: () => [] });
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const handle = ex.register(registry);
  const f = parseExposition(await registry.metrics());
  assert.ok(f.has('nodejs_heap_size_used_bytes'), 'the default metrics are there');
  assert.ok(f.has('leakguard_heap_used_bytes'));
  handle.unregister();

  const own = new client.Registry();
  ex.register(own, { standardNames: true });
  const g = parseExposition(await own.metrics());
  assert.equal(value(g, 'nodejs_heap_size_used_bytes'), 52_000_000);
  assert.equal(value(g, 'process_resident_memory_bytes'), 120_000_000);
  assert.equal(value(g, 'nodejs_eventloop_lag_p99_seconds'), 0.012);
  assert.ok(!g.has('leakguard_heap_used_bytes'));
  assert.throws(() => client.collectDefaultMetrics({ register: own }), /already been registered/, 'which is why it is opt-in');
});

test('options are validated with coded errors', () => {
  const ex = new MetricsExporter({ report: () => fakeReport(), rows: () => [] });
  assert.throws(() => ex.prometheus({ topSites: 0 }), { name: 'RangeError', code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => ex.prometheus({ topCaches: 'x' }), { name: 'TypeError', code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => ex.prometheus({ standardNames: 1 }), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => ex.register({}), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => ex.otel({}), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
});

test('register() without prom-client installed fails with a clear MODULE_NOT_FOUND error', () => {
  const script = `
    const Module = require('node:module');
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      if (request === 'prom-client') { const e = new Error('Cannot find module ' + request); e.code = 'MODULE_NOT_FOUND'; throw e; }
      return resolve.call(this, request, ...rest);
    };
    const { metrics } = require(${JSON.stringify(ROOT)});
    if (!metrics.prometheus().includes('leakguard_leaking')) throw new Error('prometheus() must work without prom-client');
    try { metrics.register(); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
  `;
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(out.status, 0, out.stderr);
  const err = JSON.parse(out.stdout);
  assert.equal(err.code, 'MODULE_NOT_FOUND');
  assert.match(err.message, /npm install prom-client/);
});

/**
 * A temporary application folder with its own copy of prom-client (a real
 * copy, not a symlink, which Node would resolve to the same module), its
 * dependencies linked from the project's node_modules, and `main` as its
 * entry script. Returns the entry's path.
 */
function appWithOwnPromClient(t, main, { withPromClient = true } = {}) {
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-app-'));
  t.after(() => fs.rmSync(app, { recursive: true, force: true }));
  const modules = path.join(app, 'node_modules');
  fs.mkdirSync(modules);
  if (withPromClient) {
    const source = path.dirname(require.resolve('prom-client/package.json'));
    fs.cpSync(source, path.join(modules, 'prom-client'), { recursive: true, dereference: true });
    for (const dep of Object.keys(require('prom-client/package.json').dependencies || {})) {
      if (fs.existsSync(path.join(source, 'node_modules', dep))) continue; // nested: copied with it
      fs.mkdirSync(path.dirname(path.join(modules, dep)), { recursive: true });
      fs.symlinkSync(path.join(path.dirname(source), dep), path.join(modules, dep), 'dir');
    }
  }
  fs.writeFileSync(path.join(app, 'main.js'), main);
  return path.join(app, 'main.js');
}

test("register() without a registry uses the application's own prom-client copy, not leakguard's", async (t) => {
  const main = appWithOwnPromClient(
    t,
    `
    const appClient = require('prom-client');
    const leakguardClient = require(require.resolve('prom-client', { paths: [${JSON.stringify(ROOT)}] }));
    if (appClient === leakguardClient) throw new Error('the test needs two copies');
    const { metrics } = require(${JSON.stringify(ROOT)});
    const handle = metrics.register();
    Promise.all([appClient.register.metrics(), leakguardClient.register.metrics()]).then(([app, own]) => {
      console.log(JSON.stringify({ names: handle.names.length, app: app.includes('leakguard_leaking'), own: own.includes('leakguard_leaking') }));
    });
  `,
  );
  const out = spawnSync(process.execPath, [main], { encoding: 'utf8', timeout: 30_000, cwd: path.dirname(main) });
  assert.equal(out.status, 0, out.stderr);
  const r = JSON.parse(out.stdout);
  assert.ok(r.names > 5);
  assert.equal(r.app, true, "the application's /metrics (its prom-client's global registry) has the leakguard series");
  assert.equal(r.own, false, "leakguard's copy got nothing");
});

test('register() without a registry, in an application that resolves no prom-client: a coded error naming the registry to pass', (t) => {
  const main = appWithOwnPromClient(
    t,
    `
    const { metrics } = require(${JSON.stringify(ROOT)});
    try { metrics.register(); console.log('{}'); } catch (e) { console.log(JSON.stringify({ code: e.code, name: e.name, message: e.message })); }
  `,
    { withPromClient: false },
  );
  const out = spawnSync(process.execPath, [main], { encoding: 'utf8', timeout: 30_000, cwd: path.dirname(main) });
  assert.equal(out.status, 0, out.stderr);
  const err = JSON.parse(out.stdout);
  assert.equal(err.code, 'ERR_LEAKGUARD_NO_REGISTRY');
  assert.equal(err.name, 'TypeError');
  assert.match(err.message, /metrics\.register\(registry\)/);
  assert.ok(err.message.includes(path.dirname(main)), 'it says where it looked');
});

class TestReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

function otelPoints(collected) {
  const out = new Map();
  for (const scope of collected.resourceMetrics.scopeMetrics) {
    for (const m of scope.metrics) out.set(m.descriptor.name, m);
  }
  return out;
}

test('otel() registers semantic-convention and leakguard.* instruments collected by a MeterProvider', async () => {
  const rows = [cacheRow('users', { hits: 42, misses: 8, evictions: 2, size: 30 }), siteRow('timer', 12, 9, 2, 'interval')];
  let current = fakeReport();
  const ex = new MetricsExporter({ report: () => current, rows: () => rows });
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  const handle = ex.otel(provider.getMeter('leakguard-test'));
  const got = otelPoints(await reader.collect());

  const single = (name) => {
    const m = got.get(name);
    assert.ok(m, `instrument ${name} collected`);
    return m.dataPoints[0].value;
  };
  assert.equal(single('v8js.memory.heap.used'), 52_000_000);
  assert.equal(got.get('v8js.memory.heap.used').descriptor.unit, 'By');
  assert.equal(single('process.memory.usage'), 120_000_000);
  assert.equal(single('nodejs.eventloop.delay.p99'), 0.012);
  assert.equal(got.get('nodejs.eventloop.delay.p99').descriptor.unit, 's');
  assert.equal(single('nodejs.eventloop.delay.max'), 0.04);
  assert.equal(single('leakguard.leaking'), 1);
  assert.equal(single('leakguard.heap.baseline'), 48_000_000);
  assert.equal(single('leakguard.heap.baseline.slope'), 1_500_000);
  const hits = got.get('leakguard.cache.hits');
  assert.equal(hits.dataPointType, DataPointType.SUM);
  assert.equal(hits.isMonotonic, true);
  assert.deepEqual(hits.dataPoints.map((p) => [p.attributes['leakguard.cache.name'], p.value]), [['users', 42]]);
  const timers = got.get('leakguard.timers.live');
  assert.deepEqual(timers.dataPoints[0].attributes, { 'leakguard.site': '/srv/app.js:12:3', 'leakguard.timer.kind': 'interval' });
  assert.equal(timers.dataPoints[0].value, 7);
  assert.ok(![...got.keys()].some((n) => n.startsWith('leakguard_')), 'OpenTelemetry names use dots');

  current = fakeReport({ leaking: false });
  assert.equal(otelPoints(await reader.collect()).get('leakguard.leaking').dataPoints[0].value, 0, 'each collection reads afresh');
  handle.unregister();
  handle.unregister();
  current = fakeReport({ leaking: true });
  const after = otelPoints(await reader.collect()).get('leakguard.leaking');
  assert.ok(after === undefined || after.dataPoints.every((p) => p.value === 0), 'unregister stops the observations');
  await provider.shutdown();
});

test('the public metrics object reads the live process (stats table rows included)', () => {
  const { statsTable } = require('../lib/internal/stats');
  const row = statsTable().acquire({ kind: 'cache', name: 'metrics-test-cache', site: { file: __filename, line: 1, column: 1 } });
  try {
    row.cells[CELLS.cache.HITS] = 5;
    row.cells[CELLS.cache.SIZE] = 3;
    const f = parseExposition(leakguard.metrics.prometheus());
    assert.equal(value(f, 'leakguard_cache_hits_total', { cache: 'metrics-test-cache' }), 5);
    assert.equal(value(f, 'leakguard_cache_entries', { cache: 'metrics-test-cache' }), 3);
    assert.ok(f.has('leakguard_leaking'));
    assert.equal(leakguard.metrics.contentType, client.Registry.PROMETHEUS_CONTENT_TYPE);
  } finally {
    statsTable().release(row.id);
  }
});

test('with the sampler running, the figures are the live process figures', async (t) => {
  const sampler = require('../lib/internal/unsafe-internals').unsafeExposeInternals('sampler');
  leakguard.start({ intervalMs: 50, timers: false, listeners: false, allocations: false });
  t.after(() => leakguard.stop());
  for (let i = 0; i < 5; i++) {
    sampler.flush();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const f = parseExposition(leakguard.metrics.prometheus());
  assert.equal(value(f, 'leakguard_sampler_running'), 1);
  assert.ok(value(f, 'leakguard_heap_used_bytes') > 1024 * 1024, 'a real heap figure');
  assert.ok(value(f, 'leakguard_resident_memory_bytes') > value(f, 'leakguard_heap_used_bytes') / 2, 'a real RSS figure');
  leakguard.stop();
  assert.equal(value(parseExposition(leakguard.metrics.prometheus()), 'leakguard_sampler_running'), 0);
});
