'use strict';
// Control (must NOT be flagged): a service that loads its reference data at
// start-up (a product catalogue and exchange rates, ~30 MB, loaded in batches
// over a few seconds so the server answers meanwhile), then serves reads from
// it. Memory climbs during warm-up and then stays flat.
const { runExample, listen, driveLoad } = require('../support/example-run');

const catalogue = new Map();
const CATALOGUE_SIZE = 60_000;

function loadCatalogueBatch(from, count) {
  for (let id = from; id < from + count; id++) {
    catalogue.set(id, {
      id,
      name: `Product ${id}`.padEnd(120, ' '),
      price: (id % 1000) / 10,
      tags: ['catalogue', `brand-${id % 50}`, `range-${id % 7}`],
      description: `Reference item ${id}. `.repeat(12),
    });
  }
}

async function warmUp() {
  for (let from = 0; from < CATALOGUE_SIZE; from += 2_000) {
    loadCatalogueBatch(from, 2_000);
    await new Promise((resolve) => setTimeout(resolve, 100)); // as if awaiting the next page from the database
  }
}

function handler(req, res) {
  const id = Number(req.url.slice('/products/'.length)) % CATALOGUE_SIZE;
  const product = catalogue.get(id);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(product === undefined ? { id, loading: true } : { id, name: product.name.trim(), price: product.price }));
}

runExample('warmup-plateau', async ({ stopped }) => {
  const server = await listen(handler);
  await Promise.all([warmUp(), driveLoad(server, { ratePerSec: 1000, pathFor: (i) => `/products/${i * 7919}`, stopped })]);
});
