'use strict';
// Leak: each webhook registration stores a delivery closure that captures the
// whole parsed registration request (headers, the full payload template) when
// it only needs the URL — and registrations are never pruned, even for the
// same URL registered again. Fix: capture only what the closure uses, and
// key registrations by URL so a re-registration replaces the old one.
const { runExample, listen, driveLoad } = require('../support/example-run');

const deliveries = [];

// Stands in for the auth service: answers on a later turn of the event loop.
const auth = { verify: (token) => new Promise((resolve) => setImmediate(resolve, token !== 'revoked')) };

async function registerWebhook(raw, headers) {
  if (!(await auth.verify(headers.authorization))) throw new Error('unauthorised');
  const registration = JSON.parse(raw);
  registration.headers = { ...headers };
  deliveries.push(function deliver(event) { // LEAK: allocation
    return { url: registration.url, event: event.type };
  });
  return deliveries.length;
}

function handler(req, res) {
  let raw = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => (raw += chunk));
  req.on('end', async () => {
    try {
      const count = await registerWebhook(raw, req.headers);
      res.end(`registered (${count})\n`);
    } catch {
      res.statusCode = 401;
      res.end();
    }
  });
}

runExample('closure-per-registration', async ({ stopped }) => {
  const server = await listen(handler);
  const template = 'Order {{id}} for {{customer}} has shipped. '.repeat(60);
  await driveLoad(server, {
    ratePerSec: 1500,
    method: 'POST',
    pathFor: () => '/webhooks',
    body: (i) => JSON.stringify({ url: `https://hooks.example.com/${i % 50}`, events: ['order.shipped'], template }),
    stopped,
  });
});
