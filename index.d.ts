// leakguard's public types. Hand-written; each capability's types live beside
// its implementation in lib/*.d.ts.
import * as cache from './lib/cache';
import * as offheap from './lib/offheap';
import * as timersModule from './lib/timers';
import * as listenersModule from './lib/listeners';
import * as sampler from './lib/sampler';
import * as metricsModule from './lib/export/metrics';
import * as htmlReport from './lib/export/html-report';

export * from './lib/cache';
export * from './lib/offheap';
export * from './lib/timers';
export * from './lib/listeners';
export * from './lib/sampler';
export * from './lib/export/metrics';
export * from './lib/export/html-report';

/** Every `err.code` leakguard throws with. */
export declare const errorCodes: Readonly<{
  INVALID_OPTION: 'ERR_LEAKGUARD_INVALID_OPTION';
  INVALID_SIZE: 'ERR_LEAKGUARD_INVALID_SIZE';
  INVALID_VALUE: 'ERR_LEAKGUARD_INVALID_VALUE';
  INVALID_CLOCK: 'ERR_LEAKGUARD_INVALID_CLOCK';
  UNBOUNDED: 'ERR_LEAKGUARD_UNBOUNDED';
  CACHE_MISMATCH: 'ERR_LEAKGUARD_CACHE_MISMATCH';
  NATIVE: 'ERR_LEAKGUARD_NATIVE';
  NO_REGISTRY: 'ERR_LEAKGUARD_NO_REGISTRY';
  CHECK_RUNNING: 'ERR_LEAKGUARD_CHECK_RUNNING';
}>;

/** The package version. */
export declare const version: string;

declare const leakguard: typeof cache &
  typeof offheap &
  typeof timersModule &
  typeof listenersModule &
  typeof sampler &
  typeof metricsModule &
  typeof htmlReport & { errorCodes: typeof errorCodes; version: string };
export default leakguard;
