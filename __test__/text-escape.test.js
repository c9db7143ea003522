'use strict';
// Control characters in user strings (event names, cache names, file and
// function names, error messages) never reach the terminal raw from
// leakguard's text output: the report the preload prints, the CLI's lines,
// leakguard's warnings.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { formatReport } = require('../lib/sampler/report-format');
const { formatStatusLine } = require('../lib/cli');
const { escapeText, escapeLines } = require('../lib/internal/text');

const ROOT = path.resolve(__dirname, '..');
const ESC = '\x1b';
// Anything a terminal acts on: C0 but newline, DEL, C1, bidi controls.
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/; // eslint-disable-line no-control-regex
const HOSTILE = `x${ESC}]0;owned${'\x07'}${ESC}[2J\r\nforged line\u202e\x9b31m`;

test('escapeText writes every control character as an escape, on one line', () => {
  assert.equal(escapeText(`a${ESC}[31mb\nc\td\u202ee\x9bf\x7f`), 'a\\x1b[31mb\\nc\\td\\u202ee\\x9bf\\x7f');
  assert.equal(escapeText('plain é € 😀'), 'plain é € 😀');
  assert.equal(escapeLines(`one\ntwo${ESC}\tthree`), 'one\ntwo\\x1b\tthree');
  assert.equal(escapeText(42), '42');
});

test('formatReport escapes control characters in event names, cache names, files and functions', () => {
  const site = { file: `/srv/Dropbox${HOSTILE}/app.js`, line: 4, column: 3, functionName: `handler${HOSTILE}`, nodeModules: false };
  const text = formatReport({
    leaking: true,
    heap: { usedBytes: 6e7, totalBytes: 8e7, growing: ['heap'] },
    filling: [{ description: `cache "${HOSTILE}" is filling` }],
    suspects: [
      { kind: 'listener', site, stack: [site], description: `listeners for "${HOSTILE}" at ${site.file}:4:3 grow` },
      {
        kind: 'allocation',
        description: `allocation at ${site.file}`,
        candidates: [{ text: `m.set(${HOSTILE})`, file: site.file, line: 1, column: 1, container: 'm', scopeText: HOSTILE }],
        allocationStack: [{ functionName: HOSTILE, file: site.file, line: 1, column: 2 }],
        alsoVia: [{ site, function: null, stack: [site], allocationStack: [{ functionName: `via${HOSTILE}`, file: site.file, line: 9, column: 2 }], bytes: 1e6, growth: 1e4, count: 2 }],
      },
    ],
  });
  assert.doesNotMatch(text, RAW);
  assert.ok(!text.includes('\nforged line'), 'a newline in a name forged a report line');
  assert.match(text, /listeners for "x\\x1b\]0;owned\\x07\\x1b\[2J\\r\\nforged line\\u202e\\x9b31m"/);
  assert.match(text, /at handlerx\\x1b/);
  assert.match(text, /also allocated through handlerx\\x1b.*\n {9}at viax\\x1b/);
});

test("the CLI's status line escapes the program's suspect and error text", () => {
  const line = formatStatusLine({ samples: 3, heapUsedBytes: 1e6, baselineBytes: 1e6, slopeBytesPerSec: 0, rssBytes: 1e7, leaking: true, suspects: 1, top: HOSTILE });
  assert.doesNotMatch(line, RAW);
  assert.ok(!line.includes('\n'));
  assert.doesNotMatch(formatStatusLine({ error: HOSTILE }), RAW);
});

test("a user callback's error text is escaped in leakguard's warning, its lines kept", () => {
  const script = `
    const { callUser } = require(${JSON.stringify(path.join(ROOT, 'lib/internal/errors.js'))});
    process.on('warning', (w) => console.log(JSON.stringify(w.message)));
    callUser('onLeak', () => { throw new Error(${JSON.stringify(HOSTILE)}); });
  `;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const message = JSON.parse(run.stdout.trim().split('\n')[0]);
  assert.match(message, /leakguard: onLeak threw: Error: x\\x1b\]0;owned/);
  assert.doesNotMatch(message, RAW);
  assert.doesNotMatch(run.stderr, RAW);
});
