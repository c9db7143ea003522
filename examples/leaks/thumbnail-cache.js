'use strict';
// Leak: rendered thumbnails are memoised by URL in a Map that never evicts,
// and every URL carries a cache-busting version, so no entry is ever reused.
// Each thumbnail is a 48 KiB Buffer: the memory grows outside the V8 heap
// (external), while the Map itself adds little to the heap. Each response also
// builds a short-lived 16 KiB Buffer that is freed: that site must not be
// named. Fix: bound the memo (an LruCache or OffHeapCache with maxSize) and key
// it without the version.
const { runExample, listen, driveLoad } = require('../support/example-run');

const thumbnails = new Map();

function render(url) {
  const pixels = Buffer.allocUnsafe(48 * 1024); // LEAK: buffer
  pixels.fill(url.length & 0xff);
  return pixels;
}

function handler(req, res) {
  let thumb = thumbnails.get(req.url);
  if (thumb === undefined) {
    thumb = render(req.url);
    thumbnails.set(req.url, thumb);
  }
  // Short-lived: the response body, garbage once sent.
  const body = Buffer.alloc(16 * 1024, thumb[0]);
  res.end(body);
}

runExample('thumbnail-cache', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 80, pathFor: (i) => `/thumbs/${i % 500}.png?v=${i}`, stopped });
});
