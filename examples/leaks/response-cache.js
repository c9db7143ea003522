'use strict';
// Leak: an HTTP response cache keyed by the full URL, query string included.
// It was meant for a handful of catalogue pages, but every distinct query
// (tracking parameters, pagination, search terms) is a new key, and nothing
// ever evicts. The handler is an anonymous function: the profile can only
// name "(anonymous)", the line that grows the cache is the fix.
// Fix: a bounded LruCache keyed by the normalised route.
const { runExample, listen, driveLoad } = require('../support/example-run');

const responseCache = new Map();

runExample('response-cache', async ({ stopped }) => {
  const server = await listen((req, res) => {
    let body = responseCache.get(req.url);
    if (body === undefined) {
      const items = [];
      for (let i = 0; i < 80; i++) items.push({ sku: `SKU-${i}`, name: `Catalogue item ${i}`.padEnd(48, ' '), price: 10 + i });
      body = JSON.stringify({ url: req.url, generatedAt: new Date().toISOString(), items });
      responseCache.set(req.url, body); // LEAK: allocation
    }
    res.setHeader('content-type', 'application/json');
    res.end(body);
  });
  await driveLoad(server, { ratePerSec: 800, pathFor: (i) => `/catalogue?page=${i % 40}&utm_source=mail&session=${(i * 2654435761) % 1e9}`, stopped });
});
