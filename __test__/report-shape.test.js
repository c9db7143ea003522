'use strict';
// The empty report (before any start()), a live report and the declared
// `Report` type (lib/sampler/index.d.ts, read with the TypeScript compiler
// API) agree on every field, both ways: no field a report has is undeclared,
// no required field is missing, each value has a declared type, and the empty
// and live reports have the same fields (apart from those only a running
// sampler knows, ONLY_WHILE_RUNNING in lib/sampler/report-fields.js).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const ts = require('typescript');

const lg = require('..');
const sampler = require('../lib/sampler');
const { flush } = require('../lib/internal/unsafe-internals').unsafeExposeInternals('sampler');
const { ONLY_WHILE_RUNNING } = require('../lib/sampler/report-fields');

const DTS = path.join(__dirname, '..', 'lib', 'sampler', 'index.d.ts');

/** The checker and the declared type of `Report`. */
function declaredReport() {
  const program = ts.createProgram([DTS], { strict: true, noEmit: true, types: [] });
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(DTS);
  const decl = file.statements.find((s) => ts.isInterfaceDeclaration(s) && s.name.text === 'Report');
  assert.ok(decl, 'lib/sampler/index.d.ts declares interface Report');
  return { checker, type: checker.getTypeAtLocation(decl.name) };
}

/** The kinds of JSON value a declared type allows: 'number', 'string', 'boolean', 'null', 'array', 'object'. */
function kindsOf(checker, type) {
  const kinds = new Set();
  for (const t of type.isUnion() ? type.types : [type]) {
    const f = t.flags;
    if (f & ts.TypeFlags.NumberLike) kinds.add('number');
    else if (f & ts.TypeFlags.StringLike) kinds.add('string');
    else if (f & ts.TypeFlags.BooleanLike) kinds.add('boolean');
    else if (f & ts.TypeFlags.Null) kinds.add('null');
    else if (f & ts.TypeFlags.Undefined) continue;
    else if (checker.isArrayType(t)) kinds.add('array');
    else if (f & ts.TypeFlags.Object || f & ts.TypeFlags.Intersection) kinds.add('object');
  }
  return kinds;
}

function kindOfValue(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** The object (or array) part of a declared union. */
function part(checker, type, kind) {
  return (type.isUnion() ? type.types : [type]).find((t) =>
    kind === 'array' ? checker.isArrayType(t) : !checker.isArrayType(t) && (t.flags & ts.TypeFlags.Object || t.flags & ts.TypeFlags.Intersection),
  );
}

/** Every disagreement between `value` and declared `type`, as "path: what". */
function mismatches(checker, value, type, at, out = []) {
  const kind = kindOfValue(value);
  const allowed = kindsOf(checker, type);
  if (!allowed.has(kind)) {
    out.push(`${at}: a ${kind}, declared ${checker.typeToString(type)}`);
    return out;
  }
  if (kind === 'array') {
    const element = checker.getTypeArguments(part(checker, type, 'array'))[0];
    value.forEach((v, i) => mismatches(checker, v, element, `${at}[${i}]`, out));
  } else if (kind === 'object') {
    const objectType = part(checker, type, 'object');
    const props = new Map(checker.getPropertiesOfType(objectType).map((p) => [p.name, p]));
    for (const key of Object.keys(value)) {
      if (!props.has(key)) out.push(`${at}.${key}: in the report, not declared`);
    }
    for (const [name, prop] of props) {
      const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
      if (!(name in value)) {
        if (!optional) out.push(`${at}.${name}: declared required, not in the report`);
        continue;
      }
      mismatches(checker, value[name], checker.getTypeOfSymbol(prop), `${at}.${name}`, out);
    }
  }
  return out;
}

/** The paths of the fields a declared object type has (arrays are not entered). */
function declaredPaths(checker, type, at = '', out = []) {
  const objectType = part(checker, type, 'object');
  if (objectType === undefined) return out;
  for (const prop of checker.getPropertiesOfType(objectType)) {
    const p = at === '' ? prop.name : `${at}.${prop.name}`;
    out.push(p);
    declaredPaths(checker, checker.getTypeOfSymbol(prop), p, out);
  }
  return out;
}

/** The paths of the object fields of a report (arrays are not entered). */
function fieldPaths(value, at = '', out = []) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const key of Object.keys(value)) {
    const p = at === '' ? key : `${at}.${key}`;
    out.push(p);
    fieldPaths(value[key], p, out);
  }
  return out;
}

test('the empty report, a live report and the Report type agree on every field', async () => {
  const { checker, type } = declaredReport();
  assert.equal(sampler.report().running, false, 'nothing started yet');
  const empty = sampler.report();

  lg.start({ intervalMs: 50, windowMs: 200, warmupMs: 0, minSiteGrowth: 5 });
  const intervals = [];
  let live;
  try {
    // A growing interval site: a live report with a suspect in it.
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 10; i++) intervals.push(setInterval(() => {}, 60_000));
      await new Promise((resolve) => setTimeout(resolve, 60));
      flush();
    }
    live = sampler.report();
  } finally {
    for (const t of intervals) clearInterval(t);
    lg.stop();
  }
  const last = sampler.report();

  assert.equal(live.running, true);
  assert.ok(live.heap.samples > 0, 'the live report has samples');
  assert.ok(live.suspects.length > 0, 'the live report names a suspect, so the suspect fields are checked too');
  for (const [name, r] of [['empty report', empty], ['live report', live], ['last report after stop()', last]]) {
    assert.deepEqual(mismatches(checker, r, type, 'report'), [], `the ${name} matches the Report type`);
  }
  const skip = (p) => ONLY_WHILE_RUNNING.some((only) => p === only || p.startsWith(`${only}.`));
  assert.deepEqual(fieldPaths(empty).filter((p) => !skip(p)), fieldPaths(live).filter((p) => !skip(p)), 'the empty and the live report have the same fields');
  // Both ways: every declared field is in a live report, but for what a
  // running sampler adds only at times (ONLY_WHILE_RUNNING) and the inside
  // of a field that is null now (nearHeapLimit far from the limit).
  const seen = new Set(fieldPaths(live));
  const underNull = (p) => seen.has(p.slice(0, p.lastIndexOf('.'))) && p.slice(0, p.lastIndexOf('.')).split('.').reduce((v, k) => v?.[k], live) === null;
  assert.deepEqual(declaredPaths(checker, type).filter((p) => !seen.has(p) && !skip(p) && !underNull(p)), [], 'every declared field is in a live report');
});

test('the comparison sees a missing field, an undeclared one and a wrong type', () => {
  const { checker, type } = declaredReport();
  const r = JSON.parse(JSON.stringify(sampler.report()));
  delete r.heap.nativeSlopeBytesPerSec;
  r.heap.madeUp = 1;
  r.leaking = 'no';
  assert.deepEqual(mismatches(checker, r, type, 'report').sort(), [
    'report.heap.madeUp: in the report, not declared',
    'report.heap.nativeSlopeBytesPerSec: declared required, not in the report',
    'report.leaking: a string, declared boolean',
  ]);
});
