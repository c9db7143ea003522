#!/usr/bin/env node
'use strict';
// The `leakguard` executable: only hands the command line to lib/cli/index.js and
// exits with the code it resolves to.
require('../lib/cli')
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`leakguard: ${err && err.stack ? err.stack : err}\n`);
      process.exitCode = 1;
    },
  );
