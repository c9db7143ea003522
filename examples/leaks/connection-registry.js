'use strict';
// Leak: every connection object registers itself in a static list on its
// class, for an admin page that lists them, and close() forgets to take it
// out again. Each request's connection, with its request metadata, stays.
// Fix: remove it in close() (or keep a WeakRef/Set of live ones only).
const { runExample, listen, driveLoad } = require('../support/example-run');

class Connection {
  static open = [];

  constructor(req) {
    this.url = req.url;
    this.openedAt = Date.now();
    this.meta = { agent: `${req.headers['user-agent']} ${'·'.repeat(300)}`, remote: req.socket.remoteAddress };
    Connection.open.push(this); // LEAK: allocation
  }

  close() {
    this.closedAt = Date.now(); // should also leave Connection.open
  }
}

function handler(req, res) {
  const connection = new Connection(req);
  res.end('ok\n');
  connection.close();
}

runExample('connection-registry', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 1500, pathFor: (i) => `/c/${i}`, stopped });
});
