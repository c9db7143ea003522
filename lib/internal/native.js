'use strict';
// Loads the compiled addon through the napi-rs generated loader (binding.js),
// which tries a local build (leakguard.<triple>.node next to package.json)
// and then the prebuilt platform package (leakguard-<triple>). Everything else
// requires this file, never binding.js directly, so a failure is explained
// once (lib/internal/native-error.js).

let binding;
try {
  binding = require('../../binding.js');
} catch (err) {
  throw require('./native-error').loadError(err);
}

module.exports = binding;
