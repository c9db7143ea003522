'use strict';
// Control (must NOT be flagged): the product catalogue of
// lru-cache-filling.js, held in the application's own cache from the npm
// package lru-cache (11.5 on) rather than leakguard's LruCache. Under this
// traffic it is still filling when the run ends (up to 600 new entries a
// second, each ~1.5 kB, far below its max of 60 000). leakguard finds the
// cache on lru-cache's `lru-cache:metrics` diagnostics channel, lists it in
// report().caches and reports the growth as "cache filling", not as a leak.
// leakguard-example: expect=filling
const { LRUCache } = require('lru-cache');
const { runExample, listen, driveLoad } = require('../support/example-run');

const catalogue = new LRUCache({ max: 60_000 });

function product(id) {
  let p = catalogue.get(id);
  if (p === undefined) {
    p = { id, title: `Product ${id}`.padEnd(120, ' '), price: id % 977, variants: Array.from({ length: 6 }, (_, i) => ({ sku: `${id}-${i}`, stock: i })) };
    catalogue.set(id, p);
  }
  return p;
}

let nextNew = 0;

function handler(req, res) {
  const p = product(Number(req.url.slice('/products/'.length)));
  res.end(`${p.title.trim()}\n`);
}

runExample('app-lru-cache-filling', async ({ stopped }) => {
  const server = await listen(handler);
  // Two thirds of requests hit products already cached, one third a new one.
  await driveLoad(server, { ratePerSec: 1800, pathFor: (i) => `/products/${i % 3 === 0 ? nextNew++ : Math.floor(Math.random() * Math.max(1, nextNew))}`, stopped });
});
