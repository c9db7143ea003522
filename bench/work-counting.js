'use strict';
// What counting units of work costs (docs/work.md): nanoseconds per HTTP
// request added by leakguard's subscriber on `http.server.request.start`
// (the publish Node's HTTP server makes when the channel has a subscriber,
// with the same message shape, with and without the subscriber,
// interleaved), and per leakguard.work() call.
//
//   node bench/work-counting.js [rounds=8] [n=2000000]
const dc = require('node:diagnostics_channel');
const { WorkFit, work, HTTP_CHANNEL } = require('../lib/sampler/work');

const rounds = Number(process.argv[2]) || 8;
const N = Number(process.argv[3]) || 2e6;
const ch = dc.channel(HTTP_CHANNEL);

function publishLoop() {
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    if (ch.hasSubscribers) ch.publish({ request: i, response: i, socket: i, server: i });
  }
  return Number(process.hrtime.bigint() - t) / N;
}

function workLoop() {
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) work('job');
  return Number(process.hrtime.bigint() - t) / N;
}

const none = [];
const subscribed = [];
const perWork = [];
const fit = new WorkFit();
for (let r = 0; r < rounds; r++) {
  none.push(publishLoop());
  fit.start();
  subscribed.push(publishLoop());
  fit.stop();
  perWork.push(workLoop());
}
const med = (x) => x.slice().sort((p, q) => p - q)[x.length >> 1];
const show = (x) => `${med(x).toFixed(1)} ns (min ${Math.min(...x).toFixed(1)}, max ${Math.max(...x).toFixed(1)})`;
console.log(`per request, no subscriber:        ${show(none)}`);
console.log(`per request, leakguard subscribed: ${show(subscribed)}`);
console.log(`per work() call:                   ${show(perWork)}`);
