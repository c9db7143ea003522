'use strict';
// Leak: a "seen ids" de-duplication set behind a tiny helper. The helper is
// small and hot, so V8 inlines it into the request handler and the sampling
// heap profiler charges its allocations to the handler: the report must look
// into the callee to find the line. Fix: a bounded set (or a TTL) for ids.
const { runExample, listen, driveLoad } = require('../support/example-run');

const seenMessages = new Map();

function markSeen(id, meta) {
  seenMessages.set(id, meta); // LEAK: allocation
}

function handler(req, res) {
  const id = req.url.slice('/messages/'.length);
  if (seenMessages.has(id)) {
    res.statusCode = 409;
    res.end('duplicate\n');
    return;
  }
  markSeen(id, { receivedAt: Date.now(), route: req.url, hops: Array.from({ length: 150 }, (_, hop) => ({ hop, at: Date.now() })) });
  res.statusCode = 202;
  res.end('accepted\n');
}

runExample('inlined-helper', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 1500, method: 'POST', pathFor: (i) => `/messages/${i}-${(i * 40503) % 65536}`, stopped });
});
