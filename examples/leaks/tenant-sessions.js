'use strict';
// Leak: sessions kept per tenant in a Map of Maps. The outer Map is bounded
// (a handful of tenants); each tenant's inner Map gains an entry per visitor
// and nothing ever removes one. The line that grows is a store into a local
// (`users`) that is part of the module-scope `tenants`.
// Fix: expire inner entries (an LruCache per tenant, or a TTL) and drop a
// tenant's Map when it empties.
const { runExample, listen, driveLoad } = require('../support/example-run');

const tenants = new Map();

function remember(tenant, visitor, req) {
  let users = tenants.get(tenant);
  if (!users) tenants.set(tenant, (users = new Map()));
  users.set(visitor, { lastSeen: Date.now(), path: req.url, agent: `${req.headers['user-agent']} ${'·'.repeat(300)}` }); // LEAK: allocation
}

function handler(req, res) {
  const [, tenant, visitor] = req.url.split('/');
  remember(tenant, visitor, req);
  res.end('ok\n');
}

runExample('tenant-sessions', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 1500, pathFor: (i) => `/t${i % 7}/v${i}`, stopped });
});
