'use strict';
// The JS side of the shared counter table (src/stats/). A registered thing (a
// cache, a timer call site, a listener call site) acquires a row: an 8-cell
// Float64Array view into Rust-owned memory. Hot paths write counters with plain
// stores (`cells[HITS]++`, ~1 ns); the Rust sampler thread reads them without
// calling into JS. Crossing into Rust happens only on acquire and release.
//
// One table per JavaScript environment (this module is instantiated once per
// thread), so a worker's rows die with the worker.

const native = require('./native');

/** Cell indexes per kind; must agree with src/stats/layout.rs (tested). */
const CELLS = Object.freeze({
  cache: Object.freeze({
    HITS: 0,
    MISSES: 1,
    SETS: 2,
    EVICTIONS: 3,
    EXPIRATIONS: 4,
    SIZE: 5,
    CALCULATED_SIZE: 6,
    DELETES: 7,
  }),
  site: Object.freeze({ ADDS: 0, REMOVES: 1, EMITTERS: 2, OLDEST_MS: 3 }),
});

const ROW_CELLS = 8;
const PAGE_ROWS = 256;
const KINDS = new Set(['cache', 'timer', 'listener']);

class StatsTable {
  constructor() {
    this.registry = new native.NativeRegistry();
    this.pages = [];
    this.free = [];
    this.next = 0;
  }

  /**
   * Registers a row described by `meta` ({ kind, name?, site?, stack?, max?,
   * maxSize?, detail? }) and returns { id, cells } with zeroed cells.
   */
  acquire(meta) {
    if (!KINDS.has(meta.kind)) throw new TypeError(`leakguard: unknown row kind ${meta.kind}`);
    const id = this.free.length > 0 ? this.free.pop() : this.next++;
    const page = Math.floor(id / PAGE_ROWS);
    while (this.pages.length <= page) this.pages.push(this.registry.addPage());
    const start = (id % PAGE_ROWS) * ROW_CELLS;
    const cells = this.pages[page].subarray(start, start + ROW_CELLS);
    this.registry.register(id, JSON.stringify(meta));
    return { id, cells };
  }

  /** Gives row `id` back; its cells must no longer be written. */
  release(id) {
    if (this.registry.release(id)) this.free.push(id);
  }

  /** Every registered row with its cells (tests, debugging, reports). */
  snapshot() {
    return JSON.parse(this.registry.snapshotJson());
  }
}

let table;
/** The counter table of this thread, created on first use. */
function statsTable() {
  if (table === undefined) table = new StatsTable();
  return table;
}

module.exports = { CELLS, ROW_CELLS, PAGE_ROWS, statsTable };
