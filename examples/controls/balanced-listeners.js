'use strict';
// Control (must NOT be flagged): examples/leaks/bus-listener-per-request.js
// fixed — each request subscribes to the global bus and unsubscribes when its
// response closes. Thousands of adds, as many removes: no live growth.
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
  bus.on('flags-changed', onFlagsChanged);
  res.on('close', () => bus.off('flags-changed', onFlagsChanged));
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ ...requestFlags, basket: basket.length }));
}

runExample('balanced-listeners', async ({ stopped }) => {
  const server = await listen(handler);
  const flip = setInterval(() => {
    featureFlags = { newCheckout: !featureFlags.newCheckout };
    bus.emit('flags-changed', featureFlags);
  }, 2000);
  await driveLoad(server, { ratePerSec: 1000, pathFor: (i) => `/checkout/${i % 100}`, stopped });
  clearInterval(flip);
});
