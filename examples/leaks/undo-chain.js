'use strict';
// Leak: an undo history kept as a chain of closures. Each change wraps the
// previous undo function in a new one, so the module-scope `undo` reaches
// every snapshot ever taken; no array or Map grows, only the chain.
// Fix: keep a bounded history (drop the oldest step) or clear it on commit.
const { runExample, listen, driveLoad } = require('../support/example-run');

let undo = () => {};

function recordChange(req) {
  const before = undo;
  const snapshot = { url: req.url, headers: { ...req.headers }, at: Date.now(), note: 'n'.repeat(300) };
  undo = () => { snapshot.at = 0; before(); }; // LEAK: allocation
}

function handler(req, res) {
  recordChange(req);
  res.end('ok\n');
}

runExample('undo-chain', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 1500, pathFor: (i) => `/doc/${i}`, stopped });
});
