'use strict';
// Control (must NOT be flagged): an ingest service that gathers events in
// memory and flushes them as one batch every 5 s (serialised as if written to
// object storage, then dropped). Live memory climbs steeply for 5 s, falls
// back to the same level at every flush, and does so forever: a sawtooth of
// live data, not only of garbage.
const { runExample, listen, driveLoad } = require('../support/example-run');

let batch = [];
let flushed = 0;

function flush() {
  const body = JSON.stringify(batch);
  flushed += body.length;
  batch = [];
}

function handler(req, res) {
  const n = Number(req.url.slice('/events/'.length));
  for (let i = 0; i < 20; i++) {
    batch.push({ id: `${n}-${i}`, at: Date.now(), kind: `kind-${n % 13}`, payload: `event ${n}/${i} `.repeat(8) });
  }
  res.end(`queued ${batch.length}, flushed ${flushed}\n`);
}

runExample('batch-flush', async ({ stopped }) => {
  const server = await listen(handler);
  setInterval(flush, 5_000);
  await driveLoad(server, { ratePerSec: 1000, pathFor: (i) => `/events/${i}`, stopped });
});
