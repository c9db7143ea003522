'use strict';
// Leak: memoisation in a closure. `memoize(fn)` keeps a plain object per
// wrapped function and never forgets an argument; wrapped around a price
// quote keyed by (customer, basket), every distinct basket stays forever.
// Fix: a bounded LruCache inside memoize, or no memoisation for unbounded keys.
const { runExample, listen, driveLoad } = require('../support/example-run');

function memoize(fn) {
  const results = {};
  return function memoized(key) {
    if (key in results) return results[key];
    const value = fn(key);
    results[key] = value; // LEAK: allocation
    return value;
  };
}

const quote = memoize((key) => {
  const [customer, basket] = key.split('|');
  const lines = basket.split(',').map((sku, i) => ({ sku, qty: (i % 3) + 1, unit: 9.99 + i, description: `Item ${sku} for ${customer}` }));
  const priceHistory = Array.from({ length: 150 }, (_, day) => ({ day, price: 9.99 + (day % 7) }));
  return { customer, lines, priceHistory, total: lines.reduce((t, l) => t + l.qty * l.unit, 0) };
});

function handler(req, res) {
  const key = decodeURIComponent(req.url.slice('/quote/'.length));
  const q = quote(key);
  res.end(`${q.total.toFixed(2)}\n`);
}

runExample('memoize-closure', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 800, pathFor: (i) => `/quote/${encodeURIComponent(`c${i % 300}|${[i, i * 7, i * 13].map((n) => `SKU${n % 100000}`).join(',')}`)}`, stopped });
});
