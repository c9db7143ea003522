'use strict';
// Leak: each upload of sensor readings is decoded into a Float64Array and
// appended to its device's history, which nothing ever trims. Typed-array
// contents live outside the V8 heap (external memory), and `new
// Float64Array` is no Buffer factory: its line is named only with
// `arrayBufferSites` on (LEAKGUARD_ARRAY_BUFFER_SITES=1). Each request also
// builds a short-lived 16 KiB scratch Uint8Array that is freed: that line
// must not be named. Fix: keep a bounded window per device (drop the oldest
// frame), or aggregate before keeping.
// leakguard-example: env=LEAKGUARD_ARRAY_BUFFER_SITES=1
const { runExample, listen, driveLoad } = require('../support/example-run');

const history = new Map(); // device id -> Float64Array[]

function decode(body) {
  const frame = new Float64Array(4096); // LEAK: buffer
  for (let i = 0; i < body.length && i < frame.length; i++) frame[i] = body[i] / 255;
  return frame;
}

function handler(req, res) {
  const device = req.url.slice(1) % 16;
  const scratch = new Uint8Array(16 * 1024);
  let size = 0;
  req.on('data', (chunk) => {
    scratch.set(chunk.subarray(0, scratch.length - size), size);
    size = Math.min(scratch.length, size + chunk.length);
  });
  req.on('end', () => {
    let frames = history.get(device);
    if (frames === undefined) history.set(device, (frames = []));
    frames.push(decode(scratch.subarray(0, size)));
    res.end(`${frames.length}\n`);
  });
}

runExample('sensor-history', async ({ stopped }) => {
  const server = await listen(handler);
  const upload = Buffer.alloc(4 * 1024, 7);
  await driveLoad(server, { ratePerSec: 100, method: 'POST', pathFor: (i) => `/${i}`, body: upload, concurrency: 4, stopped });
});
