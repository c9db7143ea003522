'use strict';
// Leak: every job registers a process 'beforeExit' hook to flush its partial
// results, and never removes it when the job finishes. process lives as long
// as the service, so every hook (and the job it closes over) stays.
// setMaxListeners(0) silenced the warning. Fix: process.off('beforeExit', flush)
// when the job completes.
const { runExample, listen, driveLoad } = require('../support/example-run');

process.setMaxListeners(0);

function runJob(id) {
  const job = { id, rows: Array.from({ length: 8 }, (_, i) => ({ i, value: `${id}-${i}` })), done: false };
  const flush = () => {
    if (!job.done) job.rows.length = 0;
  };
  process.on('beforeExit', flush); // LEAK: listener
  job.done = true;
  return job;
}

function handler(req, res) {
  const job = runJob(req.url.slice('/jobs/'.length));
  res.end(`job ${job.id}: ${job.rows.length} rows\n`);
}

runExample('process-listener-per-job', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 400, pathFor: (i) => `/jobs/${i}`, stopped });
});
