'use strict';
// Leak: a Map used as a cache, keyed by user id, that never evicts. Every
// distinct user who ever calls GET /users/:id stays in memory for the life of
// the process. Fix: `new LruCache({ max: 10_000 })` from leakguard (same Map
// API, bounded) — see examples/controls/lru-cache-bounded.js.
const { runExample, listen, driveLoad } = require('../support/example-run');

const profiles = new Map();

function loadProfile(userId) {
  let profile = profiles.get(userId);
  if (profile !== undefined) return profile;
  // Stands in for a database read: a profile of a few kilobytes.
  const orders = [];
  for (let i = 0; i < 12; i++) {
    orders.push({ id: `${userId}-${i}`, total: (userId % 97) + i, sku: `SKU-${userId}-${i}`.padEnd(64, '.') });
  }
  profile = {
    id: userId,
    email: `user${userId}@example.com`,
    displayName: `User number ${userId}`.padEnd(200, ' '),
    preferences: { locale: 'en-GB', theme: userId % 2 ? 'dark' : 'light', digest: 'weekly' },
    recentOrders: orders,
  };
  profiles.set(userId, profile); // LEAK: allocation
  return profile;
}

function handler(req, res) {
  const userId = Number(req.url.slice('/users/'.length));
  const profile = loadProfile(userId);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ id: profile.id, name: profile.displayName.trim(), orders: profile.recentOrders.length }));
}

runExample('user-profile-cache', async ({ stopped }) => {
  const server = await listen(handler);
  // High-cardinality traffic: ids drawn from ten million users.
  await driveLoad(server, { ratePerSec: 800, pathFor: () => `/users/${Math.floor(Math.random() * 1e7)}`, stopped });
});
