'use strict';
// Leak: a metrics "label set" is interned per request in a global Map keyed by
// the full URL (query string included), so every distinct URL adds an entry
// forever, each with its latency buckets (~8 kB). The allocating helper is tiny and hot, so V8 inlines it into its
// caller: the sampling heap profiler then sees the caller's frame, and the
// suspect must still lead to the helper. Fix: key by route, not URL.
const { runExample, listen, driveLoad } = require('../support/example-run');

const labelSets = new Map();

function makeLabels(url, method) {
  return { url, method, route: url.split('?')[0], buckets: new Array(1024).fill(0) }; // LEAK: allocation
}

function observe(req) {
  let labels = labelSets.get(req.url);
  if (labels === undefined) {
    labels = makeLabels(req.url, req.method);
    labelSets.set(req.url, labels);
  }
  return labels;
}

function handler(req, res) {
  const labels = observe(req);
  res.end(`${labels.route}\n`);
}

runExample('inlined-helper', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 1500, pathFor: (i) => `/search?q=${'term'.repeat(8)}${i}`, stopped });
});
