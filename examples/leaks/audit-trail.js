'use strict';
// Leak: an audit trail kept as one ever-growing string, appended to with
// `+=` and "uploaded at the end of the day" — which, in a process that runs
// for weeks, never comes. Fix: write lines to a stream (or a bounded ring)
// as they happen.
const { runExample, listen, driveLoad } = require('../support/example-run');

let auditTrail = '';
// "Uploaded at the end of the day": on a signal nobody sends.
process.once('SIGUSR2', () => {
  process.stdout.write(auditTrail);
  auditTrail = '';
});

function audit(req, status) {
  // One JSON line per request (JSON.stringify makes a flat string, a few kB with the headers and tags).
  const line = JSON.stringify({
    time: new Date().toISOString(),
    method: req.method,
    url: req.url,
    status,
    headers: req.headers,
    tags: Array.from({ length: 80 }, (_, i) => `tag-${i}:${req.url}`),
  });
  auditTrail += `${line}\n`; // LEAK: allocation
}

function handler(req, res) {
  res.end('ok\n');
  audit(req, res.statusCode);
}

runExample('audit-trail', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 1500, pathFor: (i) => `/accounts/${i}/statement?month=2026-${(i % 12) + 1}`, stopped });
});
