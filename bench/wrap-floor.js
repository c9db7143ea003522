'use strict';
// A preload for bench/http-realistic.js: wraps the six EventEmitter methods
// the listener ledger wraps (on, addListener, prependListener, off,
// removeListener, removeAllListeners) with functions that only call the
// original, keeping `on === addListener` and `off === removeListener` as the
// ledger does. What it costs is the floor of any listener ledger that works
// by wrapping those methods in JavaScript: the ledger's own work comes on top.

const { EventEmitter } = require('node:events');

const proto = EventEmitter.prototype;
const made = new Map();

function wrapAdd(original) {
  return function add(type, listener) {
    return original.call(this, type, listener);
  };
}

function wrapRemoveAll(original) {
  return function removeAllListeners(type) {
    return arguments.length === 0 ? original.call(this) : original.call(this, type);
  };
}

for (const [name, make] of [
  ['on', wrapAdd],
  ['addListener', wrapAdd],
  ['prependListener', wrapAdd],
  ['off', wrapAdd],
  ['removeListener', wrapAdd],
  ['removeAllListeners', wrapRemoveAll],
]) {
  const original = proto[name];
  if (!made.has(original)) made.set(original, make(original));
  proto[name] = made.get(original);
}
