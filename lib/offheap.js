'use strict';
// Placeholder until issue #8 lands.

class OffHeapCache {
  constructor() {
    throw new Error('leakguard: OffHeapCache is not implemented yet (issue #8)');
  }
}

module.exports = { OffHeapCache };
