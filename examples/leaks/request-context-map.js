'use strict';
// Leak: per-request context stored in a global Map (so that deep code can look
// it up by request id) and never deleted: the cleanup runs only on the error
// path. Fix: delete on 'close' (or use AsyncLocalStorage, which needs no map).
const { randomUUID } = require('node:crypto');
const { runExample, listen, driveLoad } = require('../support/example-run');

const contexts = new Map();

function attachContext(req) {
  const requestId = randomUUID();
  const spans = [];
  for (let i = 0; i < 8; i++) spans.push({ name: `span-${i}`, startedAt: Date.now(), attributes: { route: req.url, step: i } });
  const context = {
    requestId,
    startedAt: Date.now(),
    headers: { ...req.headers },
    route: req.url,
    spans,
    baggage: `tenant=acme;route=${req.url};`.repeat(20),
  };
  contexts.set(requestId, context); // LEAK: allocation
  return context;
}

function handler(req, res) {
  const context = attachContext(req);
  res.on('error', () => contexts.delete(context.requestId)); // only the error path cleans up
  res.setHeader('x-request-id', context.requestId);
  res.end(`ok ${context.spans.length}\n`);
}

runExample('request-context-map', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 1500, pathFor: (i) => `/orders/${i % 5000}`, stopped });
});
