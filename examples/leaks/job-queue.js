'use strict';
// Leak: an unbounded in-memory job queue. Producers (POST /jobs) enqueue far
// faster than the single worker drains it; nothing pushes back, so the queue
// grows until the process dies. Fix: bound the queue and answer 503 (or use a
// real broker) when it is full.
const { runExample, listen, driveLoad } = require('../support/example-run');

const queue = [];

// Stands in for a shared id sequence (a Redis INCR): answers on a later turn.
let lastJobId = 0;
const sequence = { next: () => new Promise((resolve) => setImmediate(resolve, ++lastJobId)) };

async function enqueue(kind, url) {
  const id = await sequence.next();
  const job = {
    id,
    kind,
    createdAt: Date.now(),
    attempts: 0,
    payload: { url, recipients: Array(40).fill(`ops+${kind}@example.com`), note: `resize ${url} `.repeat(60) },
  };
  queue.push(job); // LEAK: allocation
  return job.id;
}

async function handler(req, res) {
  const id = await enqueue('thumbnail', req.url);
  res.statusCode = 202;
  res.end(`queued ${id}\n`);
}

runExample('job-queue', async ({ stopped }) => {
  const server = await listen(handler);
  // The worker: one thumbnail every 50 ms, far slower than the producers.
  const worker = setInterval(() => queue.shift(), 50);
  await driveLoad(server, { ratePerSec: 1500, method: 'POST', pathFor: (i) => `/jobs/img-${i}.png`, stopped });
  clearInterval(worker);
});
