'use strict';
// The documentation names only what exists: every relative link and every
// backticked project path in README.md and docs/*.md resolves to a file or
// folder of the project, and the README stays one page.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const PAGES = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
// Paths are backticked text starting with one of the project's top-level
// folders or naming a root file; generated build outputs are allowed to be
// absent in a fresh clone.
const TOP = /^(lib|src|bin|bench|examples|__test__|docs|npm|scripts|\.ci)\//;
const ROOT_FILES = /^(index|register|binding)\.(js|mjs|d\.ts)$|^(package\.json|Cargo\.toml|README\.md|eslint\.config\.js)$/;
const GENERATED = new Set(['binding.js', 'binding.d.ts']);

function withoutCodeBlocks(text) {
  return text.replace(/^```[\s\S]*?^```/gm, '');
}

/** [{ page, target }] for every relative Markdown link. */
function links(page) {
  const text = withoutCodeBlocks(fs.readFileSync(path.join(ROOT, page), 'utf8'));
  const out = [];
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1];
    if (/^[a-z]+:/i.test(target) || target.startsWith('#')) continue;
    out.push({ page, target: target.split('#')[0] });
  }
  return out;
}

/** [{ page, target }] for every backticked project path. */
function paths(page) {
  const text = withoutCodeBlocks(fs.readFileSync(path.join(ROOT, page), 'utf8'));
  const out = [];
  for (const m of text.matchAll(/`([^`\s]+)`/g)) {
    const target = m[1].replace(/[:#].*$/, '').replace(/[),.;]+$/, '');
    if (target.includes('<') || target.includes('*')) continue; // a pattern, not a path
    if (TOP.test(target) || ROOT_FILES.test(target)) out.push({ page, target });
  }
  return out;
}

test('every relative link in README.md and docs/ resolves', () => {
  const all = PAGES.flatMap(links);
  assert.ok(all.length > 20, `links found: ${all.length}`);
  const missing = all.filter(({ page, target }) => !fs.existsSync(path.resolve(ROOT, path.dirname(page), target)));
  assert.deepEqual(missing, []);
});

test('every backticked project path in README.md and docs/ exists', () => {
  const all = PAGES.flatMap(paths);
  assert.ok(all.length > 20, `paths found: ${all.length}`);
  const missing = all.filter(({ target }) => !GENERATED.has(target) && !fs.existsSync(path.join(ROOT, target)));
  assert.deepEqual(missing, []);
});

test('the README is one page and the docs carry no run history', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  assert.ok(readme.split('\n').length <= 300, `README.md has ${readme.split('\n').length} lines`);
  for (const page of [...PAGES, 'bench/RESULTS.md']) {
    const text = fs.readFileSync(path.join(ROOT, page), 'utf8');
    assert.doesNotMatch(text, /load average|this pass|DESIGN\.md|\b\d\d:\d\d UTC\b/i, page);
  }
});

test('the helper finds what it should: a link and a path that do not exist are reported', () => {
  const text = 'see [x](docs/nope.md) and `lib/nope/index.js`';
  assert.equal([...text.matchAll(/\]\(([^)\s]+)\)/g)].length, 1);
  assert.ok(TOP.test('lib/nope/index.js') && !fs.existsSync(path.join(ROOT, 'lib/nope/index.js')));
});

test('every error code is in the README table and mirrored in src/errors.rs', () => {
  const { CODES } = require('../lib/internal/errors');
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const rust = fs.readFileSync(path.join(ROOT, 'src', 'errors.rs'), 'utf8');
  const rustCodes = new Set(rust.match(/"ERR_LEAKGUARD_[A-Z_]+"/g).map((s) => s.slice(1, -1)));
  for (const code of Object.values(CODES)) {
    assert.ok(readme.includes(`| \`${code}\` |`), `${code} in the README's table`);
    assert.ok(rustCodes.has(code), `${code} in src/errors.rs`);
  }
  assert.deepEqual([...rustCodes].sort(), Object.values(CODES).sort(), 'no code only on one side');
});
