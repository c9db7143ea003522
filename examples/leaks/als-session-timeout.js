'use strict';
// Leak: a sliding session expiry. Each request runs inside
// AsyncLocalStorage.run (as tracing libraries arrange) and re-arms the
// session's 30-minute expiry timer by assigning a new setTimeout to the
// long-lived session object — without clearing the previous one. Every
// request leaves a pending 30-minute timer that holds its callback and the
// request's ALS store (trace spans included). Fix: clearTimeout(session.expiry)
// before re-arming, or session.expiry.refresh().
const { AsyncLocalStorage } = require('node:async_hooks');
const { runExample, listen, driveLoad } = require('../support/example-run');

const requestContext = new AsyncLocalStorage();
const sessions = new Map();
const SESSION_TTL_MS = 30 * 60_000;

function expireSession(sessionId) {
  sessions.delete(sessionId);
}

function touchSession(sessionId) {
  let session = sessions.get(sessionId);
  if (session === undefined) {
    session = { id: sessionId, expiry: null, views: 0 };
    sessions.set(sessionId, session);
  }
  session.views++;
  session.expiry = setTimeout(expireSession, SESSION_TTL_MS, sessionId); // LEAK: timer
  return session;
}

function handler(req, res) {
  const traceId = Math.random().toString(16).slice(2);
  const spans = [];
  for (let i = 0; i < 24; i++) spans.push({ traceId, spanId: `${traceId}-${i}`, name: `GET ${req.url} step ${i}`, startedAt: Date.now() });
  const trace = { traceId, spans, baggage: `route=${req.url};`.repeat(40) };
  requestContext.run(trace, () => {
    const session = touchSession(`s${req.url.slice(-3)}`);
    res.end(`views ${session.views}\n`);
  });
}

runExample('als-session-timeout', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 1000, pathFor: (i) => `/page/${String(i % 500).padStart(3, '0')}`, stopped });
});
