'use strict';
// Leak: each time a tenant connects, a heartbeat setInterval is started for it
// and never cleared — not when the tenant disconnects, not when it
// reconnects. Live intervals pile up, each holding its tenant object. Fix:
// keep the handle and clearInterval it on disconnect (or one app-wide
// interval over all tenants — see examples/controls/app-interval-short-timeouts.js).
const { runExample, listen, driveLoad } = require('../support/example-run');

const tenants = new Map();

function pingTenant(tenant, link) {
  tenant.lastPing = Date.now();
  link.latencies[link.latencies.length % 512] = tenant.lastPing - link.connectedAt;
}

function connectTenant(tenantId) {
  const tenant = tenants.get(tenantId) ?? { id: tenantId, lastPing: 0, settings: { region: 'eu-west-1', plan: 'pro' } };
  tenants.set(tenantId, tenant);
  // Per-connection state: a latency window (preallocated) and the handshake the tenant sent.
  const link = { connectedAt: Date.now(), latencies: new Array(512).fill(0), handshake: { tenantId, region: 'eu-west-1', at: new Date() } };
  setInterval(pingTenant, 30_000, tenant, link); // LEAK: timer
  return tenant;
}

function handler(req, res) {
  const tenant = connectTenant(req.url.slice('/tenants/'.length, req.url.lastIndexOf('/')));
  res.end(`connected ${tenant.id}\n`);
}

runExample('interval-per-tenant', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 500, pathFor: (i) => `/tenants/t${i % 300}/connect`, stopped });
});
