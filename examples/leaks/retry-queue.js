'use strict';
// Leak: a retry queue on a class instance. Deliveries that fail are queued
// for a retry that only runs when the downstream comes back "healthy" — and a
// health check that never succeeds means the queue only grows.
// Fix: bound the queue (drop or dead-letter the oldest) and give up after N tries.
const { runExample, listen, driveLoad } = require('../support/example-run');

class Deliverer {
  constructor() {
    this.retries = [];
    this.healthy = false; // the downstream never recovers in this example
  }

  deliver(event) {
    const attempt = { event, firstTriedAt: Date.now(), error: `ECONNREFUSED 10.0.0.7:443 while posting ${event.type}`, tries: Array.from({ length: 150 }, (_, n) => ({ n, at: Date.now() })) };
    if (!this.healthy) {
      this.retries.push(attempt); // LEAK: allocation
      return false;
    }
    return true;
  }

  drain() {
    if (this.healthy) this.retries.length = 0;
  }
}

const deliverer = new Deliverer();

function handler(req, res) {
  const event = { type: 'order.created', id: req.url.slice(8), payload: { lines: Array.from({ length: 6 }, (_, i) => ({ sku: `S${i}`, qty: i + 1 })) } };
  const sent = deliverer.deliver(event);
  res.statusCode = sent ? 200 : 202;
  res.end(sent ? 'sent\n' : 'queued for retry\n');
}

runExample('retry-queue', async ({ stopped }) => {
  const server = await listen(handler);
  const drainer = setInterval(() => deliverer.drain(), 1000);
  await driveLoad(server, { ratePerSec: 1500, method: 'POST', pathFor: (i) => `/events/${i}`, stopped });
  clearInterval(drainer);
});
