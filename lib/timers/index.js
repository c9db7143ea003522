'use strict';
// The timers patch: patchTimers() / unpatchTimers() / timers().
//
// How and why
// -----------
// A leak through timers is a timer that stays live (an interval never
// cleared, a timeout re-armed per request) or a handle that keeps what its
// timer no longer needs. patchTimers() installs leakguard's setTimeout,
// setInterval, clearTimeout and clearInterval on globalThis and on
// require('timers') (then syncs the ESM named exports); each returns a
// LeakguardTimeout (lib/timers/registry.js) that owns Node's real Timeout only
// while it is live, and counts it in the row of its call site (found by
// lib/timers/sites.js, mostly without a stack), a row of the shared stats
// table that the Rust sampler reads. timers() lists the live ones by site.
//
// The create/clear path is the hot path: no closure and no Node-API call per
// timer, nothing allocated but the handle and Node's own Timeout. Argument handling mirrors Node's
// (a non-function callback reaches Node's own validation and error).
//
// Must never: call the real Timeout's Symbol.toPrimitive, touch setImmediate
// or timers/promises, keep the process alive, or leave anything changed after
// unpatchTimers() (it puts back the exact original function objects), nor
// undo what another library installed: a function that was wrapped again
// after leakguard's (an APM agent's timer instrumentation) is left in place,
// and leakguard's function inside that chain passes calls straight to Node's
// until a later patchTimers() (a LEAKGUARD_WRAPPED_AFTER warning, once).

const nodeTimers = require('node:timers');
const { syncBuiltinESMExports } = require('node:module');
const { createRegistry, LeakguardTimeout, timerDuration, startReal, legacy } = require('./registry');
const { checkOptions } = require('../internal/options');
const { WARNINGS, warnOnce } = require('../internal/errors');

const NAMES = ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'];
// Deprecated functions of require('timers') that take a timer object; wrapped
// while patched so that, given a LeakguardTimeout, they act on it as on a
// Node Timeout (registry.js, `legacy`) instead of enlisting the handle itself
// in Node's timer lists. Anything else goes to Node's function untouched.
const LEGACY = ['active', '_unrefActive', 'enroll', 'unenroll'];
const legacyWrappers = new WeakMap(); // Node's function → its wrapper (one per original, reused)

let registry = null;
let saved = null; // { global: {name: fn}, module: {name: fn} } while patched
// After an unpatch that found leakguard's functions wrapped by someone else:
// the originals (as `saved`) and the names left in each chain.
let stranded = null; // { global, module, kept: Set<'global.name' | 'module.name'> }
let counting = true; // false while leakguard's functions are only links in another library's chain

function setTimeout(callback, after, arg1, arg2, arg3) {
  // Node's own validation throws its own ERR_INVALID_ARG_TYPE.
  if (typeof callback !== 'function') return registry.native.setTimeout(callback);
  let args;
  switch (arguments.length) {
    case 1:
    case 2:
      break;
    case 3:
      args = [arg1];
      break;
    case 4:
      args = [arg1, arg2];
      break;
    default:
      args = [arg1, arg2, arg3];
      for (let i = 5; i < arguments.length; i++) args.push(arguments[i]);
  }
  if (!counting) return passThrough(registry.native.setTimeout, callback, after, args);
  const r = registry;
  r.created++;
  // Coerced once (a valueOf runs once, as in Node); Node's own Timeout gets
  // the number and warns as the running Node does.
  const delay = after === undefined ? undefined : after * 1;
  const handle = new LeakguardTimeout(callback, timerDuration(delay), args, false, r.sites.rowFor(callback, false, setTimeout));
  startReal(r.native.setTimeout, handle, delay);
  r.started(handle);
  return handle;
}

// The same shape as setTimeout, kept apart on purpose: each reads its own
// `arguments` (handing it to a shared helper would materialise it on every
// call), and each keeps its own type feedback on the hot path.
function setInterval(callback, repeat, arg1, arg2, arg3) {
  if (typeof callback !== 'function') return registry.native.setInterval(callback);
  let args;
  switch (arguments.length) {
    case 1:
    case 2:
      break;
    case 3:
      args = [arg1];
      break;
    case 4:
      args = [arg1, arg2];
      break;
    default:
      args = [arg1, arg2, arg3];
      for (let i = 5; i < arguments.length; i++) args.push(arguments[i]);
  }
  if (!counting) return passThrough(registry.native.setInterval, callback, repeat, args);
  const r = registry;
  r.created++;
  const delay = repeat === undefined ? undefined : repeat * 1;
  const handle = new LeakguardTimeout(callback, timerDuration(delay), args, true, r.sites.rowFor(callback, true, setInterval));
  startReal(r.native.setInterval, handle, delay);
  r.started(handle);
  return handle;
}

/** Node's function with the caller's arguments, as given (leakguard's is a link in another library's chain). */
function passThrough(native, callback, delay, args) {
  return args === undefined ? native(callback, delay) : native(callback, delay, ...args);
}

function clearTimeout(timer) {
  // Anything not ours (a native Timeout made before the patch, an id Node
  // knows, null) goes to Node, which clears it or ignores it as it always did.
  if (timer instanceof LeakguardTimeout) registry.clearHandle(timer);
  else if (!registry.clearById(timer)) registry.native.clearTimeout(timer);
}

// Interchangeable with clearTimeout, as in Node and the HTML spec.
function clearInterval(timer) {
  clearTimeout(timer);
}

const PATCHED = { setTimeout, setInterval, clearTimeout, clearInterval };

// Each wrapper first calls Node's function on an inert item (one its guards
// return early for, or a throwaway object), so that the deprecation warning,
// its once-per-process rule, --no-deprecation and enroll's validation of
// `msecs` are Node's own.
function makeLegacy(name, original) {
  switch (name) {
    case 'active':
    case '_unrefActive':
      return function active(item) {
        if (!(item instanceof LeakguardTimeout)) return Reflect.apply(original, this, arguments);
        original({ _idleTimeout: -1 });
        legacy.active(item, name === 'active');
      };
    case 'unenroll':
      return function unenroll(item) {
        if (!(item instanceof LeakguardTimeout)) return Reflect.apply(original, this, arguments);
        original({ _destroyed: true });
        legacy.unenroll(item);
      };
    default:
      return function enroll(item, msecs) {
        if (!(item instanceof LeakguardTimeout)) return Reflect.apply(original, this, arguments);
        const probe = {};
        original(probe, msecs);
        legacy.enroll(item, probe._idleTimeout);
      };
  }
}

function legacyWrapper(name, original) {
  let wrapper = legacyWrappers.get(original);
  if (wrapper === undefined) {
    wrapper = makeLegacy(name, original);
    legacyWrappers.set(original, wrapper);
  }
  return wrapper;
}

// Mirror the originals' symbol-keyed extras (util.promisify.custom on
// setTimeout resolves to timers/promises, which stays Node's own).
function copySymbols(from, to) {
  for (const key of Object.getOwnPropertySymbols(from)) {
    if (!Object.prototype.hasOwnProperty.call(to, key)) {
      Object.defineProperty(to, key, Object.getOwnPropertyDescriptor(from, key));
    }
  }
}

/**
 * Installs the patch (idempotent). Returns true when this call installed it,
 * false when it was already installed. It takes no options: an options object
 * with any name in it is refused rather than ignored.
 */
function patchTimers(options) {
  checkOptions('patchTimers', options);
  if (saved !== null) return false;
  if (stranded !== null) return repatch();
  const global = {};
  const module = {};
  for (const name of NAMES) {
    global[name] = globalThis[name];
    module[name] = nodeTimers[name];
  }
  for (const name of LEGACY) if (typeof nodeTimers[name] === 'function') module[name] = nodeTimers[name];
  const native = {
    setTimeout: module.setTimeout,
    setInterval: module.setInterval,
    clearTimeout: module.clearTimeout,
    clearInterval: module.clearInterval,
  };
  if (registry === null) registry = createRegistry(native);
  else registry.native = native;
  for (const name of NAMES) {
    copySymbols(native[name], PATCHED[name]);
    // Node's own arity, which differs between versions (`...args` or three
    // named extra arguments).
    Object.defineProperty(PATCHED[name], 'length', { value: native[name].length });
  }
  saved = { global, module };
  for (const name of NAMES) {
    globalThis[name] = PATCHED[name];
    nodeTimers[name] = PATCHED[name];
  }
  for (const name of LEGACY) if (module[name] !== undefined) nodeTimers[name] = legacyWrapper(name, module[name]);
  syncBuiltinESMExports();
  registry.startClock();
  return true;
}

/**
 * Puts back the exact functions found by patchTimers() (idempotent). Handles
 * already handed out keep working: their methods use the saved originals.
 * Returns true when this call removed the patch.
 */
function unpatchTimers() {
  if (saved === null) return false;
  const kept = new Set();
  // A function is put back only while it is still leakguard's own.
  const restore = (target, where, name, ours, original) => {
    if (target[name] === ours) target[name] = original;
    else kept.add(`${where}.${name}`);
  };
  for (const name of NAMES) {
    restore(globalThis, 'global', name, PATCHED[name], saved.global[name]);
    restore(nodeTimers, 'module', name, PATCHED[name], saved.module[name]);
  }
  for (const name of LEGACY) {
    if (saved.module[name] !== undefined) restore(nodeTimers, 'module', name, legacyWrappers.get(saved.module[name]), saved.module[name]);
  }
  if (kept.size > 0) {
    stranded = { ...saved, kept };
    counting = false;
    warnOnce(
      WARNINGS.WRAPPED_AFTER,
      `unpatchTimers() left ${[...kept].join(', ')} in place: another library wrapped leakguard's function after it, and putting Node's back would remove that wrapper; leakguard's function now only passes calls to Node's`,
      'timers',
    );
  }
  saved = null;
  syncBuiltinESMExports();
  registry.stopClock();
  return true;
}

/** patchTimers() after an unpatch that left leakguard's functions inside other chains: counting resumes there, and the rest is patched again. */
function repatch() {
  const prev = stranded;
  stranded = null;
  for (const name of NAMES) {
    if (!prev.kept.has(`global.${name}`)) globalThis[name] = PATCHED[name];
    if (!prev.kept.has(`module.${name}`)) nodeTimers[name] = PATCHED[name];
  }
  for (const name of LEGACY) {
    if (prev.module[name] !== undefined && !prev.kept.has(`module.${name}`)) nodeTimers[name] = legacyWrapper(name, prev.module[name]);
  }
  saved = { global: prev.global, module: prev.module };
  counting = true;
  syncBuiltinESMExports();
  registry.startClock();
  return true;
}

/** Whether the patch is installed. */
function timersPatched() {
  return saved !== null;
}

/** Handles made by the patched functions in this thread so far (the sampler's allocation estimate). Internal. */
function timersCreated() {
  return registry === null ? 0 : registry.created;
}

/** Live timers created through the patch, grouped by (call site, kind), most live first. */
function timers() {
  return registry === null ? [] : registry.list();
}

module.exports = { patchTimers, unpatchTimers, timers, timersPatched, timersCreated, LeakguardTimeout };
