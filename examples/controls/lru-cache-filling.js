'use strict';
// Control (must NOT be flagged): a product catalogue warming into leakguard's
// LruCache({ max: 60000 }) over minutes: under this traffic it is still
// filling when the run ends (up to 600 new entries a second, ~15 000 after
// 26 s, each ~1.5 kB). Growth that a bounded cache below its bound explains is reported as
// "cache filling", not as a leak.
const { LruCache } = require('leakguard');
const { runExample, listen, driveLoad } = require('../support/example-run');

const catalogue = new LruCache({ max: 60_000, name: 'catalogue' });

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

runExample('lru-cache-filling', async ({ stopped }) => {
  const server = await listen(handler);
  // Two thirds of requests hit products already cached, one third a new one.
  await driveLoad(server, { ratePerSec: 1800, pathFor: (i) => `/products/${i % 3 === 0 ? nextNew++ : Math.floor(Math.random() * Math.max(1, nextNew))}`, stopped });
});
