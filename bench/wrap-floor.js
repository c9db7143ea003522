'use strict';
// A preload for bench/http-realistic.js: wraps the six EventEmitter methods
// the listener ledger wraps (on, addListener, prependListener, off,
// removeListener, removeAllListeners) with functions that only call the
// original, keeping `on === addListener` and `off === removeListener` as the
// ledger does. What it costs is the floor of any listener ledger that works
// by wrapping those methods in JavaScript: the ledger's own work comes on top.
//
// With LEAKGUARD_FLOOR=lookups each wrapper also does the two lookups an exact
// ledger cannot do without, and nothing else: an add looks its listener up
// in a WeakMap (what the ledger knows of a function), and a removal looks for
// a private field on the emitter (where the ledger keeps what it charged to
// that emitter). Both miss here, as they do for most of Node's own adds and
// removals.

const { EventEmitter } = require('node:events');
// The ledger's own lookup of an emitter's book (loading the module starts nothing).
const { BookSlot } = require('../lib/internal/unsafe-internals').unsafeExposeInternals('listeners');

const LOOKUPS = process.env.LEAKGUARD_FLOOR === 'lookups';
const known = new WeakMap();
let found = 0;

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

function lookupAdd(original) {
  return function add(type, listener) {
    const result = original.call(this, type, listener);
    if (known.get(listener) !== undefined) found++;
    return result;
  };
}

function lookupRemove(original) {
  return function removeListener(type, listener) {
    const result = original.call(this, type, listener);
    if (BookSlot.get(this) !== undefined) found++;
    return result;
  };
}

function lookupRemoveAll(original) {
  return function removeAllListeners(type) {
    if (BookSlot.get(this) !== undefined) found++;
    return arguments.length === 0 ? original.call(this) : original.call(this, type);
  };
}

const [add, remove, removeAll] = LOOKUPS ? [lookupAdd, lookupRemove, lookupRemoveAll] : [wrapAdd, wrapAdd, wrapRemoveAll];

for (const [name, make] of [
  ['on', add],
  ['addListener', add],
  ['prependListener', add],
  ['off', remove],
  ['removeListener', remove],
  ['removeAllListeners', removeAll],
]) {
  const original = proto[name];
  if (!made.has(original)) made.set(original, make(original));
  proto[name] = made.get(original);
}

// Read once at exit, so the lookups cannot be optimised away.
process.on('exit', () => {
  if (found < 0) console.log(found);
});
