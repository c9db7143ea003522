// Leak, in an ES module service: each session login starts a keep-alive
// setInterval that is never cleared, so live intervals (and the session each
// one holds) pile up. Fix: keep the handle and clearInterval it at logout.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { runExample, listen, driveLoad } = require('../support/example-run');

const sessions = new Map();

function touch(session) {
  session.lastSeen = Date.now();
}

function login(user) {
  const session = { user, since: Date.now(), scopes: ['read', 'write'], lastSeen: 0 };
  sessions.set(user, session);
  setInterval(touch, 60_000, session); // LEAK: timer
  return session;
}

function handler(req, res) {
  const session = login(req.url.slice('/login/'.length));
  res.end(`hello ${session.user}\n`);
}

runExample('esm-interval-per-session', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 400, pathFor: (i) => `/login/u${i % 500}`, stopped });
});
