'use strict';
// Leak: a metrics sampler keeps every snapshot it takes, ten a second, in a
// module-level history nothing trims (~1 MB/s by the clock), while the
// service serves traffic that retains nothing and varies (bursts of 600
// requests a second, then lulls of 100). The growth follows time, not the
// requests: report().work says so (`growsWith: 'time'`), where
// retained-per-request.js's says 'work'. Fix: keep a bounded window.
// leakguard-example: grows-with=time
const { runExample, listen, driveLoad } = require('../support/example-run');

const history = [];

function snapshot() {
  for (let i = 0; i < 25; i++) {
    history.push(new Array(512).fill(i)); // LEAK: allocation
  }
}

runExample('retained-per-second', async ({ stopped }) => {
  const sampler = setInterval(snapshot, 100);
  sampler.unref();
  const server = await listen((req, res) => res.end('ok\n'));
  for (let phase = 0; !stopped(); phase++) {
    const until = Date.now() + 3000;
    await driveLoad(server, { ratePerSec: phase % 2 === 0 ? 600 : 100, concurrency: 4, pathFor: (i) => `/status/${i}`, stopped: () => stopped() || Date.now() >= until });
  }
});
