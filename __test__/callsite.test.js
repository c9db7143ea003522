'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const fs = require('node:fs');
const { parseFrame, parseStack, userFrames, captureSite, formatSite } = require('../lib/internal/callsite');

test('parses the frame shapes V8 prints', () => {
  assert.deepEqual(parseFrame('    at Server.handle (/srv/app.js:10:5)'), {
    file: '/srv/app.js', line: 10, column: 5, functionName: 'Server.handle', nodeModules: false, internal: false, own: false,
  });
  assert.equal(parseFrame('    at /srv/app.js:3:1').functionName, null);
  assert.equal(parseFrame('    at async run (/srv/app.js:3:1)').functionName, 'run');
  assert.equal(parseFrame('    at go (file:///srv/app%20x.mjs:2:9)').file, '/srv/app x.mjs');
  assert.equal(parseFrame('    at listOnTimeout (node:internal/timers:573:17)').internal, true);
  assert.equal(parseFrame('    at x (/srv/node_modules/ws/lib/a.js:1:1)').nodeModules, true);
  assert.equal(parseFrame('    at eval (eval at <anonymous> (/srv/a.js:1:1), <anonymous>:1:1)'), null);
  assert.equal(parseFrame('not a frame'), null);
});

test('code without a file (node -e, a REPL line, a vm script) is user code; the -e wrapper is Node\'s', async () => {
  for (const location of ['[eval]', '[stdin]', 'REPL3', 'evalmachine.<anonymous>', 'webpack-internal:///./src/app.js']) {
    const frame = parseFrame(`    at handle (${location}:4:7)`);
    assert.equal(frame.file, location);
    assert.equal(frame.internal, false, location);
  }
  assert.equal(parseFrame('    at [eval]-wrapper:6:22').internal, true);
  assert.equal(parseFrame('    at node:events:514:28').internal, true);
  // End to end: a listener leak in `node -e` code is named at its [eval] line.
  const { spawnSync } = require('node:child_process');
  const src = [
    "const { EventEmitter } = require('node:events');",
    "const { trackListeners, listeners } = require(process.argv[1]);",
    'trackListeners();',
    'const bus = new EventEmitter();',
    'for (let i = 0; i < 5; i++) bus.on("cfg", () => i);',
    'console.log(JSON.stringify(listeners().map((r) => r.site)));',
  ].join('\n');
  const out = spawnSync(process.execPath, ['-e', src, path.resolve(__dirname, '..')], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const sites = JSON.parse(out.stdout);
  assert.ok(sites.some((s) => s && s.file === '[eval]' && s.line === 5), out.stdout);
});

test('parseStack skips the message lines', () => {
  const frames = parseStack('Error: boom\n  with: two lines\n    at f (/a.js:1:2)\n    at g (/b.js:3:4)');
  assert.deepEqual(frames.map((f) => f.file), ['/a.js', '/b.js']);
});

function lineOf(marker) {
  return fs.readFileSync(__filename, 'utf8').split('\n').findIndex((l) => l.includes(marker) && !l.includes('lineOf')) + 1;
}

test('captureSite names the calling line of user code, 1-based, absolute', () => {
  function register() {
    return captureSite(register);
  }
  const { site, stack } = register(); // MARK: captured here
  const line = lineOf('MARK: captured here');
  assert.equal(site.file, __filename);
  assert.equal(site.line, line);
  assert.ok(site.column >= 1);
  assert.ok(path.isAbsolute(site.file));
  assert.ok(stack.length >= 1);
  assert.match(formatSite(site), new RegExp(`callsite\\.test\\.js:${line}:\\d+$`));
});

test("a frame in any file of leakguard's lib/ (every subfolder) is leakguard's own, never the user's site", () => {
  // The package root as this test knows it, independent of how callsite.js
  // computes its own: moving lib/ into subfolders must not turn its frames
  // into "user" frames.
  const lib = path.resolve(__dirname, '..', 'lib');
  const files = fs.readdirSync(lib, { recursive: true }).filter((f) => f.endsWith('.js')).map((f) => path.join(lib, f));
  assert.ok(files.some((f) => path.dirname(f) !== lib), 'lib/ has subfolders (else this shows nothing)');
  for (const file of files) {
    const frame = parseFrame(`    at Registry.method (${file}:12:3)`);
    assert.equal(frame.own, true, `${path.relative(lib, file)} is leakguard's own`);
    assert.deepEqual(userFrames([frame]), [], `${path.relative(lib, file)} is never a user frame`);
  }
  const user = parseFrame(`    at main (${path.join(__dirname, 'app.js')}:1:1)`);
  assert.equal(user.own, false, "leakguard's tests are user code");
});

test('a site captured through leakguard (a patched setTimeout) names the user line, not lib/', () => {
  const { patchTimers, unpatchTimers, timers } = require('../lib/timers');
  patchTimers();
  try {
    const t = setTimeout(() => 'site', 60_000); // MARK: timer here
    const row = timers().find((r) => r.site !== null && r.site.file === __filename);
    clearTimeout(t);
    assert.ok(row, `a row at this file: ${JSON.stringify(timers().map((r) => r.site))}`);
    assert.equal(row.site.line, lineOf('MARK: timer here'));
    for (const frame of row.stack) assert.ok(!frame.file.startsWith(path.resolve(__dirname, '..', 'lib')), frame.file);
  } finally {
    unpatchTimers();
  }
});

test('captureSite and callerLocation tolerate a frozen Error (no throw; the site is still found)', () => {
  const { callerLocation } = require('../lib/internal/callsite');
  const { execFileSync } = require('node:child_process');
  const os = require('node:os');
  // In a child (freezing Error is for good), from a file (an -e script has no user frame).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-callsite-'));
  const file = path.join(dir, 'frozen.js');
  fs.writeFileSync(file, `
    'use strict';
    const { captureSite, callerLocation } = require(${JSON.stringify(path.resolve(__dirname, '..', 'lib', 'internal', 'callsite.js'))});
    Object.freeze(Error);
    function f() { return [captureSite(f), callerLocation(f)]; }
    const [site, loc] = f();
    process.stdout.write(JSON.stringify({ line: site && site.site.line, loc }));
  `);
  let out;
  try {
    out = JSON.parse(execFileSync(process.execPath, [file], { encoding: 'utf8' }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(out.line, 6);
  assert.match(out.loc, /frozen\.js:6:\d+$/);
  assert.equal(typeof callerLocation(() => {}), 'string');
});

test('a path holding parentheses keeps its frame (text parsing: "Dropbox (Personal)", "C:\\Program Files (x86)")', () => {
  const posix = parseFrame('    at Server.handle (/home/u/Dropbox (Personal)/srv/app.js:10:5)');
  assert.equal(posix.file, '/home/u/Dropbox (Personal)/srv/app.js');
  assert.equal(posix.functionName, 'Server.handle');
  assert.deepEqual([posix.line, posix.column], [10, 5]);
  const bare = parseFrame('    at /home/u/Dropbox (Personal)/srv/app.js:3:1');
  assert.equal(bare.file, '/home/u/Dropbox (Personal)/srv/app.js');
  assert.equal(bare.functionName, null);
  const win = parseFrame('    at async main (C:\\Program Files (x86)\\app\\index.js:7:9)');
  assert.equal(win.file, 'C:\\Program Files (x86)\\app\\index.js');
  assert.equal(win.functionName, 'main');
  assert.equal(parseFrame('    at eval (eval at <anonymous> (/a (b)/c.js:1:1), <anonymous>:1:1)'), null);
});

test('sites in a folder whose name holds " (" are named: captureSite, a patched timer, a tracked listener', () => {
  const { execFileSync } = require('node:child_process');
  const os = require('node:os');
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-callsite-')), 'Dropbox (Personal)');
  fs.mkdirSync(dir);
  const file = path.join(dir, 'app.js');
  const root = path.resolve(__dirname, '..');
  fs.writeFileSync(
    file,
    [
      `const { captureSite } = require(${JSON.stringify(path.join(root, 'lib', 'internal', 'callsite.js'))});`,
      `const lg = require(${JSON.stringify(root)});`,
      'lg.patchTimers(); lg.trackListeners();',
      'function here() { return captureSite(here); }',
      'const captured = here();',
      "const t = setTimeout(() => 'x', 60000);",
      "const bus = new (require('node:events'))(); bus.on('tick', () => 'y');",
      "const timer = lg.timers().find((r) => r.delay === 60000);",
      "const listener = lg.listeners().find((r) => r.event === 'tick');",
      'clearTimeout(t); lg.unpatchTimers(); lg.untrackListeners();',
      'process.stdout.write(JSON.stringify({ site: captured && captured.site, timer: timer && timer.site, listener: listener && listener.site }));',
    ].join('\n'),
  );
  let out;
  try {
    out = JSON.parse(execFileSync(process.execPath, [file], { encoding: 'utf8' }));
  } finally {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
  assert.equal(out.site && out.site.file, file);
  assert.equal(out.site.line, 5);
  assert.equal(out.timer && out.timer.file, file, 'the timer row is at the file');
  assert.equal(out.timer.line, 6);
  assert.equal(out.listener && out.listener.file, file, 'the listener row is at the file');
  assert.equal(out.listener.line, 7);
});

test("a user's Error.prepareStackTrace (source-map-support) is neither called nor replaced by a capture, nor Error.stackTraceLimit", () => {
  const { stackFrames, callerLocation } = require('../lib/internal/callsite');
  const savedPrepare = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  let calls = 0;
  const userPrepare = (err, sites) => {
    calls++;
    return `user-formatted ${sites.length}`;
  };
  Error.prepareStackTrace = userPrepare;
  Error.stackTraceLimit = 3;
  try {
    function capture() {
      return [captureSite(capture), stackFrames(capture, 20), callerLocation(capture)];
    }
    const [captured, frames, location] = capture(); // MARK: prepare capture
    assert.equal(calls, 0, "the user's formatter was called");
    assert.equal(Error.prepareStackTrace, userPrepare);
    assert.equal(Error.stackTraceLimit, 3);
    assert.equal(captured.site.file, __filename);
    assert.equal(captured.site.line, lineOf('MARK: prepare capture'));
    assert.ok(frames.length > 3, 'the capture used its own limit');
    assert.match(location, /callsite\.test\.js:\d+:\d+$/);
    assert.equal(new Error('x').stack, 'user-formatted 3', "the user's formatter still formats the user's errors");
  } finally {
    Error.prepareStackTrace = savedPrepare;
    Error.stackTraceLimit = savedLimit;
  }
});
