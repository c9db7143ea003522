'use strict';
// leakguard-example: node-args=--max-old-space-size=64 dies=oom
// Leak, fast, in a small container: a metrics ingester parses a batch from
// its queue every 100 ms and, to "deduplicate later", keeps every parsed
// batch (~5 MB/s). The service runs with a 64 MB old generation, so it dies of
// "JavaScript heap out of memory" about ten seconds in; the report must come
// before it dies (the examples test runs it under --max-old-space-size=64).
// Fix: keep only the batch ids (or a bounded window of batches).
const { runExample } = require('../support/example-run');

const seenBatches = [];

// What the queue delivers: ~500 kB of JSON per batch.
const wire = JSON.stringify({
  points: Array.from({ length: 2500 }, (_, i) => ({ metric: `http.latency.p${i % 100}`, host: `web-${i % 40}`, value: i / 7, tags: ['prod', 'eu-west-1'] })),
});

function ingestBatch(seq) {
  const batch = JSON.parse(wire);
  batch.seq = seq;
  seenBatches.push(batch); // LEAK: allocation
  return batch.points.length;
}

runExample('oom-fast-leak', async ({ stopped }) => {
  let seq = 0;
  await new Promise((resolve) => {
    const queue = setInterval(() => {
      ingestBatch(seq++);
      if (stopped()) {
        clearInterval(queue);
        resolve();
      }
    }, 100);
  });
});
