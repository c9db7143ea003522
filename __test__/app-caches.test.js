'use strict';
// The application's own lru-caches (lib/internal/app-caches.js): found on
// lru-cache's `lru-cache:metrics` channel while subscribed, listed in
// report().caches with their size read from the cache, given a bounded row
// in the counter table, never kept alive by being listed, and no subscriber
// left behind once stopped.
require('node:v8').setFlagsFromString('--expose-gc');
const gc = require('node:vm').runInNewContext('gc');
const test = require('node:test');
const assert = require('node:assert/strict');
const dc = require('node:diagnostics_channel');
const { LRUCache } = require('lru-cache');
const appCaches = require('../lib/internal/app-caches');
const { liveCaches } = require('../lib/internal/live');
const { statsTable } = require('../lib/internal/stats');

const appRows = () => liveCaches().filter((c) => c.kind === 'lru-cache');

test('a cache used while subscribed is listed with its size, bound and first line', () => {
  const cache = new LRUCache({ max: 100 });
  appCaches.subscribe();
  try {
    cache.set('a', 1); // the line that first touches it
    cache.get('a');
    cache.get('missing');
  } finally {
    appCaches.unsubscribe();
  }
  for (let i = 0; i < 10; i++) cache.set(i, i); // unseen: the size is read from the cache
  const row = appRows().find((c) => c.max === 100);
  assert.ok(row, JSON.stringify(appRows()));
  assert.equal(row.size, 11);
  assert.equal(row.hits, 1);
  assert.equal(row.misses, 1);
  assert.equal(row.evictions, null);
  assert.equal(row.site.file, __filename);
  appCaches.refresh();
  const tableRow = statsTable()
    .snapshot()
    .find((r) => r.meta && r.meta.detail === 'lru-cache' && r.meta.max === 100);
  assert.ok(tableRow, 'the cache has a row in the counter table');
});

test('being listed never keeps a cache alive', async () => {
  // Made and dropped inside a function: nothing here holds it afterwards.
  const ref = (() => {
    const cache = new LRUCache({ max: 7 });
    appCaches.subscribe();
    cache.set('k', 'v');
    appCaches.unsubscribe();
    return new WeakRef(cache);
  })();
  assert.equal(appRows().filter((c) => c.max === 7).length, 1);
  for (let i = 0; i < 5 && ref.deref() !== undefined; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  assert.equal(ref.deref(), undefined, 'the cache was collected');
  assert.equal(appRows().filter((c) => c.max === 7).length, 0);
});

test('the duty cycle subscribes one beat in DUTY_PERIOD while rising, and stop() leaves no subscriber', () => {
  let on = 0;
  for (let i = 0; i < appCaches.DUTY_PERIOD * 4; i++) {
    appCaches.beat(true);
    if (dc.channel(appCaches.CHANNEL).hasSubscribers) on++;
  }
  assert.equal(on, 4);
  appCaches.stop();
  assert.equal(dc.channel(appCaches.CHANNEL).hasSubscribers, false);
});

test('a message of another shape is ignored without throwing', () => {
  for (const m of [null, 1, {}, { cache: 'x' }, { cache: null, op: 'get' }]) assert.doesNotThrow(() => appCaches.onMessage(m));
});

test('a hold keeps the channel subscribed through heartbeats that would turn it off, and its release restores the duty cycle', () => {
  const channel = dc.channel(appCaches.CHANNEL);
  appCaches.stop();
  assert.equal(channel.hasSubscribers, false);
  const release = appCaches.hold();
  assert.equal(channel.hasSubscribers, true);
  appCaches.beat(true); // beat 0: on
  appCaches.beat(true); // beat 1: off by the duty cycle, kept on by the hold
  assert.equal(channel.hasSubscribers, true);
  release();
  assert.equal(channel.hasSubscribers, false, 'released between duty beats: off');
  release(); // a second call changes nothing
  const again = appCaches.hold();
  appCaches.stop();
  assert.equal(channel.hasSubscribers, true, 'stop() leaves a held channel on');
  again();
  assert.equal(channel.hasSubscribers, false);
});
