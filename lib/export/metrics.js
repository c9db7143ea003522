'use strict';
// Fleet export of leakguard's figures: one model (a list of metric families
// read from the sampler's report and the shared counter table) and three ways
// out of the process — Prometheus text exposition 0.0.4, collectors on a
// user's prom-client registry, observable instruments on an OpenTelemetry
// Meter. All three read the same families, so a dashboard built on one agrees
// with the others.
//
// Must never: throw from a scrape (a missing or stopped sampler gives zeros or
// its last report, with `leakguard_sampler_running 0`, never a failed scrape), register the standard
// runtime names (`nodejs_heap_size_used_bytes`, ...) unless asked — a user who
// also runs prom-client's collectDefaultMetrics() would get a duplicate
// registration —, emit unbounded label sets (sites and caches are ranked and
// cut at topSites/topCaches, the rest summed under "_other"), require
// prom-client or @opentelemetry/api eagerly, or keep the process alive (it
// owns no timer or handle).

const { CELLS } = require('../internal/stats');
const path = require('node:path');
const { CODES, leakguardError, callUser } = require('../internal/errors');
const { checkOptions, validateInteger, validateBoolean } = require('../internal/options');

const DEFAULTS = Object.freeze({ topSites: 10, topCaches: 20, standardNames: false });
const OTHER = '_other';
const MS = 1e-3;

/**
 * Families in output order. `std` is the prom-client default-metrics name used
 * instead of `name` when `standardNames: true`; `otel` names the OpenTelemetry
 * instrument (semantic-convention names where one exists) with its kind and
 * unit; `read(report)` gives the value in the Prometheus unit (seconds, bytes).
 */
const REPORT_FAMILIES = [
  {
    name: 'leakguard_sampler_running',
    help: '1 while the leakguard sampler runs; 0 when it is stopped (the figures are then its last report, or 0 before any start).',
    otel: ['leakguard.sampler.running', 'gauge', '1'],
    read: (r) => (r.running ? 1 : 0),
  },
  {
    name: 'leakguard_leaking',
    help: "1 while leakguard's verdict is that live memory keeps growing, else 0.",
    otel: ['leakguard.leaking', 'gauge', '1'],
    read: (r) => (r.leaking ? 1 : 0),
  },
  {
    name: 'leakguard_heap_used_bytes',
    std: 'nodejs_heap_size_used_bytes',
    help: 'V8 heap in use, in bytes, at the latest sample.',
    otel: ['v8js.memory.heap.used', 'updowncounter', 'By'],
    read: (r) => r.heap.usedBytes,
  },
  {
    name: 'leakguard_heap_total_bytes',
    std: 'nodejs_heap_size_total_bytes',
    help: 'V8 heap committed, in bytes, at the latest sample.',
    otel: ['leakguard.heap.total', 'updowncounter', 'By'],
    read: (r) => r.heap.totalBytes,
  },
  {
    name: 'leakguard_heap_baseline_bytes',
    help: 'Post-GC heap baseline in bytes: live memory after a major garbage collection.',
    otel: ['leakguard.heap.baseline', 'gauge', 'By'],
    read: (r) => r.heap.baselineBytes,
  },
  {
    name: 'leakguard_heap_baseline_slope_bytes_per_second',
    help: 'Growth rate of the post-GC heap baseline over the verdict window, in bytes per second.',
    otel: ['leakguard.heap.baseline.slope', 'gauge', 'By/s'],
    read: (r) => r.heap.slopeBytesPerSec,
  },
  {
    name: 'leakguard_resident_memory_bytes',
    std: 'process_resident_memory_bytes',
    help: 'Resident set size of the process in bytes.',
    otel: ['process.memory.usage', 'updowncounter', 'By'],
    read: (r) => r.heap.rssBytes,
  },
  {
    name: 'leakguard_resident_memory_slope_bytes_per_second',
    help: 'Growth rate of the resident set size over the verdict window, in bytes per second.',
    otel: ['leakguard.memory.rss.slope', 'gauge', 'By/s'],
    read: (r) => r.heap.rssSlopeBytesPerSec,
  },
  {
    name: 'leakguard_memory_limit_bytes',
    help: "The container's memory limit (memory cgroup) in bytes; 0 when there is none.",
    otel: ['leakguard.memory.limit', 'gauge', 'By'],
    read: (r) => r.heap.memoryLimitBytes,
  },
  {
    name: 'leakguard_external_memory_bytes',
    std: 'nodejs_external_memory_bytes',
    help: 'Memory of C++ objects bound to JavaScript objects (Buffers), in bytes.',
    otel: ['leakguard.memory.external', 'updowncounter', 'By'],
    read: (r) => r.heap.externalBytes,
  },
  {
    name: 'leakguard_eventloop_lag_p50_seconds',
    std: 'nodejs_eventloop_lag_p50_seconds',
    help: 'Median event-loop lag in seconds (sampler histogram).',
    otel: ['nodejs.eventloop.delay.p50', 'gauge', 's'],
    read: (r) => r.eventLoopLag.p50Ms * MS,
  },
  {
    name: 'leakguard_eventloop_lag_p99_seconds',
    std: 'nodejs_eventloop_lag_p99_seconds',
    help: '99th percentile event-loop lag in seconds (sampler histogram).',
    otel: ['nodejs.eventloop.delay.p99', 'gauge', 's'],
    read: (r) => r.eventLoopLag.p99Ms * MS,
  },
  {
    name: 'leakguard_eventloop_lag_max_seconds',
    std: 'nodejs_eventloop_lag_max_seconds',
    help: 'Largest event-loop lag seen, in seconds (sampler histogram).',
    otel: ['nodejs.eventloop.delay.max', 'gauge', 's'],
    read: (r) => r.eventLoopLag.maxMs * MS,
  },
  {
    name: 'leakguard_gc_pause_p50_seconds',
    help: 'Median garbage-collection pause in seconds (sampler histogram).',
    otel: ['leakguard.gc.pause.p50', 'gauge', 's'],
    read: (r) => r.gcPause.p50Ms * MS,
  },
  {
    name: 'leakguard_gc_pause_p99_seconds',
    help: '99th percentile garbage-collection pause in seconds (sampler histogram).',
    otel: ['leakguard.gc.pause.p99', 'gauge', 's'],
    read: (r) => r.gcPause.p99Ms * MS,
  },
  {
    name: 'leakguard_gc_pause_max_seconds',
    help: 'Longest garbage-collection pause seen, in seconds (sampler histogram).',
    otel: ['leakguard.gc.pause.max', 'gauge', 's'],
    read: (r) => r.gcPause.maxMs * MS,
  },
  {
    name: 'leakguard_gc_pauses_total',
    type: 'counter',
    help: 'Garbage-collection pauses seen by the sampler since it started.',
    otel: ['leakguard.gc.pause.count', 'counter', '{pause}'],
    read: (r) => r.gcPause.count,
  },
  {
    name: 'leakguard_self_busy_seconds_total',
    type: 'counter',
    help: "Time leakguard itself has spent since start(), in seconds: the sampler thread's ticks plus its JS-thread heartbeat, GC observer and forced GCs (not the timers/listeners wrappers).",
    otel: ['leakguard.self.busy', 'counter', 's'],
    read: (r) => (r.overhead.threadBusyMs + r.overhead.jsBusyMs) * MS,
  },
  {
    name: 'leakguard_self_allocated_bytes_total',
    type: 'counter',
    help: 'Estimated heap allocated by the timers patch and the listener ledger since start(), in bytes (report().sampler.overhead.allocation): the garbage collection leakguard causes.',
    otel: ['leakguard.self.allocated', 'counter', 'By'],
    read: (r) => r.overhead.allocatedBytes,
  },
  {
    name: 'leakguard_suspects',
    help: 'Number of suspects in the current leak report.',
    otel: ['leakguard.suspects', 'gauge', '{suspect}'],
    read: (r) => (Array.isArray(r.suspects) ? r.suspects.length : 0),
  },
];

const CACHE_FAMILIES = [
  {
    name: 'leakguard_cache_entries',
    type: 'gauge',
    help: 'Live entries per leakguard cache, by cache name (top caches by size; the rest summed as "_other").',
    otel: ['leakguard.cache.entries', 'updowncounter', '{entry}'],
    cell: CELLS.cache.SIZE,
  },
  {
    name: 'leakguard_cache_hits_total',
    type: 'counter',
    help: 'Cache hits per leakguard cache, by cache name.',
    otel: ['leakguard.cache.hits', 'counter', '{hit}'],
    cell: CELLS.cache.HITS,
  },
  {
    name: 'leakguard_cache_misses_total',
    type: 'counter',
    help: 'Cache misses per leakguard cache, by cache name.',
    otel: ['leakguard.cache.misses', 'counter', '{miss}'],
    cell: CELLS.cache.MISSES,
  },
  {
    name: 'leakguard_cache_evictions_total',
    type: 'counter',
    help: 'Entries evicted to respect the bound, per leakguard cache, by cache name.',
    otel: ['leakguard.cache.evictions', 'counter', '{eviction}'],
    cell: CELLS.cache.EVICTIONS,
  },
];

/**
 * Growth per unit of work (report().work), one sample per unit name: the
 * names are HTTP requests and at most 32 given to work(), a bounded label
 * set. A unit without a fit yet has no per-unit sample (0 would be a claim).
 */
const WORK_FAMILIES = [
  {
    name: 'leakguard_work_units_total',
    type: 'counter',
    help: 'Units of work counted, by unit: HTTP server requests ("http.request") and units declared with leakguard.work().',
    otel: ['leakguard.work.units', 'counter', '{unit}', 'leakguard.work.unit'],
    read: (u) => u.total,
  },
  {
    name: 'leakguard_work_retained_bytes_per_unit',
    type: 'gauge',
    help: 'Bytes the post-GC heap grows per unit of work, by unit: the slope of a least-squares fit of the heap after each full GC against the unit count.',
    otel: ['leakguard.work.retained_per_unit', 'gauge', 'By', 'leakguard.work.unit'],
    read: (u) => u.bytesPerUnit,
  },
  {
    name: 'leakguard_work_fit_r2',
    type: 'gauge',
    help: 'Quality (r², 0 to 1) of the fit of the post-GC heap against each unit count.',
    otel: ['leakguard.work.fit_r2', 'gauge', '1', 'leakguard.work.unit'],
    read: (u) => u.r2,
  },
];

/** The report's work units: [{ name, total, bytesPerUnit, r2 }], [] when it has none. */
function workUnits(report) {
  const work = report !== null && typeof report === 'object' ? report.work : null;
  if (work === null || typeof work !== 'object' || !Array.isArray(work.units)) return [];
  return work.units.filter((u) => u !== null && typeof u === 'object' && typeof u.name === 'string');
}

const SITE_FAMILIES = [
  {
    name: 'leakguard_timers_live',
    kind: 'timer',
    detailLabel: 'kind',
    help: 'Live timers (created minus ended) per creation call site, top sites only; the rest summed as site="_other".',
    otel: ['leakguard.timers.live', 'updowncounter', '{timer}', 'leakguard.timer.kind'],
  },
  {
    name: 'leakguard_listeners_live',
    kind: 'listener',
    detailLabel: 'event',
    help: 'Live listeners (added minus removed) per add call site and event, top sites only; the rest summed as site="_other".',
    otel: ['leakguard.listeners.live', 'updowncounter', '{listener}', 'leakguard.listener.event'],
  },
];

function finite(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** A report with every figure the families read, zeros where absent. */
function normalizeReport(report) {
  const r = report && typeof report === 'object' ? report : {};
  const heap = r.heap || {};
  const lag = r.eventLoopLag || {};
  const gc = r.gcPause || {};
  const overhead = (r.sampler && r.sampler.overhead) || {};
  return {
    // A report without `running` comes from a sampler that is running.
    running: report !== null && typeof report === 'object' && r.running !== false,
    leaking: r.leaking === true,
    suspects: Array.isArray(r.suspects) ? r.suspects : [],
    heap: {
      usedBytes: finite(heap.usedBytes),
      totalBytes: finite(heap.totalBytes),
      baselineBytes: finite(heap.baselineBytes),
      slopeBytesPerSec: finite(heap.slopeBytesPerSec),
      rssBytes: finite(heap.rssBytes),
      rssSlopeBytesPerSec: finite(heap.rssSlopeBytesPerSec),
      memoryLimitBytes: finite(heap.memoryLimitBytes),
      externalBytes: finite(heap.externalBytes),
    },
    eventLoopLag: { p50Ms: finite(lag.p50Ms), p99Ms: finite(lag.p99Ms), maxMs: finite(lag.maxMs) },
    gcPause: { p50Ms: finite(gc.p50Ms), p99Ms: finite(gc.p99Ms), maxMs: finite(gc.maxMs), count: finite(gc.count) },
    overhead: {
      threadBusyMs: finite(overhead.threadBusyMs),
      jsBusyMs: finite(overhead.jsBusyMs),
      allocatedBytes: finite(overhead.allocation && overhead.allocation.estimatedBytes),
    },
  };
}

function siteLabel(site) {
  if (!site || typeof site.file !== 'string') return '<unknown>';
  return `${site.file}:${site.line}:${site.column}`;
}

/** Keeps the `top` largest entries of `groups` (Map key → {labels, values}), summing the rest into `other`. */
function rankAndCut(groups, top, rankIndex, otherLabels) {
  const sorted = [...groups.values()].sort((a, b) => b.values[rankIndex] - a.values[rankIndex]);
  if (sorted.length <= top) return sorted;
  const kept = sorted.slice(0, top);
  const other = { labels: otherLabels, values: sorted[top].values.map(() => 0) };
  for (const g of sorted.slice(top)) g.values.forEach((v, i) => (other.values[i] += v));
  kept.push(other);
  return kept;
}

function cacheGroups(rows, top) {
  const groups = new Map();
  for (const row of rows) {
    if (!row || !row.meta || row.meta.kind !== 'cache' || !Array.isArray(row.cells)) continue;
    const m = row.meta;
    const name = typeof m.name === 'string' && m.name !== '' ? m.name : m.site ? `${m.site.file}:${m.site.line}` : '<unnamed>';
    let g = groups.get(name);
    if (g === undefined) groups.set(name, (g = { labels: { cache: name }, values: CACHE_FAMILIES.map(() => 0) }));
    CACHE_FAMILIES.forEach((f, i) => (g.values[i] += finite(row.cells[f.cell])));
  }
  return rankAndCut(groups, top, 0, { cache: OTHER });
}

function siteGroups(rows, family, top) {
  const groups = new Map();
  for (const row of rows) {
    if (!row || !row.meta || row.meta.kind !== family.kind || !Array.isArray(row.cells)) continue;
    const site = siteLabel(row.meta.site);
    const detail = typeof row.meta.detail === 'string' ? row.meta.detail : '';
    const key = `${site}\u0000${detail}`;
    const live = Math.max(0, finite(row.cells[CELLS.site.ADDS]) - finite(row.cells[CELLS.site.REMOVES]));
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { labels: { site, [family.detailLabel]: detail }, values: [0] }));
    g.values[0] += live;
  }
  return rankAndCut(groups, top, 0, { site: OTHER, [family.detailLabel]: '' });
}

/**
 * Reads the sources once and returns the metric families:
 * [{ name, help, type, labelNames, samples: [{ labels, value }], otel }].
 */
function collectFamilies(source, options) {
  let report = null;
  let ok;
  try {
    report = source.report();
    ok = report !== null && typeof report === 'object';
  } catch {
    ok = false;
  }
  let rows;
  try {
    rows = source.rows() || [];
  } catch {
    rows = [];
  }
  const r = normalizeReport(ok ? report : null);
  const families = [];
  for (const f of REPORT_FAMILIES) {
    const name = options.standardNames && f.std ? f.std : f.name;
    families.push({
      name,
      help: f.help,
      type: f.type || 'gauge',
      labelNames: [],
      samples: [{ labels: {}, value: finite(f.read(r)) }],
      otel: f.otel,
    });
  }
  const caches = cacheGroups(rows, options.topCaches);
  CACHE_FAMILIES.forEach((f, i) => {
    families.push({
      name: f.name,
      help: f.help,
      type: f.type,
      labelNames: ['cache'],
      samples: caches.map((g) => ({ labels: g.labels, value: g.values[i] })),
      otel: f.otel,
    });
  });
  const units = workUnits(ok ? report : null);
  for (const f of WORK_FAMILIES) {
    families.push({
      name: f.name,
      help: f.help,
      type: f.type,
      labelNames: ['unit'],
      samples: units.filter((u) => typeof f.read(u) === 'number' && Number.isFinite(f.read(u))).map((u) => ({ labels: { unit: u.name }, value: f.read(u) })),
      otel: f.otel,
    });
  }
  for (const f of SITE_FAMILIES) {
    const groups = siteGroups(rows, f, options.topSites);
    families.push({
      name: f.name,
      help: f.help,
      type: 'gauge',
      labelNames: ['site', f.detailLabel],
      samples: groups.map((g) => ({ labels: g.labels, value: g.values[0] })),
      otel: f.otel,
    });
  }
  return families;
}

// --- Prometheus text exposition 0.0.4 (byte-for-byte what prom-client prints) ---

function escapeHelp(s) {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabelValue(s) {
  return escapeHelp(String(s)).replace(/"/g, '\\"');
}

function renderFamily(f) {
  const lines = [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`];
  for (const s of f.samples) {
    const keys = Object.keys(s.labels);
    const labels = keys.length ? `{${keys.map((k) => `${k}="${escapeLabelValue(s.labels[k])}"`).join(',')}}` : '';
    lines.push(`${f.name}${labels} ${s.value}`);
  }
  return lines.join('\n');
}

function renderPrometheus(families) {
  return `${families.map(renderFamily).join('\n\n')}\n`;
}

// --- options ---

// `what` is the entry's key in OPTION_NAMES (lib/internal/options.js).
function resolveOptions(options, what) {
  const o = checkOptions(what, options, `${what} options`);
  return {
    topSites: validateInteger('topSites', o.topSites, { min: 1, max: 1000 }) ?? DEFAULTS.topSites,
    topCaches: validateInteger('topCaches', o.topCaches, { min: 1, max: 1000 }) ?? DEFAULTS.topCaches,
    standardNames: validateBoolean('standardNames', o.standardNames) ?? DEFAULTS.standardNames,
  };
}

function missingPromClient(cause) {
  const err = new Error(
    'leakguard: metrics.register() needs the optional peer dependency prom-client; install it with `npm install prom-client`',
    { cause },
  );
  err.code = 'MODULE_NOT_FOUND';
  return err;
}

/** leakguard's own resolution of prom-client (from its install folder). */
function loadPromClient() {
  try {
    return require('prom-client');
  } catch (cause) {
    if (cause && cause.code !== 'MODULE_NOT_FOUND') throw cause;
    throw missingPromClient(cause);
  }
}

/**
 * The folders the application resolves packages from: its main module's
 * (CommonJS `require.main`, or the entry script `process.argv[1]` for ESM),
 * then the working directory.
 */
function applicationFolders() {
  const folders = [];
  const main = require.main && require.main.filename;
  if (typeof main === 'string') folders.push(path.dirname(main));
  if (typeof process.argv[1] === 'string' && process.argv[1] !== '') folders.push(path.dirname(path.resolve(process.argv[1])));
  folders.push(process.cwd());
  return [...new Set(folders)];
}

/**
 * The prom-client the application itself resolves, or null. An application
 * may hold a copy of its own (another version, or npm did not dedupe): its
 * /metrics endpoint serves that copy's global registry, not leakguard's.
 */
function applicationPromClient() {
  for (const from of applicationFolders()) {
    let file;
    try {
      file = require.resolve('prom-client', { paths: [from] });
    } catch (err) {
      if (err && err.code === 'MODULE_NOT_FOUND') continue;
      throw err;
    }
    return require(file);
  }
  return null;
}

/** The client whose global registry `register()` uses when given none; throws when there is no right one. */
function defaultPromClient() {
  const app = applicationPromClient();
  if (app !== null) return app;
  let own;
  try {
    own = require.resolve('prom-client');
  } catch (cause) {
    throw missingPromClient(cause);
  }
  throw leakguardError(
    TypeError,
    CODES.NO_REGISTRY,
    'metrics.register() without a registry registers into the global registry of the prom-client your application ' +
      `resolves, and none resolves from ${applicationFolders().join(', ')} (the copy leakguard itself sees, ${own}, ` +
      'is not one your /metrics endpoint serves). Pass the Registry that your /metrics endpoint serves: metrics.register(registry)',
  );
}

/**
 * The exporter over a pair of sources: `report()` (the sampler's report) and
 * `rows()` (the stats table snapshot). `metrics` below is the one over the
 * live process; tests build their own over fixed figures.
 */
class MetricsExporter {
  constructor(source) {
    this.source = source;
    this.registrations = new WeakMap();
  }

  /** Prometheus text exposition format 0.0.4 of every leakguard family. */
  prometheus(options) {
    return renderPrometheus(collectFamilies(this.source, resolveOptions(options, 'metrics.prometheus')));
  }

  /**
   * Adds one collector per family to a prom-client Registry (default: the
   * global registry of the prom-client the application resolves). Returns
   * { names, unregister() }. Registering twice on one registry returns the
   * first registration.
   */
  register(registry, options) {
    const opts = resolveOptions(options, 'metrics.register');
    const client = registry === undefined ? defaultPromClient() : (applicationPromClient() ?? loadPromClient());
    const target = registry === undefined ? client.register : registry;
    if (!target || typeof target.registerMetric !== 'function' || typeof target.removeSingleMetric !== 'function') {
      const err = new TypeError('leakguard: metrics.register(registry) needs a prom-client Registry');
      err.code = CODES.INVALID_OPTION;
      throw err;
    }
    const existing = this.registrations.get(target);
    if (existing !== undefined) return existing;

    // One read of the sources per scrape: prom-client calls every collector in
    // the same synchronous pass, so the families are kept until the next tick.
    let cached = null;
    const families = () => {
      if (cached === null) {
        cached = new Map(collectFamilies(this.source, opts).map((f) => [f.name, f]));
        process.nextTick(() => {
          cached = null;
        });
      }
      return cached;
    };
    const shape = collectFamilies({ report: () => null, rows: () => [] }, opts);
    const created = [];
    try {
      for (const f of shape) {
        const Ctor = f.type === 'counter' ? client.Counter : client.Gauge;
        const name = f.name;
        created.push(
          new Ctor({
            name,
            help: f.help,
            labelNames: f.labelNames,
            registers: [target],
            collect() {
              const current = families().get(name);
              this.reset();
              if (current === undefined) return;
              for (const s of current.samples) {
                if (f.type === 'counter') this.inc(s.labels, s.value);
                else this.set(s.labels, s.value);
              }
            },
          }),
        );
      }
    } catch (err) {
      for (const m of created) target.removeSingleMetric(m.name);
      throw err;
    }
    const names = created.map((m) => m.name);
    const handle = {
      names,
      unregister: () => {
        if (this.registrations.get(target) !== handle) return;
        this.registrations.delete(target);
        for (const m of created) if (target.getSingleMetric(m.name) === m) target.removeSingleMetric(m.name);
      },
    };
    this.registrations.set(target, handle);
    return handle;
  }

  /**
   * Registers observable instruments on an OpenTelemetry Meter, all fed by one
   * batch callback (one read of the sources per collection). Returns
   * { names, unregister() }.
   */
  otel(meter, options) {
    const opts = resolveOptions(options, 'metrics.otel');
    if (!meter || typeof meter.createObservableGauge !== 'function' || typeof meter.addBatchObservableCallback !== 'function') {
      const err = new TypeError('leakguard: metrics.otel(meter) needs an OpenTelemetry Meter (@opentelemetry/api >= 1.3)');
      err.code = CODES.INVALID_OPTION;
      throw err;
    }
    const shape = collectFamilies({ report: () => null, rows: () => [] }, { ...opts, standardNames: false });
    const instruments = new Map();
    for (const f of shape) {
      const [name, kind, unit] = f.otel;
      const description = f.help;
      const create =
        kind === 'counter'
          ? meter.createObservableCounter
          : kind === 'updowncounter'
            ? meter.createObservableUpDownCounter
            : meter.createObservableGauge;
      instruments.set(f.name, create.call(meter, name, { description, unit }));
    }
    const callback = (result) => {
      callUser('metrics.otel collection', () => {
        for (const f of collectFamilies(this.source, { ...opts, standardNames: false })) {
          const instrument = instruments.get(f.name);
          const detailAttr = f.otel[3];
          for (const s of f.samples) {
            result.observe(instrument, s.value, otelAttributes(s.labels, detailAttr));
          }
        }
      });
    };
    const observables = [...instruments.values()];
    meter.addBatchObservableCallback(callback, observables);
    let active = true;
    return {
      names: shape.map((f) => f.otel[0]),
      unregister() {
        if (!active) return;
        active = false;
        meter.removeBatchObservableCallback(callback, observables);
      },
    };
  }
}

function otelAttributes(labels, detailAttr) {
  const out = {};
  for (const [k, v] of Object.entries(labels)) {
    if (k === 'cache') out['leakguard.cache.name'] = v;
    else if (k === 'site') out['leakguard.site'] = v;
    else if (detailAttr !== undefined) out[detailAttr] = v;
  }
  return out;
}

const liveSource = {
  report: () => require('../sampler').report(),
  rows: () => require('../internal/stats').statsTable().snapshot(),
};

const exporter = new MetricsExporter(liveSource);

/** The public `metrics` object: leakguard's figures for Prometheus and OpenTelemetry. */
const metrics = Object.freeze({
  prometheus: (options) => exporter.prometheus(options),
  register: (registry, options) => exporter.register(registry, options),
  otel: (meter, options) => exporter.otel(meter, options),
  contentType: 'text/plain; version=0.0.4; charset=utf-8',
});

module.exports = { metrics, MetricsExporter, collectFamilies, renderPrometheus, DEFAULTS };
