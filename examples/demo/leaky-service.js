'use strict';
// The demo's service as it was when the pager went off. Two leaks:
//   1. a Map used as a profile cache, keyed by user id, that never evicts;
//   2. a listener added to the global config bus on every checkout request
//      and never removed (setMaxListeners(0) silenced Node's warning).
// examples/demo/fixed-service.js is the same service fixed.
const { EventEmitter } = require('node:events');
const { serve } = require('./admin-endpoint');

const profiles = new Map();
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
    profiles.set(userId, profile); // LEAK: allocation
  }
  return profile;
}

function checkout(req, res) {
  const quote = { ...prices, basket: req.url };
  configBus.on('prices-changed', (next) => Object.assign(quote, next)); // LEAK: listener
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
