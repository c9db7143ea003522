'use strict';
// Allocation suspects named to the line that grows a container: the
// candidate finder on source text, profile sites with whole stacks and the
// growing builtin on synthetic V8 profiles, the attributor on files in a temp
// folder and on a script known only by its scriptId, and one real sampling
// heap profile taken in this process.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { analyse, findCandidates, rowHoldsOwnLocal } = require('../lib/sampler/candidates');
const { profileSites, allocationSuspects, Attributor, attributeReport, siteKey, mergeSameLine, mergeUnnamedIntoCaller, chargeRows } = require('../lib/sampler/attribution');

/** The 0-based profile position of the function declared on the line holding `marker`. */
function positionOf(source, marker) {
  const lines = source.split('\n');
  const line0 = lines.findIndex((l) => l.includes(marker));
  assert.notEqual(line0, -1, `no ${marker}`);
  return { line0, column0: lines[line0].indexOf('(') };
}

function lineOf(source, marker) {
  return source.split('\n').findIndex((l) => l.includes(marker)) + 1;
}

function candidates(source, marker, builtin = null) {
  const r = findCandidates(analyse(source), { ...positionOf(source, marker), builtin });
  assert.ok(r !== null, 'the function was found');
  return r;
}

test('a module-scope Map grown in a function is its one candidate, named with its container and scope', () => {
  const src = [
    "'use strict';",
    'const inflight = new Map();',
    'function track(id, req) {',
    '  const ctx = { id, url: req.url, at: Date.now() };',
    '  const local = new Map();',
    '  local.set(id, ctx);', // local: not a candidate
    '  inflight.set(id, ctx); // LEAK',
    '  return ctx;',
    '}',
  ].join('\n');
  const r = candidates(src, 'function track');
  assert.equal(r.function.name, 'track');
  assert.equal(r.function.line, 3);
  assert.equal(r.function.endLine, 9);
  assert.equal(r.candidates.length, 1);
  const [c] = r.candidates;
  assert.equal(c.line, lineOf(src, '// LEAK'));
  assert.equal(c.text, 'inflight.set(id, ctx)');
  assert.equal(c.container, 'inflight');
  assert.equal(c.scope, 'module');
  assert.equal(c.method, 'set');
  assert.equal(c.inlined, null);
});

test('every growth form is found, and counters, locals and fresh copies are not', () => {
  const src = [
    'const log = []; const seen = new Set(); const byId = {}; let text = ""; let all = []; let merged = {};',
    'const stats = { hits: 0 };',
    'function record(item) {',
    '  const mine = [];',
    '  mine.push(item);',
    '  stats.hits = stats.hits + 0 - 0 * 1;', // BinaryExpression with a non-+ operator at the top: a counter
    '  stats.hits++;',
    '  stats.enabled = true;',
    '  Object.assign({}, item);',
    '  log.push(item);',
    '  log.unshift(item);',
    '  seen.add(item.id);',
    '  byId[item.id] = item;',
    '  text += item.name;',
    '  all = all.concat([item]);',
    '  merged = { ...merged, [item.id]: item };',
    '  Object.assign(byId, { [item.id]: item });',
    '  Array.prototype.push.apply(log, [item]);',
    '  [].push.call(log, item);',
    '}',
  ].join('\n');
  const r = findCandidates(analyse(src), { ...positionOf(src, 'function record'), builtin: null });
  const texts = r.candidates.map((c) => c.text);
  for (const t of ['log.push(item)', 'log.unshift(item)', 'seen.add(item.id)', 'byId[item.id] = item', 'text += item.name', 'all = all.concat([item])']) {
    assert.ok(texts.includes(t), `${t} in ${JSON.stringify(texts)}`);
  }
  // At most 8 are kept: the rest are the forms below, checked one by one.
  for (const t of ['mine.push', 'stats.hits', 'stats.enabled', 'Object.assign({}']) assert.ok(!texts.some((x) => x.startsWith(t)), `${t} is not a candidate`);
  const rest = findCandidates(analyse(src.replace(/ {2}(log|seen|byId|text|all)\b.*\n/g, '')), { ...positionOf(src, 'function record'), builtin: null });
  const restTexts = rest.candidates.map((c) => c.text);
  for (const t of ['merged = { ...merged, [item.id]: item }', 'Object.assign(byId, { [item.id]: item })', 'Array.prototype.push.apply(log, [item])', '[].push.call(log, item)']) {
    assert.ok(restTexts.includes(t), `${t} in ${JSON.stringify(restTexts)}`);
  }
  assert.equal(rest.candidates.find((c) => c.text.startsWith('Array.prototype')).container, 'log');
});

test('ranking: the builtin seen in the stack first, then module scope, closure, this, parameter', () => {
  const src = [
    'const queue = [];',
    'function makeStore() {',
    '  const kept = new Map();',
    '  return {',
    '    items: [],',
    '    put(key, value, into) {',
    '      into.push(value);',
    '      into.last = value;',
    '      this.items.push(value);',
    '      kept.set(key, value);',
    '      queue.push(value);',
    '    },',
    '  };',
    '}',
  ].join('\n');
  const at = positionOf(src, 'put(key');
  const plain = findCandidates(analyse(src), { ...at, builtin: null });
  assert.equal(plain.function.name, 'put');
  assert.deepEqual(
    plain.candidates.map((c) => [c.container, c.scope]),
    [['queue', 'module'], ['kept', 'closure'], ['this.items', 'this'], ['into', 'parameter']],
  );
  assert.equal(plain.candidates[1].scopeText, 'closure of makeStore');
  // A `Map.prototype.set` frame under the function puts the `.set(` first.
  const viaSet = findCandidates(analyse(src), { ...at, builtin: 'set' });
  assert.equal(viaSet.candidates[0].text, 'kept.set(key, value)');
  assert.equal(viaSet.candidates[0].builtinMatch, true);
});

test('a local holding part of a longer-lived container is grown in place; an empty container seeded per key ranks after', () => {
  const src = [
    'const tenants = new Map();',
    'const store = { jobs: [] };',
    'function remember(tenant, user, req) {',
    '  let users = tenants.get(tenant);',
    '  if (!users) tenants.set(tenant, (users = new Map()));',
    '  users.set(user, { at: Date.now(), agent: req.agent }); // LEAK',
    '}',
    'class Queue {',
    '  constructor() { this.pending = []; }',
    '  add(job) {',
    '    const pending = this.pending;',
    '    pending.push(job);',
    '    const { jobs } = store;',
    '    jobs.push(job);',
    '    let label = tenants.get(job.tenant);',
    '    label += "!";', // a new value for the local: grows nothing
    '    const entry = tenants.get(job.id);',
    '    entry.last = job;', // a named field of an entry: replaces a value
    '    const mine = new Map();',
    '    const copy = mine;',
    '    copy.set(job.id, job);', // part of a local: still local
    '  }',
    '}',
  ].join('\n');
  const r = candidates(src, 'function remember', 'set');
  assert.deepEqual(
    r.candidates.map((c) => [c.line, c.container, c.scope]),
    [
      [lineOf(src, '// LEAK'), 'users', 'module'],
      [lineOf(src, 'if (!users)'), 'tenants', 'module'],
    ],
  );
  assert.equal(r.candidates[0].scopeText, 'part of `tenants`, module scope');
  const q = candidates(src, 'add(job)');
  assert.deepEqual(
    q.candidates.map((c) => [c.text, c.scope]),
    [
      ['jobs.push(job)', 'module'],
      ['pending.push(job)', 'this'],
    ],
  );
});

test('a new value that keeps the old one is a chain; a stack that is also popped, and a value read from it, are not', () => {
  const src = [
    'let undo = () => {};',
    'let head = null;',
    'let frame = null;',
    'let name = "";',
    'function record(req) {',
    '  const before = undo;',
    '  undo = () => { req.undone = true; before(); }; // UNDO',
    '  head = { value: req.url, next: head }; // HEAD',
    '  undo = () => undo();', // reads undo when called: keeps nothing
    '  name = name.length > 3 ? name.trim() : "x" + name;',
    '}',
    'function enter(node) { frame = { upper: frame, node }; }',
    'function leave() { const { upper } = frame; frame = upper; }',
  ].join('\n');
  const r = candidates(src, 'function record');
  assert.deepEqual(
    r.candidates.map((c) => [c.line, c.method, c.scope]),
    [
      [lineOf(src, '// UNDO'), 'chain', 'module'],
      [lineOf(src, '// HEAD'), 'chain', 'module'],
    ],
  );
  assert.deepEqual(candidates(src, 'function enter').candidates, []);
});

test('a class constructor fills `this` without growing anything older, and `new C()` searches C\'s constructor as a possibly inlined callee', () => {
  const src = [
    'class Connection {',
    '  static open = [];',
    '  constructor(req) {',
    '    this.url = req.url;',
    '    this.pending = [];',
    '    this.pending.push(req);',
    '    Connection.open.push(this); // LEAK',
    '  }',
    '}',
    'const Session = class {',
    '  constructor(id) { this.id = id; sessions[id] = this; }',
    '};',
    'const sessions = {};',
    'function handler(req) {',
    '  const c = new Connection(req);',
    '  return new Session(c.url);',
    '}',
  ].join('\n');
  const ctor = candidates(src, 'constructor(req)');
  assert.equal(ctor.function.name, 'Connection');
  assert.deepEqual(
    ctor.candidates.map((c) => [c.line, c.text]),
    [[lineOf(src, '// LEAK'), 'Connection.open.push(this)']],
  );
  const viaNew = candidates(src, 'function handler');
  assert.deepEqual(
    viaNew.candidates.map((c) => [c.text, c.inlined && c.inlined.functionName]),
    [
      ['Connection.open.push(this)', 'Connection'],
      ['sessions[id] = this', 'Session'],
    ],
  );
});

test('memoisation on the function object itself names the function as the module-scope container', () => {
  const src = ['function compute(term) {', '  if (compute[term] !== undefined) return compute[term];', '  compute[term] = { term, at: Date.now() };', '  return compute[term];', '}'].join('\n');
  const r = candidates(src, 'function compute');
  assert.equal(r.candidates.length, 1);
  assert.equal(r.candidates[0].line, 3);
  assert.equal(r.candidates[0].container, 'compute');
  assert.equal(r.candidates[0].scope, 'module');
});

test('a callee in the same file is searched as a possibly inlined helper, and the top level is a function too', () => {
  const src = [
    'const sessions = new Map();',
    'function remember(id, s) {',
    '  sessions.set(id, s);',
    '}',
    'function handle(req) {',
    '  const s = { id: req.id, body: req.body };',
    '  remember(s.id, s);',
    '  return s;',
    '}',
    'for (let i = 0; i < 10; i++) handle({ id: i, body: "x" });',
  ].join('\n');
  const r = candidates(src, 'function handle', 'set');
  assert.equal(r.candidates.length, 1);
  assert.equal(r.candidates[0].text, 'sessions.set(id, s)');
  assert.deepEqual(r.candidates[0].inlined, { functionName: 'remember', line: 2, endLine: 4 });
  // The CommonJS top level (profile position 0:0) reaches it two calls down.
  const top = findCandidates(analyse(src), { line0: 0, column0: 0, builtin: null });
  assert.equal(top.function.topLevel, true);
  assert.equal(top.candidates[0].text, 'sessions.set(id, s)');
  assert.equal(top.candidates[0].inlined.functionName, 'remember');
});

test('a method called on an object is searched as a possibly inlined callee (V8 inlines hot methods too)', () => {
  const src = [
    'class Deliverer {',
    '  constructor() { this.retries = []; }',
    '  deliver(event) {',
    '    this.retries.push({ event });',
    '  }',
    '}',
    'const deliverer = new Deliverer();',
    'function handler(req) {',
    '  const event = { id: req.id };',
    '  deliverer.deliver(event);',
    '}',
  ].join('\n');
  const r = candidates(src, 'function handler', 'push');
  assert.equal(r.candidates.length, 1);
  assert.equal(r.candidates[0].text, 'this.retries.push({ event })');
  assert.equal(r.candidates[0].line, 4);
  assert.equal(r.candidates[0].inlined.functionName, 'deliver');
});

test('ES modules, classes and arrow functions parse; a position outside any function finds nothing', () => {
  const src = [
    "import { x } from './x.js';",
    'export class Registry {',
    '  #all = [];',
    '  constructor() { this.byName = new Map(); }',
    '  register(name, fn) {',
    '    this.byName.set(name, fn);',
    '  }',
    '}',
    'export const add = (v) => x.push(v);',
  ].join('\n');
  const a = analyse(src);
  const m = findCandidates(a, positionOf(src, 'register(name'));
  assert.equal(m.candidates[0].container, 'this.byName');
  assert.equal(m.candidates[0].scope, 'this');
  const arrow = findCandidates(a, { line0: 8, column0: src.split('\n')[8].indexOf('(v)') });
  assert.equal(arrow.function.name, 'add');
  assert.equal(arrow.candidates[0].container, 'x');
  assert.equal(arrow.candidates[0].scope, 'module'); // an import binding
  assert.equal(findCandidates(a, { line0: 2, column0: 2 }), null);
});

// ---- profiles ----------------------------------------------------------

let nextId = 1;
function node(functionName, url, lineNumber, columnNumber, selfSize, children = [], scriptId = '7') {
  return { callFrame: { functionName, url, lineNumber, columnNumber, scriptId: url === '' ? '0' : scriptId }, selfSize, id: nextId++, children };
}

/** A profile where `handle` (line0 4) allocates itself and through `set`, under Node's timers. */
function profileFor(file, ownBytes, setBytes) {
  const url = `file://${file}`;
  return {
    head: node('(root)', '', -1, -1, 0, [
      node('processTimers', 'node:internal/timers', 503, 24, 0, [
        node('handle', url, 4, 15, ownBytes, [node('set', '', -1, -1, setBytes), node('repeat', '', -1, -1, 1000)]),
      ]),
    ]),
    samples: [],
  };
}

function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-alloc-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const HANDLER = [
  "'use strict';",
  'const inflight = new Map();',
  'const done = [];',
  '',
  'function handle(id) {',
  '  const ctx = { id, body: "x".repeat(1000) };',
  '  inflight.set(id, ctx); // LEAK',
  '  done.push(id);',
  '  return ctx;',
  '}',
  'module.exports = { handle };',
].join('\n');

test('profile sites keep the whole stack with builtins named, and the growing builtin', (t) => {
  const file = path.join(tempDir(t), 'server.js');
  const sites = profileSites(profileFor(file, 5000, 9000));
  assert.equal(sites.size, 1);
  const [entry] = sites.values();
  assert.equal(entry.site.functionName, 'handle');
  assert.equal(entry.site.line, 5);
  assert.equal(entry.bytes, 15000);
  assert.deepEqual([...entry.builtins], [['set', 9000], ['repeat', 1000]]);
  assert.deepEqual(
    entry.allocationStack.map((f) => [f.functionName, f.kind]),
    [['Map.prototype.set', 'builtin'], ['handle', 'user'], ['processTimers', 'internal']],
  );
  const [s] = allocationSuspects(profileFor(file, 8000, 20000), profileFor(file, 5000, 9000), 2);
  assert.equal(s.growth, (29000 - 15000) / 2);
  assert.equal(s.facts.builtin, 'set');
  assert.equal(s.facts.line0, 4);
  // The stack shown goes through the growing builtin even when the function's own allocations are larger.
  const [big] = allocationSuspects(profileFor(file, 90000, 2000), null, 1);
  assert.equal(profileSites(profileFor(file, 90000, 2000)).values().next().value.allocationStack[0].functionName, 'handle');
  assert.equal(big.facts.builtin, 'set');
  assert.equal(big.facts.allocationStack[0].functionName, 'Map.prototype.set');
});

test('the attributor names the line in the report: site, candidates, builtin, description', (t) => {
  const file = path.join(tempDir(t), 'server.js');
  fs.writeFileSync(file, HANDLER);
  const [s] = allocationSuspects(profileFor(file, 8000, 20000), null, 1);
  const report = {
    leaking: true,
    suspects: [
      { kind: 'timer', site: { file, line: 1, column: 1, functionName: null }, description: 'a timer' },
      { kind: 'allocation', site: s.site, stack: s.stack, precision: 'function', description: `function-level: objects allocated in handle (${file}:5:16) hold ~29.0 kB live, growing 29.0 kB/s (sampling heap profiler)` },
    ],
  };
  const attributor = new Attributor();
  attributeReport(report, new Map([[s.facts.key, s.facts]]), attributor);
  const a = report.suspects[1];
  assert.equal(a.growingBuiltin, 'Map.prototype.set');
  assert.equal(a.candidates[0].line, lineOf(HANDLER, '// LEAK'));
  assert.equal(a.candidates[0].file, file);
  assert.equal(a.candidates[0].container, 'inflight');
  assert.equal(a.candidates.length, 2);
  assert.equal(a.precision, 'function'); // two candidates: the site stays the function
  assert.equal(a.function.name, 'handle');
  assert.equal(a.function.line, 5);
  assert.equal(a.function.endLine, 10);
  assert.match(a.description, /^`inflight\.set\(id, ctx\)` at .*server\.js:7 \(`inflight`: module scope\), most likely of 2 candidate lines; grown through Map\.prototype\.set, called from handle \(.*server\.js:5–10\) — ~29\.0 kB live/);
  assert.equal(a.allocationStack[0].functionName, 'Map.prototype.set');
  assert.equal(report.suspects[0].description, 'a timer', 'other suspects are left alone');

  // One candidate: it is the suspect's line.
  fs.writeFileSync(file, HANDLER.replace('  done.push(id);\n', '  done;\n'));
  const [s2] = allocationSuspects(profileFor(file, 8000, 20000), null, 1);
  const one = { suspects: [{ kind: 'allocation', site: s2.site, stack: s2.stack, precision: 'function', description: 'x' }] };
  attributeReport(one, new Map([[s2.facts.key, s2.facts]]), attributor);
  assert.equal(one.suspects[0].precision, 'line');
  assert.equal(one.suspects[0].site.line, 7);
  assert.equal(one.suspects[0].site.functionName, 'handle');
});

test('a file that does not parse, or is gone, leaves the suspect function-level without throwing', (t) => {
  const dir = tempDir(t);
  const broken = path.join(dir, 'broken.js');
  fs.writeFileSync(broken, 'function handle( {');
  const gone = path.join(dir, 'gone.js');
  for (const file of [broken, gone]) {
    const [s] = allocationSuspects(profileFor(file, 8000, 0), null, 1);
    const report = { suspects: [{ kind: 'allocation', site: s.site, precision: 'function', description: 'kept' }] };
    attributeReport(report, new Map([[s.facts.key, s.facts]]), new Attributor());
    assert.deepEqual(report.suspects[0].candidates, []);
    assert.equal(report.suspects[0].precision, 'function');
    assert.match(report.suspects[0].description, /allocated in handle/);
  }
});

test('code not on disk is read by its scriptId', () => {
  const asked = [];
  const attributor = new Attributor({
    getScriptSource: (id) => {
      asked.push(id);
      return HANDLER;
    },
  });
  const profile = profileFor('/nonexistent/leakguard/eval-server.js', 8000, 20000);
  const [s] = allocationSuspects(profile, null, 1);
  const a = attributor.attribute(s.facts);
  assert.deepEqual(asked, ['7']);
  assert.equal(a.candidates[0].text, 'inflight.set(id, ctx)');
  attributor.attribute(s.facts);
  assert.deepEqual(asked, ['7'], 'the parsed script is cached');
});

test('a real sampling heap profile of this process names the growing line', (t) => {
  const file = path.join(tempDir(t), 'grow.js');
  fs.writeFileSync(
    file,
    [
      "'use strict';",
      'const byKey = new Map();',
      'function grow(n) {',
      '  for (let i = 0; i < n; i++) {',
      '    const value = { i, text: `value ${i}`.padEnd(256, ".") };',
      '    byKey.set(`k${i}`, value); // LEAK',
      '  }',
      '}',
      'module.exports = { grow, byKey };',
    ].join('\n'),
  );
  const inspector = require('node:inspector');
  const session = new inspector.Session();
  session.connect();
  t.after(() => session.disconnect());
  const post = (method, params) => {
    let out;
    session.post(method, params, (err, r) => {
      if (err) throw err;
      out = r;
    });
    return out;
  };
  post('HeapProfiler.startSampling', { samplingInterval: 4096 });
  const mod = require(file);
  mod.grow(20000);
  const { profile } = post('HeapProfiler.getSamplingProfile', {});
  post('HeapProfiler.stopSampling', {});
  const suspects = allocationSuspects(profile, null, 1).filter((s) => s.site.file === file);
  assert.ok(suspects.length > 0, 'the file allocated');
  const attributor = new Attributor();
  const named = suspects.map((s) => attributor.attribute(s.facts)).find((a) => a.candidates.length > 0);
  assert.ok(named, 'a suspect in the file has candidates');
  assert.equal(named.candidates[0].line, 6);
  assert.equal(named.candidates[0].container, 'byKey');
  assert.equal(siteKey(suspects[0].site).startsWith(file), true);
  mod.byKey.clear();
});

test('formatReport and the HTML report show the candidate lines, the container, the builtin and the whole stack', () => {
  const { formatReport } = require('../lib/sampler/report-format');
  const { renderHtmlReport } = require('../lib/export/html-report');
  const suspect = {
    kind: 'allocation',
    site: { file: '/srv/server.js', line: 15, column: 3, functionName: 'track' },
    stack: [{ file: '/srv/server.js', line: 12, column: 15, functionName: 'track' }],
    count: 10,
    growth: 1000,
    bytes: 5000,
    score: 1000,
    precision: 'line',
    description: '`inflight.set(id, ctx)` at server.js:15 (`inflight`: module scope); grown through Map.prototype.set, called from track (server.js:12–17)',
    growingBuiltin: 'Map.prototype.set',
    candidates: [
      { file: '/srv/server.js', line: 15, column: 3, text: 'inflight.set(id, ctx)', container: 'inflight', scope: 'module', scopeText: 'module scope', method: 'set', builtinMatch: true, inlined: null, caller: null },
      { file: '/srv/server.js', line: 22, column: 3, text: 'log.push(`<b>${id}</b>`)', container: 'log', scope: 'closure', scopeText: 'closure of main', method: 'push', builtinMatch: false, inlined: { functionName: 'note', line: 20, endLine: 23 }, caller: null },
    ],
    inlinedNote: null,
    function: { name: 'track', file: '/srv/server.js', line: 12, endLine: 17, topLevel: false },
    allocationStack: [
      { functionName: 'Map.prototype.set', file: null, line: null, column: null, kind: 'builtin' },
      { functionName: 'track', file: '/srv/server.js', line: 12, column: 15, kind: 'user' },
    ],
    alsoVia: [
      {
        site: { file: '/srv/server.js', line: 30, column: 9, functionName: null },
        function: { name: null, file: '/srv/server.js', line: 30, endLine: 36, topLevel: false },
        stack: [{ file: '/srv/server.js', line: 30, column: 9, functionName: null }],
        allocationStack: [
          { functionName: 'Map.prototype.set', file: null, line: null, column: null, kind: 'builtin' },
          { functionName: null, file: '/srv/server.js', line: 30, column: 9, kind: 'user' },
        ],
        bytes: 2000,
        growth: 400,
        count: 3,
      },
    ],
  };
  const report = { leaking: true, since: 1, heap: {}, suspects: [suspect] };
  const text = formatReport(report);
  assert.match(text, /candidate lines \(2\), most likely first:\n {7}→ `inflight\.set\(id, ctx\)` at \/srv\/server\.js:15:3 \(`inflight`: module scope\)/);
  assert.match(text, /`log\.push\(`<b>\$\{id\}<\/b>`\)` at \/srv\/server\.js:22:3 \(`log`: closure of main; possibly inlined note at \/srv\/server\.js:20\)/);
  assert.match(text, /allocation stack \(grown through Map\.prototype\.set\):\n {9}at Map\.prototype\.set \(builtin\)\n {9}at track \(\/srv\/server\.js:12:15\)/);
  assert.match(text, /\n {7}also allocated through \(anonymous\) \(\/srv\/server\.js:30–36\), ~2\.0 kB live, growing 400 B\/s:\n {9}at Map\.prototype\.set \(builtin\)\n {9}at <anonymous> \(\/srv\/server\.js:30:9\)\n/);
  const html = renderHtmlReport(report, []);
  assert.match(html, /grown through <code>Map\.prototype\.set<\/code>/);
  assert.match(html, /<li><code>inflight\.set\(id, ctx\)<\/code> at <code>\/srv\/server\.js:15<\/code> <span class="muted">\(<code>inflight<\/code>: module scope\)/);
  assert.ok(html.includes('log.push(`&lt;b&gt;${id}&lt;/b&gt;`)'), 'candidate text is escaped');
  assert.ok(!html.includes('<b>${id}</b>'));
  assert.match(html, /possibly inlined <code>note<\/code> at line 20/);
  assert.match(html, /allocation stack \(2\)<\/summary><pre>Map\.prototype\.set \(builtin\)\ntrack \(\/srv\/server\.js:12:15\)<\/pre>/);
  const plain = html.replace(/<wbr>|<span class="seg">|<\/span>/g, '');
  assert.match(plain, /also allocated through \(1\)<\/summary><ol class="also-via"><li><code>\(anonymous\) \/srv\/server\.js:30–36<\/code> <span class="muted">\(2\.0 kB live, growing \+400 B\/s\)<pre>Map\.prototype\.set \(builtin\)\n&lt;anonymous&gt; \(\/srv\/server\.js:30:9\)<\/pre>/);
});

test('a function that makes objects without storing them hands the search to its caller on the stack', (t) => {
  const file = path.join(tempDir(t), 'factory.js');
  const src = [
    "'use strict';",
    'const sessions = new Map();',
    'function newSession(user) {',
    '  const session = { user, grants: Array.from({ length: 100 }, (_, scope) => ({ scope })) };',
    '  sessions.set(user, session); // LEAK',
    '  return session;',
    '}',
    'module.exports = { newSession };',
  ].join('\n');
  fs.writeFileSync(file, src);
  const url = `file://${file}`;
  const arrowColumn = src.split('\n')[3].indexOf('(_, scope)');
  // The callback of Array.from allocates; newSession, two frames down, stores.
  const profile = {
    head: node('(root)', '', -1, -1, 0, [
      node('newSession', url, 2, 19, 100, [node('from', '', -1, -1, 0, [node('', url, 3, arrowColumn, 50000)])]),
    ]),
    samples: [],
  };
  const [s] = allocationSuspects(profile, null, 1);
  assert.equal(s.site.functionName, null, 'the arrow is the nearest user frame');
  const a = new Attributor().attribute(s.facts);
  assert.equal(a.function.line, 4);
  assert.equal(a.candidates.length, 1);
  assert.equal(a.candidates[0].line, 5);
  assert.equal(a.candidates[0].container, 'sessions');
  assert.deepEqual(a.candidates[0].caller, { functionName: 'newSession', line: 3, endLine: 7 });
  const report = { suspects: [{ kind: 'allocation', site: s.site, precision: 'function', description: 'x' }] };
  attributeReport(report, new Map([[s.facts.key, s.facts]]), new Attributor());
  assert.match(report.suspects[0].description, /^`sessions\.set\(user, session\)` at .*factory\.js:5 \(`sessions`: module scope, in the caller newSession\); allocated in \(anonymous\)/);
  assert.equal(report.suspects[0].site.line, 5);
});

test('one report parses at most four new files; the suspects left over are named by the next report', (t) => {
  const dir = tempDir(t);
  const facts = new Map();
  const suspects = [];
  for (let i = 0; i < 6; i++) {
    const file = path.join(dir, `handler${i}.js`);
    fs.writeFileSync(file, HANDLER);
    const [s] = allocationSuspects(profileFor(file, 8000, 20000), null, 1);
    facts.set(s.facts.key, s.facts);
    suspects.push(s);
  }
  const report = () => ({ suspects: suspects.map((s) => ({ kind: 'allocation', site: s.site, precision: 'function', description: 'x' })) });
  const attributor = new Attributor();
  const first = attributeReport(report(), facts, attributor);
  assert.deepEqual(first.suspects.map((s) => Array.isArray(s.candidates)), [true, true, true, true, false, false]);
  assert.equal(first.suspects[5].description, 'x', 'a deferred suspect is left as it was');
  const second = attributeReport(report(), facts, attributor);
  assert.ok(second.suspects.every((s) => s.candidates.length === 2));
  assert.ok(Number.isFinite(attributor.parseBudget) === false, 'direct attribute() calls are not limited');
});

test('the profiler reads a script that is not on disk through the inspector, by the scriptId its profile gives', () => {
  const vm = require('node:vm');
  const { AllocationProfiler } = require('../lib/sampler/allocation-profiler');
  const file = path.join(os.tmpdir(), 'leakguard-not-on-disk', 'virtual.js');
  const source = ['const held = [];', 'function fill(n) {', '  for (let i = 0; i < n; i++) held.push({ i, pad: new Array(32).fill(i) });', '}', 'fill'].join('\n');
  const profiler = new AllocationProfiler({ samplingIntervalBytes: 4096 });
  try {
    assert.equal(profiler.available, true);
    let profile;
    profiler.session.post('HeapProfiler.startSampling', { samplingInterval: 4096 }, () => {});
    vm.runInThisContext(source, { filename: file })(5000);
    profiler.session.post('HeapProfiler.getSamplingProfile', {}, (err, r) => (profile = r.profile));
    profiler.session.post('HeapProfiler.stopSampling', {}, () => {});
    const [s] = allocationSuspects(profile, null, 1).filter((x) => x.site.file === file);
    assert.ok(s, 'the vm script allocated');
    assert.equal(profiler.scriptSource(s.facts.scriptId), source);
    const a = new Attributor({ getScriptSource: (id) => profiler.scriptSource(id) }).attribute(s.facts);
    assert.equal(a.candidates[0].line, 3);
    assert.equal(a.candidates[0].container, 'held');
  } finally {
    profiler.close();
  }
});

test('a number added to a binding or a field is a counter step, not growth', () => {
  const src = ['let n = 0; let text = ""; const o = { c: 0, log: "" };', 'function f(x) {', '  n += 1;', '  o.c += 2;', '  n = n + 1;', '  o.c = o.c + 1;', '  text += x;', '  o.log += x;', '}'].join('\n');
  const texts = findCandidates(analyse(src), { ...positionOf(src, 'function f'), builtin: null }).candidates.map((c) => c.text);
  assert.deepEqual(texts.sort(), ['o.log += x', 'text += x']);
});

const at = (file, line, functionName = null) => ({ file, line, column: 5, functionName, nodeModules: false });
const allocation = (over) => ({ kind: 'allocation', site: at('/srv/app.js', 18, 'loadProfile'), stack: [], count: 10, precision: 'line', candidates: [], allocationStack: [], function: null, ...over });

test('allocation suspects that name the same line are one suspect, with the other stacks in alsoVia', () => {
  const line = { file: '/srv/app.js', line: 25, column: 5, text: 'profiles.set(userId, profile)', container: 'profiles', scope: 'module' };
  const fn = (name, l, endLine) => ({ name, file: '/srv/app.js', line: l, endLine, topLevel: false });
  const direct = allocation({ bytes: 48e6, growth: 3e6, score: 3e6, candidates: [line], function: fn('loadProfile', 18, 28), description: '`profiles.set(userId, profile)` at app.js:25; allocated in loadProfile — ~48.0 MB live, growing 3.0 MB/s (sampling heap profiler)' });
  const listener = { kind: 'listener', site: at('/srv/app.js', 32, 'checkout'), stack: [], count: 100, growth: 10, bytes: 102400, score: 20480, description: 'listener' };
  const inlined = allocation({ site: at('/srv/app.js', 37), bytes: 5e5, growth: 3e4, score: 3e4, candidates: [{ ...line, inlined: { functionName: 'loadProfile', line: 18, endLine: 28 } }], function: fn(null, 37, 47), allocationStack: [{ functionName: null, file: '/srv/app.js', line: 37, column: 7, kind: 'user' }], description: 'x — ~500.0 kB live, growing 30.0 kB/s (sampling heap profiler)' });
  const other = allocation({ bytes: 1e6, growth: 1e4, score: 1e4, candidates: [{ ...line, line: 40 }], description: 'other' });
  const suspects = [direct, listener, inlined, other];
  mergeSameLine(suspects);
  assert.deepEqual(suspects, [direct, listener, other], 'the first keeps its place, the same line goes, another line stays');
  assert.equal(direct.bytes, 48.5e6);
  assert.equal(direct.growth, 3.03e6);
  assert.equal(direct.count, 20);
  assert.equal(direct.score, 3.03e6);
  assert.equal(direct.alsoVia.length, 1);
  assert.equal(direct.alsoVia[0].function.line, 37);
  assert.deepEqual(direct.alsoVia[0].allocationStack, inlined.allocationStack);
  assert.match(direct.description, /— ~48\.5 MB live, growing 3\.0 MB\/s \(sampling heap profiler\); also allocated through \(anonymous\) \(\/srv\/app\.js:37–47\)$/);
  assert.equal(other.alsoVia, undefined);
});

test('a line sampled through two stacks outranks a row that each half alone did not', () => {
  // session-map-and-bus-listener: the Map's line sampled once through the
  // handler and once through the function V8 inlined it into, each half
  // below the listener row's score, their sum above it.
  const line = { file: '/srv/app.js', line: 23, column: 3, text: 'sessions.set(id, session)', container: 'sessions', scope: 'module' };
  const listener = { kind: 'listener', site: at('/srv/app.js', 24, 'handleRequest'), stack: [], count: 1421, growth: 178, bytes: 1455104, score: 178 * 1024 * 2, description: 'listener' };
  const viaHandler = allocation({ site: at('/srv/app.js', 19, 'handleRequest'), bytes: 2e6, growth: 3e5, score: 3e5, candidates: [line], description: 'a — ~2.0 MB live, growing 300.0 kB/s (sampling heap profiler)' });
  const viaCaller = allocation({ site: at('/srv/app.js', 30), bytes: 2e6, growth: 2.4e5, score: 2.4e5, candidates: [line], description: 'b — ~2.0 MB live, growing 240.0 kB/s (sampling heap profiler)' });
  const small = allocation({ site: at('/srv/lib.js', 5, 'log'), bytes: 1e5, growth: 1e3, score: 1e3, candidates: [], description: 'small' });
  const suspects = [listener, viaHandler, viaCaller, small];
  mergeSameLine(suspects);
  assert.deepEqual(suspects, [viaHandler, listener, small]);
  assert.equal(viaHandler.score, 5.4e5);
});

test('an allocation suspect with no line merges into the named one whose function is among its callers, and takes no other', () => {
  // memoize(fn): `memoized` (line 9) stores fn's results at line 12; fn's
  // Array.from callback (line 20) stores nothing. Samples taken while V8
  // had inlined `memoized` into the handler lack it: the callback's suspect
  // then has no line. Samples with it on the stack name line 12.
  const fn = (name, l, endLine) => ({ name, file: '/srv/app.js', line: l, endLine, topLevel: false });
  const frame = (line, column, functionName) => ({ file: '/srv/app.js', line, column, functionName, nodeModules: false });
  const stored = { file: '/srv/app.js', line: 12, column: 5, text: 'results[key] = value', container: 'results', scope: 'closure', inlined: null, caller: null };
  const named = allocation({ site: frame(12, 5, 'memoized'), stack: [frame(9, 27, 'memoized'), frame(24, 17, 'handler')], bytes: 20e6, growth: 1e6, score: 1e6, candidates: [stored], function: fn('memoized', 9, 15), description: 'named — ~20.0 MB live, growing 1.0 MB/s (sampling heap profiler)' });
  const unnamed = allocation({ site: frame(20, 52), stack: [frame(20, 52), frame(9, 27, 'memoized'), frame(24, 17, 'handler')], bytes: 60e6, growth: 3e6, score: 3e6, candidates: [], function: fn(null, 20, 20), allocationStack: [{ functionName: null, file: '/srv/app.js', line: 20, column: 52, kind: 'user' }], description: 'unnamed — ~60.0 MB live, growing 3.0 MB/s (sampling heap profiler)' });
  // Shares only the handler with the named one: another leak, left alone.
  const elsewhere = allocation({ site: frame(30, 3, 'audit'), stack: [frame(30, 3, 'audit'), frame(24, 17, 'handler')], bytes: 5e6, growth: 2e5, score: 2e5, candidates: [], function: fn('audit', 30, 34), description: 'elsewhere' });
  const listener = { kind: 'listener', site: frame(40, 3, 'subscribe'), stack: [], count: 100, growth: 10, bytes: 102400, score: 20480, description: 'listener' };
  const suspects = [unnamed, listener, named, elsewhere];
  mergeUnnamedIntoCaller(suspects);
  assert.deepEqual(suspects, [named, listener, elsewhere], 'the named suspect takes the better rank, the unnamed one goes');
  assert.equal(named.bytes, 80e6);
  assert.equal(named.growth, 4e6);
  assert.equal(named.count, 20);
  assert.equal(named.score, 4e6);
  assert.equal(named.alsoVia.length, 1);
  assert.deepEqual(named.alsoVia[0].stack, unnamed.stack);
  assert.deepEqual(named.alsoVia[0].allocationStack, unnamed.allocationStack);
  assert.match(named.description, /— ~80\.0 MB live, growing 4\.0 MB\/s \(sampling heap profiler\); also allocated through \(anonymous\) \(\/srv\/app\.js:20–20\)$/);
  assert.equal(elsewhere.alsoVia, undefined);

  // The named line found in a caller (`caller`): a callback whose callers include that caller merges too.
  const viaCaller = allocation({ site: frame(12, 5), stack: [frame(18, 20), frame(9, 27, 'memoized')], bytes: 1e6, growth: 1e5, score: 1e5, candidates: [{ ...stored, caller: { functionName: 'memoized', line: 9, endLine: 15 } }], function: fn(null, 18, 22), description: 'via caller' });
  const sibling = allocation({ site: frame(21, 40), stack: [frame(21, 40), frame(7, 3, 'wrap'), frame(9, 27, 'memoized')], bytes: 2e6, growth: 2e5, score: 2e5, candidates: [], description: 'sibling' });
  const more = [sibling, viaCaller];
  mergeUnnamedIntoCaller(more);
  assert.deepEqual(more, [viaCaller]);
  assert.equal(viaCaller.bytes, 3e6);

  // Held by a row (chargeRows): not merged.
  const held = allocation({ site: frame(20, 52), stack: [frame(20, 52), frame(9, 27, 'memoized')], bytes: 1e6, growth: 1e5, score: 1e5, candidates: [], description: 'held' });
  const named2 = allocation({ ...named, alsoVia: undefined, bytes: 1, growth: 1, score: 1 });
  const kept = [held, named2];
  mergeUnnamedIntoCaller(kept, new Set([held]));
  assert.deepEqual(kept, [held, named2]);
});

test('an allocation is charged to a row only when the row was created in its function and no line in it grows a longer-lived container', () => {
  const fn = { name: 'handleRequest', file: '/srv/app.js', line: 19, endLine: 25, topLevel: false };
  const row = () => ({ kind: 'listener', site: at('/srv/app.js', 24, 'handleRequest'), stack: [at('/srv/app.js', 24, 'handleRequest')], count: 1000, growth: 100, bytes: 1024000, score: 204800, description: 'listener' });
  // The handler fills a module-scope Map: the Map holds the bytes, not the listener.
  const holder = allocation({ bytes: 30e6, growth: 1.5e6, score: 1.5e6, function: fn, candidates: [{ file: '/srv/app.js', line: 23, column: 3, text: 'sessions.set(requestId, session)', container: 'sessions', scope: 'module' }], description: 'map' });
  let suspects = [holder, row()];
  chargeRows(suspects);
  assert.equal(suspects[0], holder);
  assert.equal(suspects[1].bytes, 1024000, 'the listener holds its listeners');
  // Nothing in the function stores what it makes: the listener it created holds it.
  const closure = allocation({ bytes: 30e6, growth: 1.5e6, score: 1.5e6, function: fn, description: 'closure' });
  suspects = [closure, row()];
  chargeRows(suspects);
  assert.equal(suspects[0].kind, 'listener');
  assert.equal(suspects[0].bytes, 1024000 + 30e6);
  assert.equal(suspects[0].score, 204800 + 3e6);
  assert.match(suspects[1].description, /likely retained by the listener suspect above/);
  // A caller on the row's creation stack is no evidence.
  const caller = allocation({ bytes: 30e6, growth: 1.5e6, score: 1.5e6, function: { ...fn, name: 'serve', line: 40, endLine: 60 }, description: 'caller' });
  const far = row();
  far.stack.push(at('/srv/app.js', 44, 'serve'));
  suspects = [caller, far];
  chargeRows(suspects);
  assert.equal(suspects[0], caller);
  assert.equal(far.bytes, 1024000);
});

test('a function whose only candidate is its caller\'s line, and that created a row, is charged to the row and not merged into that line', () => {
  const line = { file: '/srv/app.js', line: 25, column: 5, text: 'profiles.set(userId, profile)', container: 'profiles', scope: 'module', caller: null };
  const fn = (name, l, endLine) => ({ name, file: '/srv/app.js', line: l, endLine, topLevel: false });
  const direct = allocation({ bytes: 48e6, growth: 3e6, score: 3e6, candidates: [line], function: fn('loadProfile', 18, 28), description: 'd — ~48.0 MB live, growing 3.0 MB/s (sampling heap profiler)' });
  const listener = { kind: 'listener', site: at('/srv/app.js', 32, 'checkout'), stack: [], count: 100, growth: 10, bytes: 102400, score: 20480, description: 'listener' };
  // checkout makes the quote its listener keeps; the search went on to its caller, which fills `profiles`.
  const checkout = allocation({ bytes: 1e6, growth: 5e4, score: 5e4, candidates: [{ ...line, caller: { functionName: 'serve', line: 37, endLine: 47 } }], function: fn('checkout', 30, 35), description: 'c' });
  const suspects = [direct, checkout, listener];
  mergeSameLine(suspects, chargeRows(suspects));
  assert.deepEqual(suspects, [direct, listener, checkout]);
  assert.equal(direct.alsoVia, undefined);
  assert.equal(listener.bytes, 102400 + 1e6);
});

test('a timer or listener holds a local of its function when no container line stores it, whole or as part of a stored value', () => {
  const src = [
    'const tenants = new Map(); const sessions = new Map(); const bus = { on() {} };',
    'function connect(id) {',
    '  const tenant = tenants.get(id) ?? { id };',
    '  tenants.set(id, tenant);',
    '  const link = { at: Date.now(), window: new Array(512).fill(0) };',
    '  setInterval(ping, 30000, tenant, link);',
    '}',
    'function handle(id) {',
    '  const user = { id };',
    '  const session = { user, token: "x".repeat(600) };',
    '  sessions.set(id, session);',
    '  bus.on("logout", () => user);',
    '}',
    'function ping() {}',
  ].join('\n');
  const a = analyse(src);
  const holds = (name, line) => rowHoldsOwnLocal(a, { ...positionOf(src, `function ${name}`), line });
  assert.equal(holds('connect', 6), true, '`link` is held by the interval alone');
  assert.equal(holds('handle', 12), false, '`user` is part of the session the Map stores');
  assert.equal(holds('handle', 11), null, 'no registration on that line');
});

test('a row created in a callee V8 inlined into the allocating function is charged as if created in it', () => {
  const fn = { name: 'handler', file: '/srv/app.js', line: 25, endLine: 28, topLevel: false };
  const row = { kind: 'timer', site: at('/srv/app.js', 21, 'connectTenant'), stack: [], count: 1000, growth: 500, bytes: 1024000, score: 1024000, description: 'timer' };
  const inlinedLine = { file: '/srv/app.js', line: 18, column: 3, text: 'tenants.set(id, tenant)', container: 'tenants', scope: 'module', caller: null, inlined: { functionName: 'connectTenant', line: 16, endLine: 23 } };
  const a = allocation({ bytes: 8e6, growth: 1e6, score: 1e6, function: fn, candidates: [inlinedLine], description: 'inlined' });
  const seen = [];
  const suspects = [a, row];
  chargeRows(suspects, (s, r, declaredAt) => (seen.push(declaredAt), true));
  assert.deepEqual(seen, [16], 'the holding is read in the inlined callee');
  assert.equal(suspects[0], row);
  assert.equal(row.bytes, 1024000 + 8e6);
  // connectTenant itself, charged too: one suspect for the line, the row's note kept.
  const direct = allocation({ bytes: 2e6, growth: 5e5, score: 5e5, function: { ...fn, name: 'connectTenant', line: 16, endLine: 23 }, candidates: [{ ...inlinedLine, inlined: null }], description: 'd — ~2.0 MB live, growing 500.0 kB/s (sampling heap profiler)' });
  const again = allocation({ bytes: 8e6, growth: 1e6, score: 1e6, function: fn, candidates: [inlinedLine], description: 'i — ~8.0 MB live, growing 1.0 MB/s (sampling heap profiler)' });
  const all = [{ ...row, bytes: 1024000, score: 1024000 }, direct, again];
  mergeSameLine(all, chargeRows(all, () => true));
  assert.equal(all.length, 2);
  assert.equal(all[1].alsoVia.length, 1);
  assert.match(all[1].description, /\(sampling heap profiler\); likely retained by the timer suspect above \(created in this function\); also allocated through/);
});

const TENANTS = [
  "'use strict';",
  'function addTenant(id) {',
  '  const profile = { id, settings: new Array(500).fill(id) };',
  '  return setInterval(() => profile.id, 3_600_000);',
  '}',
  'function tick(next) {',
  '  for (let i = 0; i < 15; i++) addTenant(next + i);',
  '}',
  'module.exports = { tick };',
].join('\n');

test('a timer registered by a function V8 inlined into the allocating one is charged with what it holds, and not when the profile shows the call', (t) => {
  const file = path.join(tempDir(t), 'tenants.js');
  fs.writeFileSync(file, TENANTS);
  const url = `file://${file}`;
  // `tick` is declared on line0 5; `addTenant` on line0 1.
  const profile = (inlined) => ({
    head: node('(root)', '', -1, -1, 0, [
      node('processTimers', 'node:internal/timers', 503, 24, 0, [
        node('tick', url, 5, 13, inlined ? 60000 : 500, inlined ? [] : [node('addTenant', url, 1, 18, 59500)]),
      ]),
    ]),
    samples: [],
  });
  const timerRow = () => ({
    kind: 'timer',
    site: { file, line: 4, column: 10, functionName: 'addTenant', nodeModules: false },
    stack: [
      { file, line: 4, column: 10, functionName: 'addTenant', nodeModules: false },
      { file, line: 7, column: 32, functionName: 'tick', nodeModules: false },
    ],
    count: 1000,
    growth: 300,
    bytes: 1024000,
    score: 614400,
    description: 'setInterval at tenants.js:4:10',
  });
  const reportFor = (inlined) => {
    const [s] = allocationSuspects(profile(inlined), null, 1).filter((x) => x.site.functionName === 'tick');
    const report = {
      leaking: true,
      suspects: [
        { kind: 'allocation', site: s.site, stack: s.stack, bytes: s.bytes, growth: 2e6, count: 10, score: 2e6, precision: 'function', description: `function-level: objects allocated in tick (${file}:6:14) hold ~60.0 kB live, growing 2.0 MB/s (sampling heap profiler)` },
        timerRow(),
      ],
    };
    attributeReport(report, new Map([[s.facts.key, s.facts]]), new Attributor());
    return report;
  };
  const inlined = reportFor(true);
  assert.equal(inlined.suspects[0].kind, 'timer', 'the row holds what the inlined addTenant allocated');
  assert.equal(inlined.suspects[0].bytes, 1024000 + 60000);
  assert.equal(inlined.suspects[0].score, 614400 + 2 * 2e6);
  assert.match(inlined.suspects[1].description, /likely retained by the timer suspect above \(created in addTenant at .*tenants\.js:4, which V8 inlined into this function\)$/);
  // addTenant ran on its own (the profile shows tick calling it): tick's own bytes are not the row's.
  const separate = reportFor(false);
  assert.equal(separate.suspects[0].kind, 'allocation');
  assert.equal(separate.suspects[1].bytes, 1024000);
  assert.doesNotMatch(separate.suspects[0].description, /likely retained/);
});

test('profile sites list the user functions the profile shows each one calling', () => {
  const url = 'file:///srv/app.js';
  const sites = profileSites({
    head: node('(root)', '', -1, -1, 0, [node('outer', url, 3, 0, 100, [node('inner', url, 9, 0, 100, [node('leaf', url, 20, 0, 10)]), node('setTimeout', 'node:timers', 1, 0, 0, [node('cb', url, 30, 0, 10)])])]),
    samples: [],
  });
  const byName = new Map([...sites.values()].map((e) => [e.site.functionName, e.callees]));
  assert.deepEqual(byName.get('outer'), [
    { url, line0: 9, column0: 0 },
    { url, line0: 30, column0: 0 },
  ]);
  assert.deepEqual(byName.get('inner'), [{ url, line0: 20, column0: 0 }]);
  assert.deepEqual(byName.get('leaf'), []);
});

test('a function reached through two stacks is searched through the callers of both, nearest first', () => {
  // The Array.from callback of a memoised function: one stack runs through
  // `memoized` (which stores the result), another lacks it (V8 inlined it
  // into the handler when that code was optimised). The stack met first
  // must not hide the storing caller.
  const url = 'file:///srv/app.js';
  const sites = profileSites({
    head: node('(root)', '', -1, -1, 0, [
      node('handler', url, 24, 0, 0, [node('from', '', -1, -1, 0, [node('', url, 20, 51, 4000)]), node('memoized', url, 9, 26, 0, [node('from', '', -1, -1, 0, [node('', url, 20, 51, 6000)])])]),
    ]),
    samples: [],
  });
  const callback = [...sites.values()].find((e) => e.site.line === 21);
  assert.equal(callback.bytes, 10000, 'one site for both stacks');
  assert.deepEqual(
    callback.callers.map((c) => [c.functionName, c.line0]),
    [
      ['handler', 24],
      ['memoized', 9],
    ],
  );
});
