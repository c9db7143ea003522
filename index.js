'use strict';
// leakguard's public entry (CommonJS). Hand-written: the napi-rs generated
// loader is binding.js, reached only through lib/internal/native.js. Each capability
// lives in one lib/ module; this file only names what is public.

const { CODES } = require('./lib/internal/errors');
const { LruCache } = require('./lib/cache');
const { OffHeapCache } = require('./lib/offheap');
const { patchTimers, unpatchTimers, timers } = require('./lib/timers');
const { trackListeners, untrackListeners, listeners } = require('./lib/listeners');
const { start, stop, report, formatReport } = require('./lib/sampler');
const { work } = require('./lib/sampler/work');
const { metrics } = require('./lib/export/metrics');
const { writeHtmlReport } = require('./lib/export/html-report');

module.exports = {
  LruCache,
  OffHeapCache,
  patchTimers,
  unpatchTimers,
  timers,
  trackListeners,
  untrackListeners,
  listeners,
  start,
  stop,
  report,
  formatReport,
  work,
  metrics,
  writeHtmlReport,
  errorCodes: CODES,
  version: require('./package.json').version,
};
