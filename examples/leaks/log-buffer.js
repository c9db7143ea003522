'use strict';
// Leak: a buffered access logger that batches lines to write them in bulk,
// but only flushes on SIGTERM — and in production the process is killed with
// SIGKILL by the orchestrator, so it never flushes. The buffer grows with
// every request. Fix: flush on size and on a timer, with a hard cap.
const { runExample, listen, driveLoad } = require('../support/example-run');

const pending = [];
process.once('SIGTERM', () => {
  process.stdout.write(pending.join('\n'));
  pending.length = 0;
});

// Runs as the response's 'finish' listener (this = the response), as
// on-finished style loggers do.
function logRequest() {
  const res = this;
  const req = res.req;
  const startedAt = req.startedAt;
  const entry = JSON.stringify({
    time: new Date(startedAt).toISOString(),
    method: req.method,
    url: req.url,
    status: res.statusCode,
    ms: Date.now() - startedAt,
    userAgent: req.headers['user-agent'] ?? 'loadtest/1.0 (loopback; leakguard examples)',
    requestHeaders: req.headers,
    responseHeaders: res.getHeaders(),
    query: Object.fromEntries(new URL(req.url, 'http://localhost').searchParams),
    trace: { traceId: `${startedAt.toString(16)}${req.url.length}`, spans: [`GET ${req.url}`, 'db.query items', 'cache.get items', 'render json'] },
  });
  pending.push(entry); // LEAK: allocation
}

function handler(req, res) {
  req.startedAt = Date.now();
  res.once('finish', logRequest);
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'private, max-age=60');
  res.end('{"ok":true}\n');
}

runExample('log-buffer', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 1500, pathFor: (i) => `/api/v1/catalogue/items/${i}?fields=name,price,stock&lang=en&currency=EUR&session=${(i * 7919).toString(36)}`, stopped });
});
