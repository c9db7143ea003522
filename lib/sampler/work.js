'use strict';
// Growth per unit of work. "Leaking 4 MB/s" depends on load; "1.3 kB retained
// per request" survives a change of traffic. Units are counted in JavaScript:
//
// - HTTP requests a server of this thread received, from Node's diagnostics
//   channel `http.server.request.start` (present on Node 20, the oldest
//   line leakguard supports; where it is absent nothing is counted), while
//   the sampler runs;
// - units the application declares with leakguard.work(name, n): a counter
//   per name (at most MAX_NAMES names), whether or not the sampler runs.
//
// On each heartbeat, a post-GC sample the heap feed got since the last one
// (V8's own, or a forced one) becomes a point: its time, the heap used after
// that full GC (live memory, young survivors included) and the cumulative
// units at that moment. The last MAX_POINTS points are fitted by least
// squares against each unit's cumulative count and against time; the slope
// against a unit is the bytes retained per unit, and r² its quality. A leak
// that grows with requests fits the request count better than time as soon
// as the request rate varies; one that grows with time fits time better. The
// residual variance decides: one fit is said to explain the growth when the
// other's residual variance is at least RESIDUAL_RATIO times its own.

const dc = require('node:diagnostics_channel');
const { CODES, leakguardError, invalidOption } = require('../internal/errors');

const HTTP_CHANNEL = 'http.server.request.start';
/** The name HTTP server requests are counted under. */
const HTTP_UNIT = 'http.request';
const MAX_NAMES = 32;
const MAX_NAME_LENGTH = 64;
const MAX_POINTS = 240;
/** Post-GC points before a slope is given, and before growth is told apart. */
const MIN_POINTS = 4;
const MIN_POINTS_APART = 6;
const RESIDUAL_RATIO = 2;
/** A fit of quality below this explains nothing. */
const MIN_R2 = 0.5;

/** Cumulative units per name, since the process loaded leakguard. */
const counts = new Map();

/**
 * Counts `n` units of work named `name` (default: one 'job'). Cheap: a Map
 * update. Throws ERR_LEAKGUARD_INVALID_OPTION on a bad name or count, and
 * on a name past the first MAX_NAMES distinct ones (leakguard keeps no
 * unbounded state).
 */
function work(name = 'job', n = 1) {
  if (typeof name !== 'string') throw invalidOption('name', 'a string', name);
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) throw invalidOption('name', `a string of 1 to ${MAX_NAME_LENGTH} characters`, name, RangeError);
  if (typeof n !== 'number' || Number.isNaN(n)) throw invalidOption('n', 'a number', n);
  if (!Number.isFinite(n) || n < 0) throw invalidOption('n', 'a finite number >= 0', n, RangeError);
  const had = counts.get(name);
  if (had === undefined) {
    if (counts.size >= MAX_NAMES) {
      throw leakguardError(RangeError, CODES.INVALID_OPTION, `work(): at most ${MAX_NAMES} distinct unit names; "${name.slice(0, MAX_NAME_LENGTH)}" would be one more`);
    }
    counts.set(name, n);
  } else counts.set(name, had + n);
}

function onRequest() {
  counts.set(HTTP_UNIT, (counts.get(HTTP_UNIT) ?? 0) + 1);
}

/** Least squares of y on x: { slope, r2 }, or null when x or y does not vary. */
function fit(xs, ys) {
  const n = xs.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i];
    my += ys[i];
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - mx;
    const dy = ys[i] - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return { slope: sxy / sxx, r2: (sxy * sxy) / (sxx * syy) };
}

/** The points and fits of one running sampler. */
class WorkFit {
  constructor() {
    this.points = []; // { t, bytes, units: Map-like plain object }
    this.lastSeq = 0;
    this.startedAt = Date.now();
    this.startCounts = new Map(counts);
    this.subscribed = false;
  }

  start() {
    this.startedAt = Date.now();
    this.startCounts = new Map(counts);
    try {
      dc.subscribe(HTTP_CHANNEL, onRequest);
      this.subscribed = true;
    } catch {
      // a Node without the channel: HTTP requests are not counted
    }
  }

  stop() {
    if (!this.subscribed) return;
    dc.unsubscribe(HTTP_CHANNEL, onRequest);
    this.subscribed = false;
  }

  /** A post-GC sample `seq` taken at `t` with `bytes` used: a point, once. */
  observe(seq, t, bytes) {
    if (seq === this.lastSeq || !(t > 0) || !(bytes > 0)) return;
    this.lastSeq = seq;
    this.points.push({ t, bytes, units: Object.fromEntries(counts) });
    if (this.points.length > MAX_POINTS) this.points.shift();
  }

  /** True unless the last two post-GC points show the heap fell or stayed (fewer: true). */
  rising() {
    const n = this.points.length;
    return n < 2 || this.points[n - 1].bytes > this.points[n - 2].bytes;
  }

  /** What report().work says (docs/sampler.md, "Growth per unit of work"). */
  summary() {
    const pts = this.points;
    const elapsedSec = Math.max(1e-3, (Date.now() - this.startedAt) / 1000);
    const enough = pts.length >= MIN_POINTS;
    const byTime = enough
      ? fit(
          pts.map((p) => p.t / 1000),
          pts.map((p) => p.bytes),
        )
      : null;
    const units = [];
    for (const [name, total] of counts) {
      const since = total - (this.startCounts.get(name) ?? 0);
      let f = null;
      if (enough) {
        const used = pts.filter((p) => p.units[name] !== undefined);
        if (used.length >= MIN_POINTS) {
          f = fit(
            used.map((p) => p.units[name]),
            used.map((p) => p.bytes),
          );
        }
      }
      units.push({ name, total, perSec: since / elapsedSec, bytesPerUnit: f === null ? null : f.slope, r2: f === null ? null : f.r2 });
    }
    units.sort((a, b) => (b.r2 ?? -1) - (a.r2 ?? -1));
    const best = units.find((u) => u.r2 !== null && u.bytesPerUnit > 0) ?? null;
    let growsWith = null;
    if (byTime !== null && best !== null && pts.length >= MIN_POINTS_APART) {
      const unitResidual = 1 - best.r2;
      const timeResidual = 1 - byTime.r2;
      if (best.r2 >= MIN_R2 && timeResidual >= RESIDUAL_RATIO * unitResidual) growsWith = 'work';
      else if (byTime.slope > 0 && byTime.r2 >= MIN_R2 && unitResidual >= RESIDUAL_RATIO * timeResidual) growsWith = 'time';
    }
    return {
      units,
      bytesPerSec: byTime === null ? null : byTime.slope,
      timeR2: byTime === null ? null : byTime.r2,
      points: pts.length,
      growsWith,
      unit: growsWith === 'work' ? best.name : null,
    };
  }
}

module.exports = { work, WorkFit, fit, HTTP_UNIT, HTTP_CHANNEL, MAX_NAMES, MAX_POINTS };
