'use strict';
// The option names validated in code and those documented in docs/ agree:
// every name an entry accepts (OPTION_NAMES, the lists its validator uses)
// appears in its reference page as `name`, and every row of an options table
// there (a table whose first column is "option" or "variable") names an
// option some entry of that page accepts.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { OPTION_NAMES } = require('../lib/internal/options');

const DOCS = path.join(__dirname, '..', 'docs');

/** Public entry (key of OPTION_NAMES) → its reference page. */
const PAGE = {
  LruCache: 'cache.md',
  'LruCache#set': 'cache.md',
  'LruCache#fetch': 'cache.md',
  'LruCache#peek': 'cache.md',
  'OffHeapCache#set': 'offheap.md',
  OffHeapCache: 'offheap.md',
  start: 'sampler.md',
  trackListeners: 'listeners.md',
  patchTimers: 'timers.md',
  'metrics.prometheus': 'export.md',
  'metrics.register': 'export.md',
  'metrics.otel': 'export.md',
  writeHtmlReport: 'export.md',
  checkLeaks: 'testing.md',
  register: 'register.md',
};

function read(page) {
  return fs.readFileSync(path.join(DOCS, page), 'utf8');
}

/** The first-column names of every table whose header's first cell is "option" or "variable". */
function tableNames(text) {
  const names = [];
  let inTable = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) {
      inTable = false;
      continue;
    }
    const first = line.split('|')[1].trim();
    if (/^(option|variable)$/i.test(first)) {
      inTable = true;
      continue;
    }
    if (!inTable || /^-+$/.test(first.replace(/[\s:]/g, ''))) continue;
    const m = /^`([A-Za-z_$][\w$]*)/.exec(first);
    assert.ok(m, `an options-table row starts with a \`name\`: ${line}`);
    names.push(m[1]);
  }
  return names;
}

test('every public entry with options has a reference page', () => {
  for (const entry of Object.keys(OPTION_NAMES)) {
    assert.ok(PAGE[entry], `a docs page is assigned to ${entry}`);
    assert.ok(fs.existsSync(path.join(DOCS, PAGE[entry])), `docs/${PAGE[entry]} exists`);
  }
});

test('every option name validated in code is documented in its page as `name`', () => {
  for (const [entry, names] of Object.entries(OPTION_NAMES)) {
    const text = read(PAGE[entry]);
    for (const name of names) {
      assert.ok(text.includes(`\`${name}\``), `docs/${PAGE[entry]} documents ${entry} option \`${name}\``);
    }
  }
});

test('every option documented in an options table is one that the code accepts', () => {
  const byPage = new Map();
  for (const [entry, page] of Object.entries(PAGE)) {
    if (!byPage.has(page)) byPage.set(page, new Set());
    for (const name of OPTION_NAMES[entry] ?? []) byPage.get(page).add(name);
  }
  for (const [page, accepted] of byPage) {
    for (const name of tableNames(read(page))) {
      assert.ok(accepted.has(name), `docs/${page} documents \`${name}\`, which no entry of that page accepts`);
    }
  }
});

test('the table reader finds the documented names (the check above is not vacuous)', () => {
  assert.ok(tableNames(read('sampler.md')).includes('intervalMs'));
  assert.ok(tableNames(read('register.md')).includes('LEAKGUARD_DISABLE'));
  assert.deepEqual(tableNames('| option | meaning |\n| --- | --- |\n| `made_up` | x |\n'), ['made_up']);
});
