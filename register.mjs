// The preload entry for ESM: `node --import leakguard/register app.mjs`.
// Same process-wide sampler as the CommonJS preload (register.js).
import './register.js';
