'use strict';
// The timer site rows are bounded: generated code (vm scripts, templates
// with their own sourceURL) calling setTimeout from thousands of distinct
// lines keeps at most the bound of rows, the least recently active idle row
// making room, "other sites" counting the rest when every row is live; and
// unpatchTimers() gives the idle rows back.
const test = require('node:test');
const assert = require('node:assert/strict');
const vm = require('node:vm');
const { patchTimers, unpatchTimers, timers } = require('../lib/timers');
const testing = require('../lib/internal/unsafe-internals').unsafeExposeInternals('timers');
const { MAX_SITE_ROWS } = require('../lib/timers/sites');
const { statsTable, CELLS } = require('../lib/internal/stats');

const { ADDS, REMOVES } = CELLS.site;

/** The timer rows registered in the counter table now. */
function timerRows() {
  return statsTable()
    .snapshot()
    .filter((r) => r.meta.kind === 'timer');
}

/** Runs `code` as a script of its own named `name` (a line of generated code). */
function generated(name, code) {
  return vm.runInThisContext(code, { filename: name });
}

/** Patched, with `options` (SiteTable / registry tuning) for `body`; unpatched after. */
async function patchedWith(options, body) {
  patchTimers();
  const previous = testing.configure({ lazyMode: 'eager', ...options });
  try {
    await body();
  } finally {
    testing.configure(previous);
    unpatchTimers();
  }
}

test('3 000 generated scripts each creating and clearing a timer keep at most the bound of timer rows', async () => {
  await patchedWith({}, () => {
    for (let i = 0; i < 3000; i++) generated(`template-${i}.js`, 'clearTimeout(setTimeout(function tpl() {}, 1000));');
    const rows = timerRows();
    assert.ok(rows.length <= MAX_SITE_ROWS, `${rows.length} timer rows for 3 000 lines`);
    // The newest lines are the ones kept.
    assert.ok(rows.some((r) => r.meta.site && r.meta.site.file === 'template-2999.js'));
  });
});

test('past the bound with every row live, a new line is counted in the "other sites" row', async () => {
  const made = [];
  await patchedWith({ maxRows: 4 }, () => {
    for (let i = 0; i < 4; i++) made.push(generated(`live-${i}.js`, 'setInterval(function tick() {}, 60000).unref()'));
    made.push(generated('one-more.js', 'setInterval(function tick() {}, 60000).unref()'));
    const list = timers();
    for (const t of made) clearInterval(t);
    const other = list.find((r) => r.otherSites === true);
    assert.ok(other, JSON.stringify(list));
    assert.equal(other.site, null);
    assert.equal(other.kind, 'interval');
    assert.equal(other.live, 1);
    assert.equal(list.filter((r) => r.site !== null && r.site.file.startsWith('live-')).length, 4);
    assert.deepEqual(timers(), []);
  });
});

test('the least recently active idle row makes room; a row active since the last tick keeps its counts', async () => {
  await patchedWith({ maxRows: 4 }, () => {
    const hot = () => generated('hot.js', 'clearTimeout(setTimeout(function tpl() {}, 1000));');
    hot();
    for (let i = 1; i <= 3; i++) generated(`cold-${i}.js`, 'clearTimeout(setTimeout(function tpl() {}, 1000));');
    testing.registry().onTick(); // all four were active in that tick
    hot();
    testing.registry().onTick(); // hot.js counted a timer since the last tick: now the most recent
    generated('new-1.js', 'clearTimeout(setTimeout(function tpl() {}, 1000));');
    const files = timerRows().map((r) => r.meta.site && r.meta.site.file);
    assert.ok(files.includes('hot.js'), files.join(', '));
    assert.ok(!files.includes('cold-1.js'), `the least recently active row went: ${files.join(', ')}`);
    assert.ok(files.includes('new-1.js'));
    const hotRow = timerRows().find((r) => r.meta.site && r.meta.site.file === 'hot.js');
    assert.equal(hotRow.cells[ADDS], 2, 'the active row was kept, not made again');
  });
});

test('unpatchTimers() gives back every timer row without a live timer; a live one stays until it is idle', async () => {
  let kept;
  await patchedWith({}, () => {
    for (let i = 0; i < 50; i++) generated(`unpatch-${i}.js`, 'clearTimeout(setTimeout(function tpl() {}, 1000));');
    kept = generated('kept.js', 'setInterval(function tick() {}, 60000).unref()');
    assert.ok(timerRows().length >= 51);
  });
  const rows = timerRows();
  if (rows.length !== 1) clearInterval(kept);
  assert.deepEqual(
    rows.map((r) => r.meta.site && r.meta.site.file),
    ['kept.js'],
  );
  clearInterval(kept);
  assert.deepEqual(timers(), []);
  patchTimers();
  unpatchTimers();
  assert.deepEqual(timerRows(), []);
});

test('a fired one-shot whose row was given back is counted again when refresh() re-arms it', async () => {
  await patchedWith({ maxRows: 2 }, async () => {
    const t = generated('fired.js', 'setTimeout(function fired() {}, 1)');
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let i = 0; i < 3; i++) generated(`evict-${i}.js`, 'clearTimeout(setTimeout(function tpl() {}, 1000));');
    assert.ok(!timerRows().some((r) => r.meta.site && r.meta.site.file === 'fired.js'), 'its row was given back');
    t.refresh();
    const live = timers();
    assert.equal(live.reduce((n, r) => n + r.live, 0), 1, JSON.stringify(live));
    clearTimeout(t);
    assert.deepEqual(timers(), []);
    for (const r of timerRows()) assert.ok(r.cells[ADDS] >= r.cells[REMOVES], JSON.stringify(r));
  });
});
