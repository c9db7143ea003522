'use strict';
// leakguard's public entry (CommonJS). Hand-written: the napi-rs generated
// loader is binding.js, reached only through lib/internal/native.js. Each capability
// lives in one lib/ module; this file only names what is public.

const { CODES } = require('./lib/internal/errors');
const { patchTimers, unpatchTimers, timers } = require('./lib/timers');
const { trackListeners, untrackListeners, listeners } = require('./lib/listeners');
const { start, stop, report, formatReport } = require('./lib/sampler');
const { work } = require('./lib/sampler/work');

/** writeHtmlReport(path, options): lib/export/html-report.js, loaded on the first call (an idle process never renders a report). */
function writeHtmlReport(file, options) {
  return require('./lib/export/html-report').writeHtmlReport(file, options);
}

module.exports = {
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
  writeHtmlReport,
  errorCodes: CODES,
  version: require('./package.json').version,
};

// Loaded on first use: a process that only runs the guard (the preload) never
// compiles the caches or the metrics exporter.
for (const [name, file] of [['LruCache', './lib/cache'], ['OffHeapCache', './lib/offheap'], ['metrics', './lib/export/metrics']]) {
  Object.defineProperty(module.exports, name, { enumerable: true, get: () => require(file)[name] });
}
