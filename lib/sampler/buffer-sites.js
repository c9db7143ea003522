'use strict';
// Off-heap attribution: which line allocates the Buffers that stay live.
//
// Buffer contents live outside the V8 heap, so V8's sampling heap profiler
// does not see them. While the sampler thread suspects external or native
// growth (the feed's WANT_BUFFERS cell, src/sampler/decision.rs
// `buffers_wanted`), Buffer's factories (Buffer.alloc, allocUnsafe,
// allocUnsafeSlow, from, concat, copyBytesFrom) are wrapped and their calls
// sampled by allocated bytes: a Poisson process with a mean of
// `samplingIntervalBytes` (the heap profiler's interval), so a large Buffer is
// almost always seen and a small one with probability size / interval; each
// sample stands for 1 / (1 - e^(-size/interval)) Buffers of its size. A
// sampled call captures its stack (the nearest user frame is the site) and
// registers the Buffer with a FinalizationRegistry, which holds it weakly: its
// site's live bytes drop when it is collected. A site's series counts only
// the Buffers that have lived through a major GC since they were made (the
// major-GC count is the feed's), so garbage not collected yet, which a
// weakly watched Buffer stays until the next major GC, is never growth. Each
// heartbeat appends every site's value to its series; a site whose floor
// (the least value of each quarter of the window) never fell from one quarter
// to the next and rose by minGrowthBytes / 4 or more over them is sent to the
// thread (setBufferSitesJson), which lists it as a `buffer`
// suspect while leaking.
//
// What is counted: the Buffer's own bytes; a Buffer that owns its whole
// ArrayBuffer is watched through that ArrayBuffer (a subarray kept alive keeps
// all of it), a slice of Node's shared pool (small allocUnsafe/from) through
// the view. A Buffer made as a view of an existing ArrayBuffer
// (Buffer.from(arrayBuffer)) allocates nothing and is not sampled. Calls made
// inside another factory (concat calls allocUnsafe) count once. Buffers Node
// makes internally without going through these properties (stream and socket
// chunks) are not seen: those are named by their growth only (docs/limits.md).
//
// `new ArrayBuffer`, `new SharedArrayBuffer` and the typed-array constructors
// are sampled the same way only with `constructors: true` (the start() option
// `arrayBufferSites`): while armed, those globals are replaced by a Proxy of
// each (the same `prototype`, statics and `instanceof`, but a different
// identity: `x.constructor === Uint8Array` is false while armed for arrays
// made by the original). A typed array made over an existing ArrayBuffer
// allocates nothing and is not sampled; one that made its own is watched
// through its ArrayBuffer. A code path that kept a reference to the original
// constructor before arming is not seen.
//
// Cost: a sampled Buffer is kept until the next major GC even when it died
// young (V8 treats weakly held objects as live in scavenges), which is why
// this runs only while off-heap growth is suspected (bench/RESULTS.md,
// "Off-heap attribution"). Disarming puts Buffer's functions (and the
// globals) back; one that another library wrapped after leakguard is left
// in place (its wrapper calls leakguard's, which then only passes calls on)
// with one LEAKGUARD_WRAPPED_AFTER warning, and counts again when armed
// again. A global that another library replaced before arming is not
// wrapped.

const { Buffer } = require('node:buffer');
const { captureSite } = require('../internal/callsite');
const { WARNINGS, warnOnce } = require('../internal/errors');

const FACTORIES = ['alloc', 'allocUnsafe', 'allocUnsafeSlow', 'from', 'concat', 'copyBytesFrom'];
// Globals sampled with `constructors: true` (those this Node has).
const CONSTRUCTORS = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int8Array',
  'Uint16Array',
  'Int16Array',
  'Uint32Array',
  'Int32Array',
  'Float16Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
].filter((name) => typeof globalThis[name] === 'function');
const STACK_LIMIT = 12;
// Sites kept per arming; allocations at further sites are not attributed.
const MAX_SITES = 256;
// Sites sent to the thread (fastest-growing first).
const MAX_SENT = 10;

let active = null; // the armed BufferSites, or null: the wrappers then only pass calls on
let inside = false; // within a wrapped factory (concat calls allocUnsafe)
const slots = new Map(); // name -> { original }: the function its wrapper calls
const wrappers = new Map(); // name -> leakguard's wrapper (one per name, reused)
const stranded = new Set(); // names whose wrapper another library wrapped after leakguard's
// The constructors as they were when leakguard loaded: only those are ever
// replaced (a global another library replaced before is its own).
const ORIGINAL_GLOBALS = new Map(CONSTRUCTORS.map((name) => [name, globalThis[name]]));
const proxies = new Map(); // global name -> { proxy, original }: one Proxy per constructor, reused
const installedGlobals = new Set(); // globals leakguard put its Proxy in and has not put back
const strandedGlobals = new Set(); // of those, the ones another library replaced after leakguard's

function wrapperFor(name) {
  let w = wrappers.get(name);
  if (w !== undefined) return w;
  const api = `Buffer.${name}`;
  const slot = { original: Buffer[name] };
  slots.set(name, slot);
  // Fixed arity (Buffer's factories take at most three arguments): no rest array per call.
  w = function (a, b, c) {
    const original = slot.original;
    if (active === null || inside) return original(a, b, c);
    inside = true;
    let out;
    try {
      out = original(a, b, c);
    } finally {
      inside = false;
    }
    const tracker = active;
    if (tracker !== null && out !== null && typeof out === 'object') {
      const length = out.length;
      if ((tracker.countdown -= length) <= 0) {
        try {
          tracker.sample(out, length, api, w, name === 'from' ? a : undefined);
        } catch {
          // never fail the program's allocation for a sample
        }
      }
    }
    return out;
  };
  Object.defineProperty(w, 'name', { value: name });
  wrappers.set(name, w);
  return w;
}

/**
 * The Proxy that stands for global constructor `name` while armed: `new`
 * through it makes what the original makes (with the original as the
 * new.target when the Proxy was, so that the prototype is the original's)
 * and samples it; everything else (statics, `prototype`, `instanceof`,
 * subclassing) reaches the original through the Proxy's defaults.
 */
function proxyFor(name) {
  let entry = proxies.get(name);
  if (entry !== undefined) return entry;
  const original = ORIGINAL_GLOBALS.get(name);
  const api = `new ${name}`;
  const typed = name !== 'ArrayBuffer' && name !== 'SharedArrayBuffer';
  const construct = function (target, args, newTarget) {
    const nt = newTarget === entry.proxy ? target : newTarget;
    if (active === null || inside || !active.constructors) return Reflect.construct(target, args, nt);
    inside = true;
    let out;
    try {
      out = Reflect.construct(target, args, nt);
    } finally {
      inside = false;
    }
    const tracker = active;
    if (tracker !== null) {
      const length = out.byteLength;
      if (length > 0 && (tracker.countdown -= length) <= 0) {
        try {
          tracker.countdown = tracker.nextCountdown();
          // A view of an ArrayBuffer the caller already had: nothing was allocated.
          const first = args[0];
          const view = typed && first !== null && typeof first === 'object' && out.buffer === first;
          if (!view) tracker.record(typed ? out.buffer : out, length, api, construct);
        } catch {
          // never fail the program's allocation for a sample
        }
      }
    }
    return out;
  };
  entry = { proxy: new Proxy(original, { construct }), original };
  proxies.set(name, entry);
  return entry;
}

/** After a major GC: what the site made before it and still has lived through it. */
function age(rec, epoch) {
  if (epoch > rec.epoch) {
    rec.old = rec.bytes;
    rec.epoch = epoch;
  }
}

class BufferSites {
  /**
   * @param {{ samplingIntervalBytes: number, windowMs: number, intervalMs: number, minGrowthBytes?: number,
   *   majorGcs?: () => number, random?: () => number, constructors?: boolean }} options
   *   a site is growth when its floor rose by `minGrowthBytes / 4` or more
   *   `majorGcs`: major GCs so far (the heap feed's count, set by HeapFeed);
   *   without it every live Buffer counts as having lived through one
   *   `constructors`: also sample `new ArrayBuffer`, `new SharedArrayBuffer`
   *   and the typed-array constructors (their globals replaced while armed)
   */
  constructor({ samplingIntervalBytes, windowMs, intervalMs, minGrowthBytes = 4 * 1024 * 1024, majorGcs = null, random = Math.random, constructors = false }) {
    this.minRise = minGrowthBytes / 4;
    this.constructors = constructors === true;
    this.interval = samplingIntervalBytes;
    this.majorGcs = majorGcs;
    this.windowMs = windowMs;
    this.intervalMs = intervalMs;
    this.random = random;
    this.countdown = 0;
    // "file:line:column" -> { site, stack, api, bytes, count, old, epoch, points }: `bytes` and
    // `count` all live, `old` the bytes made before major GC number `epoch` and still live
    this.sites = new Map();
    this.armedAt = null;
    this.registry = null;
    this.samples = 0;
    this.calls = 0;
  }

  /** Major GCs so far; without a count, a new epoch at every call (all that is live is old). */
  epoch() {
    if (this.majorGcs === null) return ++this.calls;
    return this.majorGcs();
  }

  get armed() {
    return this.armedAt !== null;
  }

  /** Bytes until the next sample: exponentially distributed with mean `interval`. */
  nextCountdown() {
    return -Math.log(1 - this.random()) * this.interval;
  }

  /** Wraps Buffer's factories and starts sampling; false when already armed, or another tracker is. */
  arm(now = Date.now()) {
    if (this.armed || active !== null) return false;
    // Records of a previous arming are dropped; their registrations find nothing to subtract from.
    this.sites = new Map();
    this.registry = new FinalizationRegistry((held) => {
      const rec = held.rec;
      rec.bytes -= held.bytes;
      rec.count -= held.count;
      if (held.epoch < rec.epoch) rec.old -= held.bytes;
    });
    this.countdown = this.nextCountdown();
    this.armedAt = now;
    for (const name of FACTORIES) {
      if (typeof Buffer[name] !== 'function') continue;
      const w = wrapperFor(name);
      if (stranded.has(name)) continue; // still inside another library's chain: it counts again from here
      if (Buffer[name] === w) continue;
      slots.get(name).original = Buffer[name];
      Buffer[name] = w;
    }
    if (this.constructors) {
      for (const name of CONSTRUCTORS) {
        if (strandedGlobals.has(name)) continue; // still inside another library's replacement
        const { proxy, original } = proxyFor(name);
        // Another library's replacement made before arming is its own: not wrapped.
        if (globalThis[name] !== original) continue;
        globalThis[name] = proxy;
        installedGlobals.add(name);
      }
    }
    active = this;
    return true;
  }

  /** Puts Buffer's functions back (not one another library wrapped after leakguard's) and forgets the sites. */
  disarm() {
    if (!this.armed) return false;
    if (active === this) active = null;
    this.armedAt = null;
    this.sites = new Map();
    this.registry = null;
    const kept = [];
    for (const [name, w] of wrappers) {
      if (Buffer[name] === w) {
        Buffer[name] = slots.get(name).original;
        stranded.delete(name);
      } else if (!stranded.has(name)) {
        stranded.add(name);
        kept.push(`Buffer.${name}`);
      }
    }
    const keptGlobals = [];
    for (const name of installedGlobals) {
      const { proxy, original } = proxies.get(name);
      if (globalThis[name] === proxy) {
        globalThis[name] = original;
        installedGlobals.delete(name);
        strandedGlobals.delete(name);
      } else if (!strandedGlobals.has(name)) {
        strandedGlobals.add(name);
        keptGlobals.push(name);
      }
    }
    if (keptGlobals.length > 0) {
      warnOnce(
        WARNINGS.WRAPPED_AFTER,
        `leakguard's ArrayBuffer sampling (arrayBufferSites) left the global ${keptGlobals.join(', ')} in place: another library replaced leakguard's Proxy after it, and putting the original back would remove that replacement; leakguard's Proxy now only passes calls to the original`,
        'globals',
      );
    }
    if (kept.length > 0) {
      warnOnce(
        WARNINGS.WRAPPED_AFTER,
        `leakguard's Buffer sampling left ${kept.join(', ')} in place: another library wrapped leakguard's function after it, and putting Node's back would remove that wrapper; leakguard's function now only passes calls to Node's`,
        'buffers',
      );
    }
    return true;
  }

  /** One sampled allocation of `length` bytes (`from`: Buffer.from's first argument). */
  sample(out, length, api, below, from) {
    this.countdown = this.nextCountdown();
    if (length <= 0 || this.registry === null) return;
    const ab = out.buffer;
    // A view of an ArrayBuffer the caller already had: nothing was allocated.
    if (from !== undefined && ab === from) return;
    // The whole ArrayBuffer when the Buffer owns it (a subarray kept alive keeps it all), else the view (a pool slice).
    this.record(out.byteOffset === 0 && out.byteLength === ab.byteLength ? ab : out, length, api, below);
  }

  /** A sample (its countdown drawn anew by the caller): `length` bytes allocated at the caller of `below`, live as long as `target`. */
  record(target, length, api, below) {
    if (length <= 0 || this.registry === null) return;
    const captured = captureSite(below, STACK_LIMIT);
    if (captured === null) return;
    const { site, stack } = captured;
    const key = `${site.file}:${site.line}:${site.column}`;
    let rec = this.sites.get(key);
    if (rec === undefined) {
      if (this.sites.size >= MAX_SITES) return;
      rec = { site, stack, api, bytes: 0, count: 0, old: 0, epoch: 0, points: [] };
      this.sites.set(key, rec);
    }
    const epoch = this.epoch();
    age(rec, epoch);
    const weight = 1 / -Math.expm1(-length / this.interval);
    const bytes = length * weight;
    rec.bytes += bytes;
    rec.count += weight;
    this.samples += 1;
    this.registry.register(target, { rec, bytes, count: weight, epoch });
  }

  /**
   * Appends each site's bytes that lived through a major GC to its series
   * (once per heartbeat) and returns the sites whose floor never fell from
   * one quarter of the window to the next and rose by `minRise` over them
   * (the window is at most the time since arming, and at least four heartbeats),
   * fastest first: [{ site, stack, api, bytes, growth, count }].
   */
  observe(now = Date.now()) {
    if (!this.armed) return [];
    const span = Math.min(this.windowMs, now - this.armedAt);
    const from = now - this.windowMs;
    const out = [];
    const epoch = this.epoch();
    for (const rec of this.sites.values()) {
      age(rec, epoch);
      const points = rec.points;
      points.push(now, Math.max(0, rec.old));
      let drop = 0;
      while (drop < points.length && points[drop] < from) drop += 2;
      if (drop > 0) points.splice(0, drop);
      if (span < 4 * this.intervalMs) continue;
      const floors = [Infinity, Infinity, Infinity, Infinity];
      const start = now - span;
      for (let i = 0; i < points.length; i += 2) {
        if (points[i] < start) continue;
        const q = Math.min(3, Math.floor(((points[i] - start) / span) * 4));
        if (points[i + 1] < floors[q]) floors[q] = points[i + 1];
      }
      // A quarter without a point (a late heartbeat) keeps the floor before it.
      for (let q = 1; q < 4; q++) if (floors[q] === Infinity) floors[q] = floors[q - 1];
      // The series moves only at major GCs (a step each): never down, and up by minRise.
      if (!(floors[0] <= floors[1] && floors[1] <= floors[2] && floors[2] <= floors[3] && floors[3] - floors[0] >= this.minRise)) continue;
      const growth = (floors[3] - floors[0]) / ((0.75 * span) / 1000);
      out.push({ site: rec.site, stack: rec.stack, api: rec.api, bytes: Math.max(0, rec.bytes), growth, count: Math.max(0, rec.count) });
    }
    out.sort((a, b) => b.growth - a.growth);
    return out.slice(0, MAX_SENT);
  }
}

module.exports = { BufferSites, FACTORIES, CONSTRUCTORS };
