// `leakguard/test`: a leak check for one function, for tests (docs/testing.md).
export * from './lib/test/index';
