'use strict';
// Leak: every request subscribes to a process-wide event bus and never
// unsubscribes; setMaxListeners(0) silenced Node's MaxListenersExceededWarning
// long ago. Each listener keeps its closure, the response and everything they
// reach. Fix: bus.off(...) when the request ends — see
// examples/controls/balanced-listeners.js.
const { EventEmitter } = require('node:events');
const { runExample, listen, driveLoad } = require('../support/example-run');

const bus = new EventEmitter();
bus.setMaxListeners(0);

let featureFlags = { newCheckout: false };

function handler(req, res) {
  const basket = [];
  for (let i = 0; i < 10; i++) basket.push({ sku: `SKU-${req.url.length}-${i}`, qty: 1 + (i % 3), note: `gift wrap ${i}`.padEnd(80, ' ') });
  const requestFlags = { ...featureFlags, route: req.url, basket };
  const onFlagsChanged = (flags) => Object.assign(requestFlags, flags);
  bus.on('flags-changed', onFlagsChanged); // LEAK: listener
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ ...requestFlags, basket: basket.length }));
}

runExample('bus-listener-per-request', async ({ stopped }) => {
  const server = await listen(handler);
  const flip = setInterval(() => {
    featureFlags = { newCheckout: !featureFlags.newCheckout };
    bus.emit('flags-changed', featureFlags);
  }, 2000);
  await driveLoad(server, { ratePerSec: 1000, pathFor: (i) => `/checkout/${i % 100}`, stopped });
  clearInterval(flip);
});
