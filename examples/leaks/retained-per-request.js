'use strict';
// Leak: an audit hook keeps the rendered body of every response "for later
// inspection" in a module-level array that nothing ever trims: about 4.1 kB
// retained per request. Traffic varies (bursts of 600 requests a second, then lulls of
// 100), so the heap's growth follows the request count, not the clock:
// report().work says about 4.1 kB per 'http.request' and that the growth goes
// with work. Fix: keep the last N bodies (a bounded LruCache), or none.
// leakguard-example: bytes-per-unit=http.request:4152 grows-with=work
const { runExample, listen, driveLoad } = require('../support/example-run');

// Per request, the rendered page as an array of 512 numbers: its elements
// (512 × 8 bytes and a 16-byte header), the array object (32 bytes) and its
// slot in `rendered` (8 bytes): 4 152 bytes. Measured alone (20 000 of them
// between two forced GCs, node --expose-gc): 4 157 bytes each.
const WORDS = 512;
const rendered = [];

function render(req) {
  const page = new Array(WORDS).fill(req.url.length);
  rendered.push(page); // LEAK: allocation
  return page.length;
}

function handler(req, res) {
  res.end(`rendered ${render(req)} words\n`);
}

runExample('retained-per-request', async ({ stopped }) => {
  const server = await listen(handler);
  // Bursts and lulls: 3 s at 600 requests a second, 3 s at 100, until the end.
  for (let phase = 0; !stopped(); phase++) {
    const until = Date.now() + 3000;
    await driveLoad(server, { ratePerSec: phase % 2 === 0 ? 600 : 100, concurrency: 4, pathFor: (i) => `/page/${i}`, stopped: () => stopped() || Date.now() >= until });
  }
});
