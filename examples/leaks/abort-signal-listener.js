'use strict';
// Leak: the service has one AbortController for its own shutdown, and every
// outgoing call listens on that long-lived signal with addEventListener and
// never removes the listener once the call is done. The signal outlives
// every call, so every listener (and the call state it captures) stays.
// Fix: pass { once: true } and removeEventListener when the call settles, or
// AbortSignal.any([shutdown.signal, perCallSignal]).
const { runExample, listen, driveLoad } = require('../support/example-run');

const shutdown = new AbortController();

function callUpstream(path) {
  const call = { path, startedAt: Date.now(), buffer: new Array(16).fill(path) };
  const onShutdown = () => {
    call.aborted = true;
  };
  shutdown.signal.addEventListener('abort', onShutdown); // LEAK: listener
  call.result = `upstream ${path}`;
  return call;
}

function handler(req, res) {
  const call = callUpstream(req.url);
  res.end(`${call.result}\n`);
}

runExample('abort-signal-listener', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 400, pathFor: (i) => `/proxy/${i}`, stopped });
});
