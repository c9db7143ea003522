'use strict';
// Control (must NOT be flagged): a report endpoint that builds a large
// response per request (a few hundred kilobytes of short-lived objects and
// strings) and keeps nothing. The heap rises and falls with every scavenge
// and major GC — a sawtooth, not a leak.
const { runExample, listen, driveLoad } = require('../support/example-run');

function renderReport(month) {
  const rows = [];
  for (let i = 0; i < 2_000; i++) {
    rows.push({ day: (i % 28) + 1, account: `acct-${i}`, amount: (i * 37) % 1000, memo: `month ${month} row ${i}` });
  }
  const body = JSON.stringify(rows);
  return `${body.length} bytes, checksum ${body.charCodeAt(body.length >> 1)}`;
}

function handler(req, res) {
  res.end(`${renderReport(req.url.slice(-2))}\n`);
}

runExample('gc-sawtooth', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 300, pathFor: (i) => `/reports/2026-${String((i % 12) + 1).padStart(2, '0')}`, stopped });
});
