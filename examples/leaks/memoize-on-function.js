'use strict';
// Leak: memoisation on the function object itself (`compute[term] ||= ...`).
// It looks free — no cache variable in sight — but every distinct search term
// ever seen becomes a property of `compute`, for the life of the process.
// Search terms are user input: unbounded. Fix: a bounded LruCache.
const { runExample, listen, driveLoad } = require('../support/example-run');

function compute(term) {
  return (compute[term] ||= { // LEAK: allocation
    term,
    postings: Array(300).fill(term.length),
    snippet: `…${term}… `.repeat(30),
  });
}

function handler(req, res) {
  const term = decodeURIComponent(req.url.slice('/search?q='.length));
  const result = compute(term);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ term: result.term, hits: result.postings.length }));
}

runExample('memoize-on-function', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 1500, pathFor: () => `/search?q=${encodeURIComponent(`red shoes ${Math.floor(Math.random() * 1e9)}`)}`, stopped });
});
