'use strict';
// Writes what is derived from the settings table (lib/sampler/settings.js)
// into the files that state it to people and to TypeScript: the options table
// of docs/sampler.md and the StartOptions interface of lib/sampler/index.d.ts.
//
//   node scripts/settings-docs.js          rewrite both
//   node scripts/settings-docs.js --check  exit 1 when either is stale
//
// __test__/settings.test.js runs the check.

const fs = require('node:fs');
const path = require('node:path');
const { SETTINGS } = require('../lib/sampler/settings');

const ROOT = path.join(__dirname, '..');
const DOC = path.join(ROOT, 'docs', 'sampler.md');
const TYPES = path.join(ROOT, 'lib', 'sampler', 'index.d.ts');

const DOC_BEGIN = '<!-- options table: generated from lib/sampler/settings.js by scripts/settings-docs.js -->';
const DOC_END = '<!-- end of the options table -->';
const TYPES_BEGIN = 'export interface StartOptions {';
const TYPES_END = '\n}\n';

/** 600000 → '600 000' */
const grouped = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

/** ' (min … max)' when both bounds are fixed numbers, else ''. */
function rangeOf(r) {
  return typeof r.min === 'number' && typeof r.max === 'number' ? ` (${grouped(r.min)} … ${grouped(r.max)})` : '';
}

function docTable() {
  const rows = SETTINGS.map((r) => `| \`${r.name}\` | ${r.unit} | ${r.shown} | ${r.doc}${rangeOf(r)} |`);
  return [DOC_BEGIN, '| option | unit | default | meaning |', '|---|---|---|---|', ...rows, DOC_END].join('\n');
}

const TS_TYPES = { integer: 'number', number: 'number', boolean: 'boolean', string: 'string', path: 'string' };

function typesInterface() {
  const lines = [TYPES_BEGIN, '  // Generated from lib/sampler/settings.js by scripts/settings-docs.js.'];
  for (const r of SETTINGS) {
    const doc = r.doc.charAt(0).toUpperCase() + r.doc.slice(1);
    const unit = ['boolean', 'function', 'path'].includes(r.unit) ? '' : ` Unit: ${r.unit}.`;
    lines.push(`  /** ${doc}${rangeOf(r)}.${unit} Default ${r.shown.replace(/`/g, '')}. */`);
    lines.push(`  ${r.name}?: ${r.tsType ?? TS_TYPES[r.type]};`);
  }
  return lines.join('\n');
}

/** `text` with the part from `begin` up to (not including) `end` replaced by `fresh`. */
function replaced(text, begin, end, fresh, file) {
  const a = text.indexOf(begin);
  const b = a === -1 ? -1 : text.indexOf(end, a);
  if (b === -1) throw new Error(`${path.relative(ROOT, file)}: no generated section (${begin})`);
  return text.slice(0, a) + fresh + text.slice(b);
}

/** [file, what it holds now, what it should hold] for each derived file. */
function derived() {
  const doc = fs.readFileSync(DOC, 'utf8');
  const types = fs.readFileSync(TYPES, 'utf8');
  return [
    [DOC, doc, replaced(doc, DOC_BEGIN, DOC_END, docTable().slice(0, -DOC_END.length), DOC)],
    [TYPES, types, replaced(types, TYPES_BEGIN, TYPES_END, typesInterface(), TYPES)],
  ];
}

if (require.main === module) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [file, now, want] of derived()) {
    if (now === want) continue;
    stale++;
    if (check) console.error(`${path.relative(ROOT, file)} is stale: run node scripts/settings-docs.js`);
    else fs.writeFileSync(file, want);
  }
  if (check && stale !== 0) process.exitCode = 1;
}

module.exports = { derived };
