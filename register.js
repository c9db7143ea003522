'use strict';
// The preload entry: `node -r leakguard/register app.js`.
// Placeholder until the timers (#4) and sampler (#6) issues land: it loads the
// addon so a missing build fails at start-up, not later.
require('./index.js');
