// leakguard's ESM entry: the same objects as the CommonJS entry, so a program
// that mixes `import` and `require` shares one timers patch and one ledger.
import leakguard from './index.js';

export const {
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
  errorCodes,
  version,
} = leakguard;

export default leakguard;
