// The preload entry for ESM: `node --import leakguard/register app.mjs`.
import './register.js';
