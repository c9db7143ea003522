'use strict';
// `leakguard/test`: a leak check for one function, for use inside tests
// (node:test, Jest, Vitest, Mocha). See docs/testing.md.
const { checkLeaks, assertNoLeaks, formatCheck } = require('./lib/test');

module.exports = { checkLeaks, assertNoLeaks, formatCheck };
