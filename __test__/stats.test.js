'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const native = require('../lib/internal/native');
const { CELLS, statsTable, PAGE_ROWS } = require('../lib/internal/stats');

test('the JS cell layout agrees with the Rust one', () => {
  const rust = JSON.parse(native.statsLayoutJson());
  const js = {};
  for (const [kind, cells] of Object.entries(CELLS)) {
    for (const [name, index] of Object.entries(cells)) js[`${kind}.${name}`] = index;
  }
  assert.deepEqual(js, rust);
});

test('rows are zeroed on acquire, readable by Rust, and reused after release', () => {
  const table = statsTable();
  const a = table.acquire({ kind: 'cache', name: 'users', max: 10 });
  a.cells[CELLS.cache.HITS] += 3;
  const row = table.snapshot().find((r) => r.id === a.id);
  assert.equal(row.meta.name, 'users');
  assert.equal(row.meta.max, 10);
  assert.equal(row.cells[CELLS.cache.HITS], 3);
  table.release(a.id);
  assert.equal(table.snapshot().find((r) => r.id === a.id), undefined);
  const b = table.acquire({ kind: 'timer' });
  assert.equal(b.id, a.id, 'a released row is reused');
  assert.equal(b.cells[CELLS.cache.HITS], 0, 'and starts from zero');
  table.release(b.id);
});

test('the table grows past one page', () => {
  const table = statsTable();
  const rows = [];
  for (let i = 0; i < PAGE_ROWS + 3; i++) rows.push(table.acquire({ kind: 'listener' }));
  rows.at(-1).cells[0] = 99;
  assert.equal(table.snapshot().find((r) => r.id === rows.at(-1).id).cells[0], 99);
  for (const r of rows) table.release(r.id);
  assert.equal(table.snapshot().length, 0);
});

test('a bad row description is refused', () => {
  assert.throws(() => statsTable().acquire({ kind: 'nope' }), TypeError);
});
