'use strict';
// patchTimers() / unpatchTimers() / timers(): installs leakguard's
// setTimeout/setInterval/clearTimeout/clearInterval on globalThis and on
// require('timers') (then syncs the ESM named exports), and lists live timers
// by call site. The handles and the per-site rows live in lib/timers/registry.js.
//
// Must never: call the real Timeout's Symbol.toPrimitive, touch setImmediate
// or timers/promises, keep the process alive, or leave anything changed after
// unpatchTimers() (it puts back the exact original function objects).

const nodeTimers = require('node:timers');
const { syncBuiltinESMExports } = require('node:module');
const { createRegistry, LeakguardTimeout, timerDuration, onFire } = require('./registry');
const { checkOptions } = require('../internal/options');

const NAMES = ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'];

let registry = null;
let saved = null; // { global: {name: fn}, module: {name: fn} } while patched

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
  const r = registry;
  const handle = new LeakguardTimeout(callback, timerDuration(after), args, false, r.rowFor(callback, false, setTimeout));
  handle.timer = r.native.setTimeout(onFire, handle.delay, handle);
  r.started(handle);
  return handle;
}

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
  const r = registry;
  const handle = new LeakguardTimeout(callback, timerDuration(repeat), args, true, r.rowFor(callback, true, setInterval));
  handle.timer = r.native.setInterval(onFire, handle.delay, handle);
  r.started(handle);
  return handle;
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
  const global = {};
  const module = {};
  for (const name of NAMES) {
    global[name] = globalThis[name];
    module[name] = nodeTimers[name];
  }
  const native = {
    setTimeout: module.setTimeout,
    setInterval: module.setInterval,
    clearTimeout: module.clearTimeout,
    clearInterval: module.clearInterval,
  };
  if (registry === null) registry = createRegistry(native);
  else registry.native = native;
  for (const name of NAMES) copySymbols(native[name], PATCHED[name]);
  saved = { global, module };
  for (const name of NAMES) {
    globalThis[name] = PATCHED[name];
    nodeTimers[name] = PATCHED[name];
  }
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
  for (const name of NAMES) {
    globalThis[name] = saved.global[name];
    nodeTimers[name] = saved.module[name];
  }
  saved = null;
  syncBuiltinESMExports();
  registry.stopClock();
  return true;
}

/** Whether the patch is installed. */
function timersPatched() {
  return saved !== null;
}

/** Live timers created through the patch, grouped by (call site, kind), most live first. */
function timers() {
  return registry === null ? [] : registry.list();
}

module.exports = { patchTimers, unpatchTimers, timers, timersPatched, LeakguardTimeout };
