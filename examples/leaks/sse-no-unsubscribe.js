'use strict';
// Leak: a Server-Sent Events endpoint subscribes each client to the price
// feed and never unsubscribes when the client goes away. Every closed
// connection leaves a listener that holds its response and socket. Fix:
// req.on('close', () => feed.off('price', send)).
const { EventEmitter } = require('node:events');
const http = require('node:http');
const { runExample, listen } = require('../support/example-run');

const feed = new EventEmitter();
feed.setMaxListeners(0);

function handler(req, res) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (price) => res.write(`event: price\ndata: ${JSON.stringify(price)}\n\n`);
  feed.on('price', send); // LEAK: listener
  send({ symbol: 'ACME', last: 100 }); // the current price, at once
}

// A client that reads the first event and disconnects, as browser tabs do.
function subscribeOnce(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/prices' }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', resolve);
  });
}

runExample('sse-no-unsubscribe', async ({ stopped }) => {
  const server = await listen(handler);
  const { port } = server.address();
  const ticker = setInterval(() => feed.emit('price', { symbol: 'ACME', last: 100 + Math.random() }), 1000);
  // Four clients, each reconnecting every 10 ms: a few hundred short-lived subscriptions a second.
  const client = async () => {
    while (!stopped()) {
      await subscribeOnce(port);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  await Promise.all([client(), client(), client(), client()]);
  clearInterval(ticker);
});
