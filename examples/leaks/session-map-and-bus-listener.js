'use strict';
// Two leaks in one request handler: every request stores its session in a
// Map that nothing ever evicts (~1.5 MB/s, nearly all the growth), and every
// tenth request subscribes a small listener to a process-wide bus and never
// unsubscribes. The listener's creation stack runs through the same handler
// that fills the Map, but the listeners hold only their closures: the Map is
// what holds the memory and must come first. Fix: evict sessions (an
// LruCache with a max, or delete on logout) and bus.off(...) when the
// request ends.
const { EventEmitter } = require('node:events');
const { runExample } = require('../support/example-run');

const sessions = new Map();
const bus = new EventEmitter();
bus.setMaxListeners(0);

let requestId = 0;

function handleRequest() {
  requestId += 1;
  const user = { id: requestId, role: requestId % 7 === 0 ? 'admin' : 'member' };
  const session = { user, token: `tok-${requestId}`.padEnd(640, '.'), createdAt: Date.now(), cart: [requestId % 13, requestId % 17] };
  sessions.set(requestId, session); // LEAK: allocation
  if (requestId % 10 === 0) bus.on('logout', () => user);
}

runExample('session-map-and-bus-listener', () => {
  // The service's "requests": a batch of ten every 5 ms (about 2 000 a
  // second), until runExample ends the process at its deadline.
  setInterval(() => {
    for (let i = 0; i < 10; i++) handleRequest();
  }, 5);
});
