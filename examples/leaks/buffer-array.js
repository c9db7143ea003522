'use strict';
// Leak: uploaded files are kept for an "audit trail" in a global array of
// Buffers. Buffer contents live outside the V8 heap: heap figures barely move
// while RSS and external memory grow. Fix: write the audit copy to storage (or
// keep a bounded window, e.g. an OffHeapCache with maxSize).
const { runExample, listen, driveLoad } = require('../support/example-run');

const auditTrail = [];

// Stands in for a malware scanner: answers on a later turn of the event loop.
const scanner = { scan: (chunks) => new Promise((resolve) => setImmediate(resolve, chunks.length > 0)) };

async function keepForAudit(chunks, name) {
  if (!(await scanner.scan(chunks))) return 0;
  const copy = Buffer.concat(chunks); // LEAK: buffer
  auditTrail.push({ name, receivedAt: Date.now(), bytes: copy });
  return copy.length;
}

function handler(req, res) {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    const size = await keepForAudit(chunks, req.url);
    res.end(`stored ${size} bytes\n`);
  });
}

runExample('buffer-array', async ({ stopped }) => {
  const server = await listen(handler);
  const upload = Buffer.alloc(32 * 1024, 'x');
  await driveLoad(server, { ratePerSec: 100, method: 'POST', pathFor: (i) => `/uploads/scan-${i}.pdf`, body: upload, concurrency: 4, stopped });
});
