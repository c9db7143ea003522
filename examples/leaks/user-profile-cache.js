'use strict';
// Leak: a Map used as a cache, keyed by user id, that never evicts. Every
// distinct user who ever calls GET /users/:id stays in memory for the life of
// the process. Fix: `new LruCache({ max: 10_000 })` from leakguard (same Map
// API, bounded) — see examples/controls/lru-cache-bounded.js.
const { runExample, listen, driveLoad } = require('../support/example-run');

const profiles = new Map();

// Stands in for the database: answers on a later turn of the event loop.
const db = {
  findUser: (userId) => new Promise((resolve) => setImmediate(resolve, { id: userId, plan: userId % 3 })),
};

async function loadProfile(userId) {
  let profile = profiles.get(userId);
  if (profile !== undefined) return profile;
  const row = await db.findUser(userId);
  // The profile the app builds from the row: a few kilobytes.
  const orders = [];
  for (let i = 0; i < 12; i++) {
    orders.push({ id: `${userId}-${i}`, total: (userId % 97) + i, sku: `SKU-${userId}-${i}`.padEnd(64, '.') });
  }
  profile = {
    id: userId,
    email: `user${userId}@example.com`,
    displayName: `User number ${userId}`.padEnd(200, ' '),
    plan: row.plan,
    preferences: { locale: 'en-GB', theme: userId % 2 ? 'dark' : 'light', digest: 'weekly' },
    recentOrders: orders,
  };
  profiles.set(userId, profile); // LEAK: allocation
  return profile;
}

async function handler(req, res) {
  const userId = Number(req.url.slice('/users/'.length));
  const profile = await loadProfile(userId);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ id: profile.id, name: profile.displayName.trim(), orders: profile.recentOrders.length }));
}

runExample('user-profile-cache', async ({ stopped }) => {
  const server = await listen(handler);
  // High-cardinality traffic: ids drawn from ten million users.
  await driveLoad(server, { ratePerSec: 800, pathFor: () => `/users/${Math.floor(Math.random() * 1e7)}`, stopped });
});
