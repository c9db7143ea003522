'use strict';
// The one door for tests and benchmarks into leakguard's internals (as
// lru-cache's unsafeExposeInternals). A module with internals worth reaching
// hands them over here under a name with `expose`, at load; a test or bench
// asks for them by name with `unsafeExposeInternals`, which loads the owner
// first. No production module exports a test hook, nothing in lib/ calls
// `unsafeExposeInternals`, and nothing reached through it is public API: it
// changes with the code it exposes. docs/development.md lists the names.

/** Name → the module that exposes it (required on first ask). */
const OWNERS = Object.freeze({
  timers: '../timers/registry',
  sampler: '../sampler',
  listeners: '../listeners',
});

const exposed = new Map();

/** Called by an owner module at load: `internals` is what tests may reach. */
function expose(name, internals) {
  exposed.set(name, internals);
}

/** What the module owning `name` exposed; throws for an unknown name. */
function unsafeExposeInternals(name) {
  if (!Object.hasOwn(OWNERS, name)) {
    throw new Error(`leakguard: no internals named ${JSON.stringify(name)} (known: ${Object.keys(OWNERS).join(', ')})`);
  }
  require(OWNERS[name]);
  return exposed.get(name);
}

module.exports = { expose, unsafeExposeInternals };
