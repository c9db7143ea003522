'use strict';
// Loads the compiled addon through the napi-rs generated loader (binding.js),
// which prefers a local build (leakguard.<platform>.node) and then the
// platform package (leakguard-<platform>). Everything else requires this file,
// never binding.js directly, so the failure message is written once.

let binding;
try {
  binding = require('../../binding.js');
} catch (err) {
  const e = new Error(
    'leakguard: the native addon is not built for this platform. Run `npm install` (it builds from source with cargo) ' +
      `or install the leakguard-${process.platform}-${process.arch} package. Cause: ${err.message}`,
  );
  e.code = 'ERR_LEAKGUARD_NATIVE';
  e.cause = err;
  throw e;
}

module.exports = binding;
