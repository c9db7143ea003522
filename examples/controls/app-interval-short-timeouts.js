'use strict';
// Control (must NOT be flagged): one app-wide interval (a metrics flush every
// 250 ms) and a short per-request deadline timeout, cleared when the response
// finishes or fired when it times out. Thousands of timers are created; only
// a handful are alive at any moment.
const { runExample, listen, driveLoad } = require('../support/example-run');

const metrics = { requests: 0, timeouts: 0, flushed: 0 };
const flushMetrics = setInterval(() => {
  metrics.flushed += metrics.requests;
  metrics.requests = 0;
}, 250);
flushMetrics.unref();

function handler(req, res) {
  metrics.requests++;
  const deadline = setTimeout(() => {
    metrics.timeouts++;
    res.statusCode = 504;
    res.end('timeout\n');
  }, 2_000);
  res.on('finish', () => clearTimeout(deadline));
  // Every tenth request waits a little on a "downstream call" (its own short timeout).
  if (metrics.requests % 10 === 0) setTimeout(() => res.end('slow ok\n'), 20);
  else res.end('ok\n');
}

runExample('app-interval-short-timeouts', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 1000, pathFor: (i) => `/api/items/${i}`, stopped });
});
