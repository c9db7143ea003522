'use strict';
// Control (must NOT be flagged): a service that loads a large configuration
// for ~10 s after start (feature flags, routing rules and price tables for
// every tenant, fetched page by page so the server answers meanwhile), then
// serves from it. Memory climbs steadily, at the pace of a fast leak, for the
// whole load and then stays flat: growth that starts with the process and
// stops within the warm-up (`warmupMs`, at least 10 s) is never a leak.
const { runExample, listen, driveLoad } = require('../support/example-run');

const config = new Map();
const PAGES = 100; // one page every 100 ms: ~10 s
const TENANTS_PER_PAGE = 100;

function fetchPage(page) {
  // As if read from a configuration service: a JSON document per page.
  const tenants = [];
  for (let i = 0; i < TENANTS_PER_PAGE; i++) {
    const tenant = page * TENANTS_PER_PAGE + i;
    tenants.push({
      tenant: `tenant-${tenant}`,
      flags: Array.from({ length: 40 }, (_, f) => ({ name: `flag-${f}`, on: (tenant + f) % 3 === 0 })),
      routes: Array.from({ length: 30 }, (_, r) => `/api/v${r % 3}/tenant-${tenant}/resource-${r}`),
      prices: Array.from({ length: 60 }, (_, p) => ((tenant * 31 + p) % 997) / 10),
    });
  }
  return JSON.stringify(tenants);
}

async function loadConfiguration() {
  const started = Date.now();
  for (let page = 0; page < PAGES; page++) {
    for (const t of JSON.parse(fetchPage(page))) config.set(t.tenant, t);
    // The next page arrives 100 ms after the previous one was asked for.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (page + 1) * 100 - Date.now())));
  }
}

function handler(req, res) {
  const t = config.get(`tenant-${Number(req.url.slice('/tenants/'.length)) % (PAGES * TENANTS_PER_PAGE)}`);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(t === undefined ? { loading: true } : { tenant: t.tenant, flags: t.flags.length }));
}

runExample('config-load', async ({ stopped }) => {
  const server = await listen(handler);
  await Promise.all([loadConfiguration(), driveLoad(server, { ratePerSec: 500, pathFor: (i) => `/tenants/${i * 7919}`, stopped })]);
});
