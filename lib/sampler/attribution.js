'use strict';
// From a V8 sampling heap profile to attributed allocation suspects.
//
// profileSites(profile) charges each sampled node's live bytes to its nearest
// user frame (builtins, Node internals and leakguard itself are skipped;
// node_modules frames are marked) and keeps, per site, its whole allocation
// stack (builtin frames such as `set` named `Map.prototype.set`, nearest
// first) and the bytes allocated through each builtin the site called.
// allocationSuspects(profile, previous, seconds) turns two profiles into
// growth per site.
//
// Attributor.attribute(facts) reads the site's function source (from disk by
// its url, or by scriptId through the inspector for code not on disk), parses
// the whole file (lib/sampler/candidates.js) and lists the candidate lines.
// It runs only when a report is built (report(), onLeak, stop), never per
// sample: parsed files are cached by path, mtime and size, and each suspect's
// result by its site. Source-mapped code is reported at its original file and
// line (lib/internal/source-map.js).
//
// attributeReport then charges an allocation to a timer or listener suspect
// only where the row holds it (chargeRows), and merges the other allocation
// suspects that name the same line, and those with no line whose callers
// include the function a named one allocated in (one leak, one suspect, its
// other stacks in `alsoVia`).
//
// Never throws: a file that cannot be read or parsed yields a suspect without
// candidates.

const fs = require('node:fs');
const path = require('node:path');
const { parseFrame, toSite } = require('../internal/callsite');
const { analyse, findCandidates, functionAt, functionEnclosing, rowHoldsOwnLocal } = require('./candidates');
const sourceMap = require('../internal/source-map');
const { formatBytes } = require('../internal/units');

const MAX_USER_STACK = 8;
const MAX_WHOLE_STACK = 16;
const MAX_SUSPECTS = 10;
// Callers searched when the allocating function itself grows no container (a
// factory, or a callback given to Array.from / map: its caller stores what it made).
const MAX_CALLERS = 3;
// Distinct stacks (their callers) kept per site: the callers searched are
// those of all of them, nearest first.
const MAX_CALLER_PATHS = 4;
// User functions kept per site that the profile shows it calling (chargeRows
// tells a callee V8 inlined, absent from the profile, by them).
const MAX_CALLEES = 32;
// Parsed files kept (path + mtime + size); a file is parsed once while unchanged.
// What is kept of a parse (lib/sampler/candidates.js keeps the source and
// compact records, not the syntax tree) measured up to ~10 bytes of heap per
// source byte: the kept files total at most MAX_CACHED_SOURCE_BYTES of source
// (~10 MB of heap at most); a larger file is parsed for each new suspect in
// it, and not kept.
const MAX_FILES = 32;
const MAX_CACHED_SOURCE_BYTES = 1024 * 1024;
// Results kept per suspect site.
const MAX_RESULTS = 64;
// New files parsed per report (each costs milliseconds per 10 kB of source);
// suspects whose files are left over are named by a later report.
const MAX_PARSES_PER_REPORT = 4;
const DEFERRED = Symbol('deferred');
// Larger files are not parsed (a bundle of several MB costs tens of ms).
const MAX_SOURCE_BYTES = 8 * 1024 * 1024;

// Readable names of the builtins a profile names by their bare function name.
const BUILTIN_NAMES = {
  set: 'Map.prototype.set',
  add: 'Set.prototype.add',
  push: 'Array.prototype.push',
  unshift: 'Array.prototype.unshift',
  splice: 'Array.prototype.splice',
  concat: 'Array.prototype.concat',
  assign: 'Object.assign',
  fill: 'Array.prototype.fill',
  from: 'Array.from',
  map: 'Array.prototype.map',
  filter: 'Array.prototype.filter',
  join: 'Array.prototype.join',
  repeat: 'String.prototype.repeat',
  padEnd: 'String.prototype.padEnd',
  padStart: 'String.prototype.padStart',
  split: 'String.prototype.split',
  replace: 'String.prototype.replace',
  stringify: 'JSON.stringify',
  parse: 'JSON.parse',
  fromEntries: 'Object.fromEntries',
  entries: 'Object.entries',
  keys: 'Object.keys',
  toISOString: 'Date.prototype.toISOString',
};
// Builtins that add to a container (the rest only allocate values).
const GROWING = new Set(['set', 'add', 'push', 'unshift', 'splice', 'concat', 'assign']);

function isBuiltin(cf) {
  return cf.url === '' && cf.functionName !== '' && !cf.functionName.startsWith('(');
}

const OWN_WORK = [path.join(__dirname, 'attribution.js'), path.join(__dirname, 'candidates.js')];
function isAttributionFrame(cf) {
  if (cf.url === '') return false;
  for (const f of OWN_WORK) if (cf.url === f || cf.url.endsWith(f)) return true;
  return false;
}

function builtinName(functionName) {
  return BUILTIN_NAMES[functionName] ?? functionName;
}

/** A user frame for a profile call frame, or null (builtins, internals, leakguard). */
function userFrame(cf, cache) {
  const key = `${cf.url}:${cf.lineNumber}:${cf.columnNumber}:${cf.functionName}`;
  if (cache.has(key)) return cache.get(key);
  let frame = null;
  if (cf.url !== '' && cf.lineNumber >= 0) {
    const name = cf.functionName === '' ? '<anonymous>' : cf.functionName;
    const parsed = parseFrame(`    at ${name} (${cf.url}:${cf.lineNumber + 1}:${cf.columnNumber + 1})`);
    if (parsed !== null && !parsed.internal && !parsed.own) {
      frame = toSite(parsed);
      if (frame.functionName === '<anonymous>') frame.functionName = null;
    }
  }
  cache.set(key, frame);
  return frame;
}

/** One frame of a whole allocation stack. */
function wholeFrame(cf, user) {
  if (user !== null) return { functionName: user.functionName, file: user.file, line: user.line, column: user.column, kind: user.nodeModules ? 'dependency' : 'user' };
  if (isBuiltin(cf)) return { functionName: builtinName(cf.functionName), file: null, line: null, column: null, kind: 'builtin' };
  const named = cf.functionName === '' ? null : cf.functionName;
  const file = cf.url === '' ? null : cf.url;
  return { functionName: named, file, line: cf.lineNumber >= 0 ? cf.lineNumber + 1 : null, column: cf.columnNumber >= 0 ? cf.columnNumber + 1 : null, kind: 'internal' };
}

function siteKey(site) {
  return `${site.file}:${site.line}:${site.column}:${site.functionName}`;
}

/**
 * Live sampled bytes per nearest user frame: Map<key, { site, stack, bytes,
 * count, builtins: Map<name, bytes>, allocationStack, scriptId, url }>.
 * `stack` holds user frames (nearest first), `allocationStack` the whole
 * stack of the site's largest sampled node (builtins and Node frames too),
 * `builtinStacks` the same per container-growing builtin it called,
 * `callees` the user functions the profile shows it calling (the first user
 * frame below it: { url, line0, column0 }, at most MAX_CALLEES).
 */
function profileSites(profile) {
  const cache = new Map();
  const bySite = new Map();
  const nodeSite = new Map();
  const callees = new Map(); // site key -> Map<position, callee>
  const chain = []; // the nodes from the root to the current one (one array, pushed and popped)
  const walk = (node, userStack, owner) => {
    const cf = node.callFrame;
    // What leakguard's own attribution allocates (parsing) is not the application's.
    if (isAttributionFrame(cf)) return;
    const f = userFrame(cf, cache);
    const stack = f === null ? userStack : [f, ...userStack].slice(0, MAX_USER_STACK);
    chain.push(node);
    const at = f !== null ? chain.length - 1 : owner;
    if (f !== null && owner >= 0) {
      const callerKey = nodeSite.get(chain[owner].id);
      let set = callees.get(callerKey);
      if (set === undefined) callees.set(callerKey, (set = new Map()));
      const position = `${cf.url}:${cf.lineNumber}:${cf.columnNumber}`;
      if (set.size < MAX_CALLEES && !set.has(position)) set.set(position, { url: cf.url, line0: cf.lineNumber, column0: cf.columnNumber });
    }
    if (stack.length > 0) {
      const site = stack[0];
      const key = siteKey(site);
      nodeSite.set(node.id, key);
      if (node.selfSize > 0) {
        let e = bySite.get(key);
        if (e === undefined) {
          const ocf = chain[at].callFrame;
          const callers = callersOf(chain, at, cache);
          e = { site, stack, bytes: 0, count: 0, builtins: new Map(), builtinStacks: new Map(), allocationStack: null, largest: 0, scriptId: ocf.scriptId, url: ocf.url, line0: ocf.lineNumber, column0: ocf.columnNumber, callers, callerPaths: [callers] };
          bySite.set(key, e);
        } else if (e.callerPaths.length < MAX_CALLER_PATHS) {
          // The same function reached through another stack: V8 may have
          // inlined a caller into its own caller in one optimised version
          // of the code and not in another, so one stack can lack the
          // caller that stores what this function makes.
          const callers = callersOf(chain, at, cache);
          if (!e.callerPaths.some((p) => sameCallers(p, callers))) {
            e.callerPaths.push(callers);
            e.callers = interleaveCallers(e.callerPaths);
          }
        }
        e.bytes += node.selfSize;
        // The builtin the user frame called directly (the first frame above it).
        const called = chain[at + 1];
        const through = called !== undefined && isBuiltin(called.callFrame) ? called.callFrame.functionName : null;
        if (through !== null) e.builtins.set(through, (e.builtins.get(through) ?? 0) + node.selfSize);
        if (node.selfSize > e.largest) {
          e.largest = node.selfSize;
          e.allocationStack = wholeStack(chain, cache);
        }
        // The largest allocation through each container-growing builtin: the stack a report shows with it.
        if (through !== null && GROWING.has(through)) {
          const kept = e.builtinStacks.get(through);
          if (kept === undefined || node.selfSize > kept.largest) e.builtinStacks.set(through, { largest: node.selfSize, stack: wholeStack(chain, cache) });
        }
      }
    }
    for (const child of node.children) walk(child, stack, at);
    chain.pop();
  };
  walk(profile.head, [], -1);
  for (const [key, e] of bySite) e.callees = [...(callees.get(key)?.values() ?? [])];
  for (const s of profile.samples || []) {
    const e = bySite.get(nodeSite.get(s.nodeId));
    if (e !== undefined) e.count += 1;
  }
  return bySite;
}

/** The whole stack of chain's last node, nearest first (the root left out). */
function wholeStack(chain, cache) {
  const whole = [];
  for (let i = chain.length - 1; i >= 1 && whole.length < MAX_WHOLE_STACK; i--) whole.push(wholeFrame(chain[i].callFrame, userFrame(chain[i].callFrame, cache)));
  return whole;
}

const callerKey = (c) => `${c.url}:${c.line0}:${c.column0}`;

function sameCallers(a, b) {
  return a.length === b.length && a.every((c, i) => callerKey(c) === callerKey(b[i]));
}

/** The callers of several stacks, nearest first (each stack's first caller, then each one's second, …), once each. */
function interleaveCallers(paths) {
  const out = [];
  const seen = new Set();
  for (let depth = 0; depth < MAX_CALLERS; depth++) {
    for (const p of paths) {
      const c = p[depth];
      if (c === undefined || seen.has(callerKey(c))) continue;
      seen.add(callerKey(c));
      out.push(c);
    }
  }
  return out;
}

/** The user functions below chain[at] (its callers, nearest first), as profile positions. */
function callersOf(chain, at, cache) {
  const out = [];
  for (let i = at - 1; i >= 0 && out.length < MAX_CALLERS; i--) {
    const cf = chain[i].callFrame;
    const f = userFrame(cf, cache);
    if (f === null) continue;
    out.push({ url: cf.url, scriptId: cf.scriptId, line0: cf.lineNumber, column0: cf.columnNumber, functionName: f.functionName, generatedFile: fileOf(cf.url) ?? f.file });
  }
  return out;
}

/** The container-growing builtin under a site with the most bytes (growth when a previous entry is given), or null. */
function growingBuiltin(entry, previous) {
  let best = null;
  let bestBytes = 0;
  for (const [name, bytes] of entry.builtins) {
    if (!GROWING.has(name)) continue;
    const grown = bytes - (previous && previous.builtins ? previous.builtins.get(name) ?? 0 : 0);
    if (grown > bestBytes) {
      best = name;
      bestBytes = grown;
    }
  }
  return best;
}

/** The facts a suspect carries from its profile entry (no parsing). */
function factsOf(entry, previous) {
  const builtin = growingBuiltin(entry, previous) ?? growingBuiltin(entry, null);
  return {
    key: siteKey(entry.site),
    site: entry.site,
    // Profile positions are in the generated file even when the site is mapped.
    generatedFile: fileOf(entry.url) ?? entry.site.file,
    url: entry.url,
    scriptId: entry.scriptId,
    line0: entry.line0,
    column0: entry.column0,
    builtin,
    // Through the growing builtin when there is one, else the largest sampled allocation.
    allocationStack: (builtin !== null && entry.builtinStacks?.get(builtin)?.stack) || entry.allocationStack || [],
    callers: entry.callers ?? [],
    callees: entry.callees ?? [],
  };
}

/**
 * Allocation suspects from a profile and the previous one (V8's
 * SamplingHeapProfile shape), `seconds` apart: sites whose live sampled
 * bytes grew, fastest first, each with its facts for attribution.
 */
function allocationSuspects(profile, previous, seconds, limit = MAX_SUSPECTS) {
  const now = profileSites(profile);
  const before = previous ? profileSites(previous) : new Map();
  return diffSites(now, before, seconds, limit);
}

function diffSites(now, before, seconds, limit = MAX_SUSPECTS) {
  const dt = Math.max(0.001, seconds);
  const out = [];
  for (const [key, e] of now) {
    const prev = before.get(key);
    const growth = (e.bytes - (prev ? prev.bytes : 0)) / dt;
    if (growth > 0) out.push({ site: e.site, stack: e.stack, bytes: e.bytes, growth, count: e.count, facts: factsOf(e, prev) });
  }
  out.sort((a, b) => b.growth - a.growth);
  return out.slice(0, limit);
}

function fileOf(url) {
  if (url.startsWith('file://')) {
    const parsed = parseFrame(`    at x (${url}:1:1)`);
    return parsed ? parsed.file : null;
  }
  return path.isAbsolute(url) ? url : null;
}

function remember(map, key, value, max) {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value);
}

function rel(file) {
  if (typeof file !== 'string') return '?';
  const r = path.relative(process.cwd(), file);
  return r !== '' && !r.startsWith('..') && !path.isAbsolute(r) ? r : file;
}

class Attributor {
  /** @param {{ getScriptSource?: (scriptId: string) => string|null }} options */
  constructor({ getScriptSource = null } = {}) {
    this.getScriptSource = getScriptSource;
    this.files = new Map(); // path + mtime + size (or scriptId) -> { analysis | null, size }
    this.cachedBytes = 0;
    this.parseBudget = Infinity; // files this report may still parse (attributeReport sets it)
    this.results = new Map(); // suspect key + file version -> result
  }

  evictOldest() {
    const [id, entry] = this.files.entries().next().value;
    this.files.delete(id);
    this.cachedBytes -= entry.size;
  }

  /** The parsed file behind a url (or scriptId), null, or DEFERRED when this report's parse budget is spent. */
  analysisFor(url, scriptId) {
    const file = fileOf(url);
    let stat = null;
    if (file !== null) {
      try {
        stat = fs.statSync(file);
      } catch {
        stat = null;
      }
    }
    const id = stat !== null ? `${file}\0${stat.mtimeMs}\0${stat.size}` : `script\0${scriptId}`;
    const cached = this.files.get(id);
    if (cached !== undefined) {
      this.files.delete(id);
      this.files.set(id, cached); // most recently used last
      return cached.analysis;
    }
    // Parsing blocks the main thread: a report parses a few files, the next one more.
    if (this.parseBudget <= 0) return DEFERRED;
    this.parseBudget -= 1;
    let source = null;
    if (stat !== null && stat.size <= MAX_SOURCE_BYTES) {
      try {
        source = fs.readFileSync(file, 'utf8');
      } catch {
        source = null;
      }
    }
    if (source === null && stat === null && this.getScriptSource !== null && scriptId !== undefined && scriptId !== '0') {
      source = this.getScriptSource(String(scriptId));
    }
    let analysis = null;
    if (typeof source === 'string' && source.length <= MAX_SOURCE_BYTES) {
      try {
        analysis = analyse(source, { module: /\.mjs$/.test(url) });
        analysis.id = id;
      } catch {
        analysis = null; // not JavaScript acorn reads
      }
    }
    const size = analysis === null ? 0 : analysis.size;
    if (size <= MAX_CACHED_SOURCE_BYTES) {
      this.files.set(id, { analysis, size });
      this.cachedBytes += size;
      while (this.cachedBytes > MAX_CACHED_SOURCE_BYTES || this.files.size > MAX_FILES) this.evictOldest();
    }
    return analysis;
  }

  /** findCandidates for a caller's profile position, or null. */
  candidatesOf(frame, builtin) {
    try {
      const analysis = this.analysisFor(frame.url, frame.scriptId);
      if (analysis === DEFERRED) return DEFERRED;
      return analysis === null ? null : findCandidates(analysis, { line0: frame.line0, column0: frame.column0, builtin });
    } catch {
      return null;
    }
  }

  /**
   * The attribution of one suspect's facts: { candidates, growingBuiltin,
   * allocationStack, inlinedNote, function, line } (see Suspect in
   * lib/sampler/index.d.ts), or null when a file it needs is left for a
   * later report (the parse budget). Never throws.
   */
  attribute(facts) {
    let analysis;
    try {
      analysis = this.analysisFor(facts.url, facts.scriptId);
    } catch {
      analysis = null;
    }
    if (analysis === DEFERRED) return null;
    const key = `${facts.key}\0${facts.builtin}\0${analysis ? analysis.id : ''}\0${(facts.callers ?? []).map(callerKey).join(',')}`;
    const cached = this.results.get(key);
    if (cached !== undefined) return { ...cached, allocationStack: facts.allocationStack };
    let found = null;
    if (analysis !== null) {
      try {
        found = findCandidates(analysis, { line0: facts.line0, column0: facts.column0, builtin: facts.builtin });
      } catch {
        found = null;
      }
    }
    const file = facts.generatedFile;
    let candidates = found === null ? [] : found.candidates.map((c) => mapCandidate(file, c, null));
    const fn = found === null ? null : mapFunction(file, found.function);
    // A function that makes objects without storing them (a factory, a
    // callback of Array.from or map) hands them to its caller: search the callers.
    for (const caller of candidates.length === 0 ? facts.callers : []) {
      const up = this.candidatesOf(caller, facts.builtin);
      if (up === DEFERRED) return null;
      if (up === null || up.candidates.length === 0) continue;
      const from = mapFunction(caller.generatedFile, up.function);
      const by = { functionName: from.name ?? caller.functionName ?? '(anonymous)', line: from.line, endLine: from.endLine };
      candidates = up.candidates.map((c) => mapCandidate(caller.generatedFile, c, by));
      break;
    }
    const inlined = candidates.filter((c) => c.inlined !== null);
    const result = {
      growingBuiltin: facts.builtin === null ? null : builtinName(facts.builtin),
      candidates,
      function: fn,
      inlinedNote:
        inlined.length > 0 && inlined[0] === candidates[0]
          ? `V8 may have inlined ${inlined[0].inlined.functionName} (${rel(inlined[0].file)}:${inlined[0].inlined.line}) into ${fn && fn.name ? fn.name : 'its caller'}: the profile charges an inlined callee's allocations to its caller`
          : null,
    };
    remember(this.results, key, result, MAX_RESULTS);
    return { ...result, allocationStack: facts.allocationStack };
  }
}

function mapCandidate(file, c, caller) {
  const at = sourceMap.mapPosition(file, c.line, c.column);
  const inlined =
    c.inlined === null
      ? null
      : { functionName: c.inlined.functionName, line: sourceMap.mapPosition(file, c.inlined.line, 1).line, endLine: sourceMap.mapPosition(file, c.inlined.endLine, 1).line };
  return { file: at.file, line: at.line, column: at.column, text: c.text, container: c.container, scope: c.scope, scopeText: c.scopeText, method: c.method, builtinMatch: c.builtinMatch, inlined, caller };
}

function mapFunction(file, fn) {
  const start = sourceMap.mapPosition(file, fn.line, 1);
  const end = sourceMap.mapPosition(file, fn.endLine, 1);
  return { name: fn.name, file: start.file, line: start.line, endLine: end.file === start.file ? end.line : start.line, topLevel: fn.topLevel };
}

/** "`inflight.set(id, ctx)` at server.js:15 (`inflight`: module scope)". */
function describeCandidate(c) {
  const inl = c.inlined ? `, possibly inlined ${c.inlined.functionName} at ${rel(c.file)}:${c.inlined.line}` : '';
  const up = c.caller ? `, in the caller ${c.caller.functionName}` : '';
  return `\`${c.text}\` at ${rel(c.file)}:${c.line} (\`${c.container}\`: ${c.scopeText}${up}${inl})`;
}

/** The headline of an attributed allocation suspect. */
function describeAttributed(s, a) {
  const fname = (a.function && a.function.name) || (s.site && s.site.functionName) || (a.function && a.function.topLevel ? 'the top level' : '(anonymous)');
  const span = a.function ? `${rel(a.function.file)}:${a.function.line}–${a.function.endLine}` : s.site ? `${rel(s.site.file)}:${s.site.line}` : '?';
  const top = a.candidates[0];
  // "grown through" only when the builtin is the one the named line calls.
  const through =
    a.growingBuiltin && (top === undefined || top.builtinMatch)
      ? `grown through ${a.growingBuiltin}, called from ${fname} (${span})`
      : `allocated in ${fname} (${span})${a.growingBuiltin ? `, through ${a.growingBuiltin}` : ''}`;
  if (top === undefined) return `${through}; no line in it adds to a longer-lived container`;
  const lead = a.candidates.length === 1 ? '' : `, most likely of ${a.candidates.length} candidate lines`;
  return `${describeCandidate(top)}${lead}; ${through}`;
}

const FIGURES = / hold ~.*$/;

/**
 * Adds the attribution to each allocation suspect of a report (in place) and
 * returns the report: candidates, growingBuiltin, allocationStack,
 * inlinedNote, function; with exactly one candidate, the site moves to its
 * line (precision `line`). `factsByKey` is what the last profile read kept
 * (Map<siteKey, facts>). Never throws.
 */
function attributeReport(report, factsByKey, attributor) {
  if (report === null || typeof report !== 'object' || !Array.isArray(report.suspects) || !factsByKey || factsByKey.size === 0) return report;
  attributor.parseBudget = MAX_PARSES_PER_REPORT;
  const attributed = new Map(); // suspect -> its facts
  try {
    for (const s of report.suspects) {
      if (s === null || typeof s !== 'object' || s.kind !== 'allocation' || !s.site) continue;
      const facts = factsByKey.get(siteKey(s.site));
      if (facts === undefined) continue;
      let a;
      try {
        a = attributor.attribute(facts);
      } catch {
        continue;
      }
      if (a === null) continue; // its file waits for the next report
      attributed.set(s, facts);
      s.candidates = a.candidates;
      s.growingBuiltin = a.growingBuiltin;
      s.allocationStack = a.allocationStack;
      s.inlinedNote = a.inlinedNote;
      s.function = a.function;
      const figures = typeof s.description === 'string' ? FIGURES.exec(s.description) : null;
      s.description = `${describeAttributed(s, a)}${figures ? ` —${figures[0].slice(' hold'.length)}` : typeof s.description === 'string' ? `; ${s.description}` : ''}`;
      if (a.candidates.length === 1) {
        const c = a.candidates[0];
        s.site = { ...s.site, file: c.file, line: c.line, column: c.column };
        s.precision = 'line';
      }
    }
    // Whether the row at `row.site` holds a local of the allocating function that no container line stores.
    const holdsOwn = (s, row, declaredAt) => {
      const facts = attributed.get(s);
      if (facts === undefined || facts.generatedFile !== row.site.file) return false;
      try {
        const analysis = attributor.analysisFor(facts.url, facts.scriptId);
        return analysis !== null && analysis !== DEFERRED && rowHoldsOwnLocal(analysis, { line0: facts.line0, column0: facts.column0, line: row.site.line, declaredAt }) === true;
      } catch {
        return false;
      }
    };
    // Whether the function of `frame` (a row's creation stack) is absent from the functions the allocating one calls in the profile.
    const inlinedCallee = (s, frame) => {
      const facts = attributed.get(s);
      if (facts === undefined || !Array.isArray(facts.callees) || !frame || typeof frame.file !== 'string' || !path.isAbsolute(frame.file)) return false;
      try {
        const analysis = attributor.analysisFor(frame.file, undefined);
        if (analysis === null || analysis === DEFERRED) return false;
        const callee = functionEnclosing(analysis, frame.line, frame.column);
        return callee !== null && !facts.callees.some((c) => fileOf(c.url) === frame.file && functionAt(analysis, c.line0, c.column0) === callee);
      } catch {
        return false;
      }
    };
    const charged = chargeRows(report.suspects, holdsOwn, inlinedCallee);
    mergeSameLine(report.suspects, charged);
    mergeUnnamedIntoCaller(report.suspects, charged);
  } finally {
    attributor.parseBudget = Infinity;
  }
  return report;
}

const SAMPLED = ' (sampling heap profiler)';

/** "loadProfile (examples/demo/leaky-service.js:18–28)": the function an allocation suspect's profile named. */
function functionLabel(s) {
  const fname = (s.function && s.function.name) || (s.site && s.site.functionName) || '(anonymous)';
  const span = s.function ? `${rel(s.function.file)}:${s.function.line}–${s.function.endLine}` : s.site ? `${rel(s.site.file)}:${s.site.line}` : '?';
  return `${fname} (${span})`;
}

/**
 * One leak, one suspect: allocation suspects whose most likely candidate is
 * the same line (a function and the caller V8 inlined it into, both charged
 * by the profile) become the first (best ranked) of them, with the bytes,
 * growth, samples and score of all, and each other one's stacks in `alsoVia`;
 * it then moves up past the suspects whose score is below that sum.
 * Suspects in `charged` (held by a row, chargeRows) merge only among
 * themselves. In place.
 */
function mergeSameLine(suspects, charged = new Set()) {
  const byLine = new Map();
  const grown = new Set();
  for (let i = 0; i < suspects.length; i++) {
    const s = suspects[i];
    if (s === null || typeof s !== 'object' || s.kind !== 'allocation' || !Array.isArray(s.candidates) || s.candidates.length === 0) continue;
    const top = s.candidates[0];
    const key = `${top.file}:${top.line}:${top.column}:${charged.has(s)}`;
    const kept = byLine.get(key);
    if (kept === undefined) {
      byLine.set(key, s);
      continue;
    }
    absorb(kept, s);
    grown.add(kept);
    suspects.splice(i, 1);
    i -= 1;
  }
  // The sum may outrank a suspect that each part alone did not (a line
  // sampled through two stacks, half its growth on each).
  for (const kept of grown) reposition(suspects, kept);
}

/**
 * One leak, one suspect, when a stack lost the storing function: an
 * allocation suspect with no line (its function, a factory or a callback of
 * `Array.from` or `map`, stores nothing, and neither do the callers its
 * stack shows) merges into a named allocation suspect when a caller on its
 * stack (within MAX_CALLERS, the callers searched for its line) is the
 * function the named one allocated in, or the caller where the named one's
 * line was found. What the unnamed one makes is handed to that function,
 * and the named line is where that function's allocations are stored: V8
 * can inline the storing function into its caller in one optimised version
 * of the code and not in another, so samples of one leak come with and
 * without it on their stack. The named suspect takes the better rank of the
 * two, with the bytes, growth, samples and score of both and the other's
 * stacks in `alsoVia`, and moves up past the suspects whose score is below
 * that sum. Suspects in `charged` (held by a row) are left as they are. In
 * place.
 */
function mergeUnnamedIntoCaller(suspects, charged = new Set()) {
  const grown = new Set();
  const isAllocation = (s) => s !== null && typeof s === 'object' && s.kind === 'allocation' && Array.isArray(s.candidates) && !charged.has(s);
  const sameFunction = (frame, file, line, column) => frame && frame.file === file && frame.line === line && (column === undefined || frame.column === column);
  for (let i = 0; i < suspects.length; i++) {
    const unnamed = suspects[i];
    if (!isAllocation(unnamed) || unnamed.candidates.length > 0 || !Array.isArray(unnamed.stack)) continue;
    const callers = unnamed.stack.slice(1, 1 + MAX_CALLERS);
    const into = suspects.find((n) => {
      if (n === unnamed || !isAllocation(n) || n.candidates.length === 0) return false;
      const own = Array.isArray(n.stack) ? n.stack[0] : undefined;
      const where = n.candidates[0].caller;
      return callers.some(
        (f) =>
          (own !== undefined && own !== null && sameFunction(f, own.file, own.line, own.column)) ||
          (where !== null && where !== undefined && sameFunction(f, n.candidates[0].file, where.line)),
      );
    });
    if (into === undefined) continue;
    absorb(into, unnamed);
    grown.add(into);
    const at = suspects.indexOf(into);
    suspects.splice(i, 1);
    if (at > i) {
      suspects.splice(at - 1, 1);
      suspects.splice(i, 0, into);
    } else {
      i -= 1;
    }
  }
  for (const kept of grown) reposition(suspects, kept);
}

/** Adds suspect `s` to `kept` (mergeSameLine, mergeUnnamedIntoCaller): figures summed, `s` named in `alsoVia` and the description. */
function absorb(kept, s) {
  const via = { site: s.site, function: s.function ?? null, stack: s.stack, allocationStack: s.allocationStack ?? [], bytes: s.bytes, growth: s.growth, count: s.count };
  if (kept.alsoVia === undefined) kept.alsoVia = [];
  kept.alsoVia.push(via);
  kept.bytes += s.bytes;
  kept.growth += s.growth;
  kept.count += s.count;
  kept.score += s.score;
  if (typeof kept.description === 'string') {
    const at = kept.description.indexOf(' — ~');
    const head = at < 0 ? kept.description : kept.description.slice(0, at);
    // What followed the figures ("; likely retained by …"), without an earlier "also allocated through".
    const end = kept.description.indexOf(SAMPLED);
    const tail = end < 0 ? '' : kept.description.slice(end + SAMPLED.length).replace(/; also allocated through .*$/, '');
    kept.description = `${head} — ~${formatBytes(kept.bytes)} live, growing ${formatBytes(Math.max(0, kept.growth))}/s${SAMPLED}${tail}; also allocated through ${kept.alsoVia.map((v) => functionLabel(v)).join(', ')}`;
  }
}

// Weight of a line-exact mechanism over a function-level guess (src/sampler/ranking.rs, EXACT_WEIGHT).
const EXACT_WEIGHT = 2;

/**
 * An allocation is charged to a timer or listener suspect only with evidence
 * that the row holds it: the function that allocated created the row (the
 * row's callback can hold that function's locals), and either no line in it
 * adds to a longer-lived container (a line found in a caller, where the
 * function hands over what it makes, is not in it), or the row holds a
 * local of the function that no such line stores, whole or as part of a
 * stored value (`holdsOwn(allocation, row)`, read from the source:
 * `setInterval(ping, 30_000, tenant, link)` holds `link`). A handler that
 * adds `() => user` to a bus and stores `{ user, … }` in a Map leaks through
 * the Map. A callee V8 inlined into the allocating function (named by an
 * inlined candidate) counts as that function. Callers on the row's creation
 * stack are no evidence, but for one case: no line in the function, its
 * callees or its callers adds to a longer-lived container, the row's
 * creation stack calls out of the function at a line inside it, and the
 * callee there is not among the functions the profile shows it calling
 * (`inlinedCallee(allocation, frame)`): V8 inlined the registering function,
 * so what it allocated for the row is charged to its caller. The row then
 * moves up by its new score, the allocation down. In place; returns the
 * allocation suspects charged.
 */
function chargeRows(suspects, holdsOwn = () => false, inlinedCallee = () => false) {
  const charged = new Set();
  for (const a of suspects.slice()) {
    if (a === null || typeof a !== 'object' || a.kind !== 'allocation' || !Array.isArray(a.candidates)) continue;
    const fn = a.function;
    if (!fn || fn.topLevel || typeof a.growth !== 'number' || a.growth <= 0) continue;
    const ownLines = a.candidates.some((c) => !c.caller);
    const spans = [{ file: fn.file, line: fn.line, endLine: fn.endLine, declaredAt: null }];
    for (const c of a.candidates) if (c.inlined && !c.caller) spans.push({ file: c.file, line: c.inlined.line, endLine: c.inlined.endLine, declaredAt: c.inlined.line });
    const createdIn = (r, span) => r.site.file === span.file && r.site.line >= span.line && r.site.line <= span.endLine && (!ownLines || holdsOwn(a, r, span.declaredAt));
    // The frame of the row's creation stack that V8 inlined into the function, or null.
    const inlinedFrom = (r) => {
      if (a.candidates.length > 0 || !Array.isArray(r.stack)) return null;
      for (let i = 1; i < r.stack.length; i++) {
        const f = r.stack[i];
        if (f && f.file === fn.file && f.line >= fn.line && f.line <= fn.endLine) return inlinedCallee(a, r.stack[i - 1]) ? r.stack[i - 1] : null;
      }
      return null;
    };
    let through = null;
    const row = suspects.find((r) => {
      if (r === null || typeof r !== 'object' || (r.kind !== 'timer' && r.kind !== 'listener') || !r.site) return false;
      if (spans.some((span) => createdIn(r, span))) return true;
      through = inlinedFrom(r);
      return through !== null;
    });
    if (row === undefined) continue;
    row.bytes = Math.max(0, row.bytes) + a.bytes;
    row.score += a.growth * EXACT_WEIGHT;
    a.score *= 0.5;
    const where = through === null ? 'created in this function' : `created in ${through.functionName || '(anonymous)'} at ${rel(through.file)}:${through.line}, which V8 inlined into this function`;
    a.description = `${a.description}; likely retained by the ${row.kind} suspect above (${where})`;
    reposition(suspects, row);
    reposition(suspects, a);
    charged.add(a);
  }
  return charged;
}

/** Moves `s` to where its score ranks it, among neighbours sorted by score. */
function reposition(suspects, s) {
  let i = suspects.indexOf(s);
  while (i > 0 && suspects[i - 1].score < s.score) {
    suspects[i] = suspects[i - 1];
    suspects[i - 1] = s;
    i -= 1;
  }
  while (i < suspects.length - 1 && suspects[i + 1].score > s.score) {
    suspects[i] = suspects[i + 1];
    suspects[i + 1] = s;
    i += 1;
  }
}

module.exports = {
  attributeReport,
  mergeSameLine,
  mergeUnnamedIntoCaller,
  chargeRows,
  profileSites,
  allocationSuspects,
  diffSites,
  factsOf,
  Attributor,
  describeCandidate,
  describeAttributed,
  builtinName,
  siteKey,
  BUILTIN_NAMES,
};
