'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const fs = require('node:fs');
const { parseFrame, parseStack, captureSite, formatSite } = require('../lib/internal/callsite');

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
