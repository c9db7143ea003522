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

/** The relative link targets in Markdown text (outside code blocks). */
function linksIn(text) {
  const out = [];
  for (const m of withoutCodeBlocks(text).matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1];
    if (/^[a-z]+:/i.test(target) || target.startsWith('#')) continue;
    out.push(target.split('#')[0]);
  }
  return out;
}

/** The backticked project paths in Markdown text (outside code blocks). */
function pathsIn(text) {
  const out = [];
  for (const m of withoutCodeBlocks(text).matchAll(/`([^`\s]+)`/g)) {
    const target = m[1].replace(/[:#].*$/, '').replace(/[),.;]+$/, '');
    if (target.includes('<') || target.includes('*')) continue; // a pattern, not a path
    if (TOP.test(target) || ROOT_FILES.test(target)) out.push(target);
  }
  return out;
}

const read = (page) => fs.readFileSync(path.join(ROOT, page), 'utf8');
const links = (page) => linksIn(read(page)).map((target) => ({ page, target }));
const paths = (page) => pathsIn(read(page)).map((target) => ({ page, target }));

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

test('the scanners find links and paths, and skip code blocks, URLs and patterns', () => {
  const text = [
    'see [a](docs/nope.md), [b](https://example.com/x), [c](#anchor) and `lib/nope/index.js:12`,',
    '`src/<capability>/`, `leakguard.*.node`, `index.js`, and a word `like-this`.',
    '```sh',
    'cat [d](docs/in-a-block.md) `lib/in-a-block.js`',
    '```',
  ].join('\n');
  assert.deepEqual(linksIn(text), ['docs/nope.md']);
  assert.deepEqual(pathsIn(text), ['lib/nope/index.js', 'index.js']);
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
