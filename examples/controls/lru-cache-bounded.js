'use strict';
// Control (must NOT be flagged): the user-profile cache of
// examples/leaks/user-profile-cache.js with the one-line fix — leakguard's
// LruCache instead of a Map. Under the same high-cardinality traffic the cache
// fills to its bound in a few seconds and then evicts: memory plateaus.
const { LruCache } = require('leakguard');
const { runExample, listen, driveLoad } = require('../support/example-run');

const profiles = new LruCache({ max: 2_000, name: 'profiles' });

function loadProfile(userId) {
  let profile = profiles.get(userId);
  if (profile !== undefined) return profile;
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
  profiles.set(userId, profile);
  return profile;
}

function handler(req, res) {
  const userId = Number(req.url.slice('/users/'.length));
  const profile = loadProfile(userId);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ id: profile.id, name: profile.displayName.trim(), orders: profile.recentOrders.length }));
}

runExample('lru-cache-bounded', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 800, pathFor: () => `/users/${Math.floor(Math.random() * 1e7)}`, stopped });
});
