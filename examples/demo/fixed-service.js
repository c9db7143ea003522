'use strict';
// The demo's service fixed (compare with examples/demo/leaky-service.js):
//   1. the profile cache is leakguard's LruCache: the same Map API, bounded;
//   2. each checkout unsubscribes from the config bus when its response closes.
// leakguard.start() (in admin-endpoint.js) also installs the timers patch, so
// timer handles kept by the app retain nothing once they fire or are cleared.
const { EventEmitter } = require('node:events');
const { LruCache } = require('leakguard');
const { serve } = require('./admin-endpoint');

const profiles = new LruCache({ max: 2_000, name: 'profiles' });
const configBus = new EventEmitter();
configBus.setMaxListeners(0);
let prices = { currency: 'EUR', vatRate: 0.2 };

// Stands in for the database: answers on a later turn of the event loop.
const db = { findUser: (userId) => new Promise((resolve) => setImmediate(resolve, { id: userId, plan: userId % 3 })) };

async function loadProfile(userId) {
  let profile = profiles.get(userId);
  if (profile === undefined) {
    const row = await db.findUser(userId);
    const orders = [];
    for (let i = 0; i < 24; i++) orders.push({ id: `${userId}-${i}`, sku: `SKU-${userId}-${i}`.padEnd(64, '.') });
    profile = { id: userId, plan: row.plan, email: `user${userId}@example.com`, displayName: `User ${userId}`.padEnd(200, ' '), orders };
    profiles.set(userId, profile);
  }
  return profile;
}

function checkout(req, res) {
  const quote = { ...prices, basket: req.url };
  const onPricesChanged = (next) => Object.assign(quote, next);
  configBus.on('prices-changed', onPricesChanged);
  res.on('close', () => configBus.off('prices-changed', onPricesChanged));
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(quote));
}

serve(async (req, res) => {
  if (req.url.startsWith('/users/')) {
    const profile = await loadProfile(Number(req.url.slice(7)));
    res.end(JSON.stringify({ id: profile.id, orders: profile.orders.length }));
  } else if (req.url.startsWith('/checkout')) {
    checkout(req, res);
  } else {
    res.statusCode = 404;
    res.end();
  }
});

setInterval(() => {
  prices = { ...prices, vatRate: prices.vatRate === 0.2 ? 0.21 : 0.2 };
  configBus.emit('prices-changed', prices);
}, 5000);
