'use strict';
// Leak: memoisation on the function object itself (`compute[term] ||= ...`,
// written out below as a check and an assignment).
// It looks free — no cache variable in sight — but every distinct search term
// ever seen becomes a property of `compute`, for the life of the process.
// Search terms are user input: unbounded. Fix: a bounded LruCache.
const { runExample, listen, driveLoad } = require('../support/example-run');

const STOP_WORDS = new Set(['a', 'an', 'and', 'for', 'in', 'of', 'the', 'to', 'with']);

// The scoring vector of a query term: its tokens, stems, trigrams and a
// weight per trigram, as a small search service computes before ranking.
function compute(term) {
  if (compute[term] !== undefined) return compute[term];
  const tokens = [];
  for (const raw of term.toLowerCase().split(/[^a-z0-9]+/)) {
    if (raw === '' || STOP_WORDS.has(raw)) continue;
    tokens.push(raw.endsWith('s') && raw.length > 3 ? raw.slice(0, -1) : raw);
  }
  const trigrams = [];
  const weights = {};
  for (const token of tokens) {
    const padded = `  ${token} `;
    for (let i = 0; i + 3 <= padded.length; i++) {
      const gram = padded.slice(i, i + 3);
      trigrams.push(gram);
      weights[gram] = (weights[gram] ?? 0) + 1 / tokens.length;
    }
  }
  const postings = [];
  for (let i = 0; i < 200; i++) postings.push((i * 31 + term.length) % 997);
  compute[term] = { term, tokens, trigrams, weights, postings, snippet: `…${term}… `.repeat(20) }; // LEAK: allocation
  return compute[term];
}

function handler(req, res) {
  const term = decodeURIComponent(req.url.slice('/search?q='.length));
  const result = compute(term);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ term: result.term, tokens: result.tokens, hits: result.postings.length }));
}

runExample('memoize-on-function', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 400, pathFor: () => `/search?q=${encodeURIComponent(`red shoes ${Math.floor(Math.random() * 1e9)}`)}`, stopped });
});
