'use strict';
// Starts and terminates worker threads running `workerSource`, one after
// another, in a child process, so that a native crash shows up as a signal or
// a bad exit status instead of killing the test runner.

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');

/**
 * @param {string} workerSource code each worker evaluates
 * @param {{ runs: number, delayMs: (i: number) => number }} plan how many
 *   workers, and how long worker i runs before it is terminated
 */
function assertWorkerChurnSurvives(workerSource, { runs, delayMs }) {
  const delays = Array.from({ length: runs }, (_, i) => delayMs(i));
  const script = `
    const { Worker } = require('node:worker_threads');
    const src = ${JSON.stringify(workerSource)};
    (async () => {
      for (const ms of ${JSON.stringify(delays)}) {
        const w = new Worker(src, { eval: true });
        await new Promise((r) => setTimeout(r, ms));
        await w.terminate();
      }
      console.log('done');
    })();
  `;
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(out.signal, null, out.stderr);
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout.trim(), 'done');
}

module.exports = { assertWorkerChurnSurvives };
