// `leakguard/test` for ESM: the same functions as test.js (docs/testing.md).
import leakCheck from './test.js';

export const { checkLeaks, assertNoLeaks, formatCheck } = leakCheck;
