'use strict';
// Placeholder until issue #3 lands.

class LruCache {
  constructor() {
    throw new Error('leakguard: LruCache is not implemented yet (issue #3)');
  }
}

module.exports = { LruCache };
