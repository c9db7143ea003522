'use strict';
// The Map contract: the same assertions run against a real Map and against
// LruCache (workloads stay within the cache's bound), so "drop-in" means what
// Map does, not what we think Map does.
const test = require('node:test');
const assert = require('node:assert/strict');
const { LruCache } = require('../lib/cache');

const SUBJECTS = [
  ['Map', (entries) => new Map(entries)],
  ['LruCache', (entries) => new LruCache({ max: 1000 }, entries)],
];

for (const [label, make] of SUBJECTS) {
  test(`${label}: set returns the map; get/has/size/delete/clear`, () => {
    const m = make();
    assert.equal(m.set('a', 1), m);
    m.set('b', 2).set('c', 3);
    assert.equal(m.size, 3);
    assert.equal(m.get('a'), 1);
    assert.equal(m.get('zz'), undefined);
    assert.equal(m.has('b'), true);
    assert.equal(m.has('zz'), false);
    m.set('a', 10);
    assert.equal(m.size, 3, 'overwrite keeps size');
    assert.equal(m.get('a'), 10);
    assert.equal(m.delete('b'), true);
    assert.equal(m.delete('b'), false);
    assert.equal(m.has('b'), false);
    assert.equal(m.size, 2);
    assert.equal(m.clear(), undefined);
    assert.equal(m.size, 0);
    assert.deepEqual([...m], []);
  });

  test(`${label}: keys use SameValueZero`, () => {
    const m = make();
    const obj = {};
    const sym = Symbol('s');
    m.set(NaN, 'nan');
    assert.equal(m.get(NaN), 'nan');
    assert.equal(m.has(Number.NaN), true);
    m.set(-0, 'zero');
    assert.equal(m.get(0), 'zero');
    assert.equal(m.get(-0), 'zero');
    assert.ok(Object.is([...m.keys()][1], 0), '-0 is stored as +0');
    m.set(1, 'one');
    m.set('1', 'string one');
    assert.equal(m.get(1), 'one');
    assert.equal(m.get('1'), 'string one');
    m.set(obj, 'obj');
    assert.equal(m.get({}), undefined, 'objects by identity');
    assert.equal(m.get(obj), 'obj');
    m.set(sym, 'sym');
    assert.equal(m.get(Symbol('s')), undefined);
    assert.equal(m.get(sym), 'sym');
    m.set(null, 'null').set(undefined, 'undef');
    assert.equal(m.get(null), 'null');
    assert.equal(m.get(undefined), 'undef');
    assert.equal(m.size, 8);
  });

  test(`${label}: undefined is a valid value`, () => {
    const m = make();
    m.set('u', undefined);
    assert.equal(m.has('u'), true);
    assert.equal(m.get('u'), undefined);
    assert.equal(m.size, 1);
    assert.deepEqual([...m], [['u', undefined]]);
    assert.equal(m.delete('u'), true);
  });

  test(`${label}: insert-only iteration is insertion order; keys/values/entries agree`, () => {
    const m = make([
      ['x', 1],
      ['y', 2],
    ]);
    m.set('z', 3);
    assert.deepEqual([...m.keys()], ['x', 'y', 'z']);
    assert.deepEqual([...m.values()], [1, 2, 3]);
    assert.deepEqual([...m.entries()], [
      ['x', 1],
      ['y', 2],
      ['z', 3],
    ]);
    assert.deepEqual([...m], [...m.entries()]);
    assert.equal(m[Symbol.iterator], m.entries, '[Symbol.iterator] is entries');
    assert.deepEqual(Array.from(m), [...m.entries()]);
    assert.deepEqual(Object.fromEntries(m), { x: 1, y: 2, z: 3 });
    assert.deepEqual([...new Map(m)], [...m], 'new Map(cache) copies it');
  });

  test(`${label}: iterators are iterable and stay done`, () => {
    const m = make([['a', 1]]);
    const it = m.keys();
    assert.equal(it[Symbol.iterator](), it);
    assert.deepEqual(it.next(), { value: 'a', done: false });
    assert.deepEqual(it.next(), { value: undefined, done: true });
    m.set('b', 2);
    assert.deepEqual(it.next(), { value: undefined, done: true }, 'a finished iterator stays finished');
    assert.equal(typeof Object.prototype.toString.call(it), 'string');
  });

  test(`${label}: an iterator created before inserts sees them`, () => {
    const m = make([['a', 1]]);
    const it = m.keys();
    m.set('b', 2);
    assert.deepEqual([...it], ['a', 'b']);
  });

  test(`${label}: forEach(value, key, map) with thisArg`, () => {
    const m = make([
      ['a', 1],
      ['b', 2],
    ]);
    const seen = [];
    const ctx = { tag: 't' };
    m.forEach(function (value, key, map) {
      seen.push([value, key, map === m, this.tag]);
    }, ctx);
    assert.deepEqual(seen, [
      [1, 'a', true, 't'],
      [2, 'b', true, 't'],
    ]);
    assert.throws(() => m.forEach(42), TypeError);
    assert.throws(
      () =>
        m.forEach(() => {
          throw new Error('from callback');
        }),
      /from callback/,
      'a throwing callback propagates, as with Map',
    );
    assert.equal(m.size, 2);
  });

  test(`${label}: deleting during iteration (current and later) visits the rest`, () => {
    const m = make();
    for (let i = 0; i < 10; i++) m.set(i, i);
    const seen = [];
    for (const [k] of m) {
      seen.push(k);
      m.delete(k);
      if (k === 2) m.delete(5);
    }
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 6, 7, 8, 9]);
    assert.equal(m.size, 0);
  });

  test(`${label}: inserting during iteration visits the new keys once`, () => {
    const m = make([
      ['a', 1],
      ['b', 2],
    ]);
    const seen = [];
    for (const [k] of m) {
      seen.push(k);
      if (k === 'a') m.set('c', 3);
      if (k === 'c') m.set('d', 4);
    }
    assert.deepEqual(seen, ['a', 'b', 'c', 'd']);
  });

  test(`${label}: updating existing keys during iteration terminates and visits each once`, () => {
    const m = make();
    for (let i = 0; i < 5; i++) m.set(i, i);
    const seen = [];
    for (const [k, v] of m) {
      seen.push(k);
      m.set(k, v * 10);
      m.get(k);
    }
    assert.deepEqual(seen, [0, 1, 2, 3, 4]);
    assert.equal(m.get(3), 30);
  });

  test(`${label}: clear during iteration ends it`, () => {
    const m = make([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    const seen = [];
    for (const [k] of m) {
      seen.push(k);
      m.clear();
    }
    assert.deepEqual(seen, ['a']);
  });

  test(`${label}: delete then re-add during iteration visits the key again at the end`, () => {
    const m = make([
      ['a', 1],
      ['b', 2],
    ]);
    const seen = [];
    for (const [k] of m) {
      seen.push(k);
      if (k === 'a' && seen.length === 1) {
        m.delete('a');
        m.set('a', 9);
      }
    }
    assert.deepEqual(seen, ['a', 'b', 'a']);
  });

  test(`${label}: the constructor refuses a non-entry`, () => {
    assert.throws(() => make([1]), TypeError);
  });

  test(`${label}: has a string toStringTag`, () => {
    const m = make();
    assert.equal(typeof m[Symbol.toStringTag], 'string');
    assert.match(Object.prototype.toString.call(m), /^\[object (Map|LruCache)\]$/);
  });
}
