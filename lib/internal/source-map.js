'use strict';
// Original positions for sites in compiled code (TypeScript, bundles).
//
// When the process runs with --enable-source-maps (or calls
// process.setSourceMapsEnabled(true) before loading the code), Node keeps the
// source map of every module it loads; module.findSourceMap(file) returns it.
// Sites are formed from two kinds of positions: stack text, which Node has
// already rewritten to the original file when source maps are on, and V8
// profile positions, which are always in the generated file. mapSite() maps
// the second kind and leaves the first alone (an original file has no source
// map of its own), so it may be applied to every site leakguard forms: timers,
// listeners and allocations alike.
//
// Costs nothing when source maps are off (one property read). Never throws.

const path = require('node:path');
const { fileURLToPath } = require('node:url');

let findSourceMap = null;
try {
  ({ findSourceMap } = require('node:module'));
} catch {
  findSourceMap = null;
}

function enabled() {
  // process.sourceMapsEnabled exists from Node 20.7; before it, --enable-source-maps is in execArgv or NODE_OPTIONS.
  if (typeof process.sourceMapsEnabled === 'boolean') return process.sourceMapsEnabled;
  return process.execArgv.includes('--enable-source-maps') || String(process.env.NODE_OPTIONS || '').includes('--enable-source-maps');
}

function toPath(source, generatedFile) {
  if (typeof source !== 'string' || source === '') return generatedFile;
  if (source.startsWith('file://')) {
    try {
      return fileURLToPath(source);
    } catch {
      return source;
    }
  }
  if (path.isAbsolute(source)) return source;
  if (/^[a-z][a-z0-9+.-]*:/i.test(source)) return source; // webpack:// and the like: as the map names it
  return path.resolve(path.dirname(generatedFile), source);
}

/**
 * The original position of a 1-based (line, column) in `file`, or the same
 * position when the file has no source map (or the map has no entry there):
 * { file, line, column, mapped }.
 */
function mapPosition(file, line, column) {
  const same = { file, line, column, mapped: false };
  if (findSourceMap === null || typeof file !== 'string' || !Number.isInteger(line) || line < 1 || !enabled()) return same;
  try {
    const map = findSourceMap(file);
    if (map === undefined || map === null) return same;
    const entry = map.findEntry(line - 1, Math.max(0, (column ?? 1) - 1));
    if (!entry || typeof entry.originalLine !== 'number' || typeof entry.originalSource !== 'string') return same;
    return { file: toPath(entry.originalSource, file), line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1, mapped: true };
  } catch {
    return same;
  }
}

/** A report site at its original position (a new object), or the same site when nothing maps. */
function mapSite(site) {
  if (site === null || typeof site !== 'object' || !enabled()) return site;
  const at = mapPosition(site.file, site.line, site.column);
  if (!at.mapped) return site;
  return { ...site, file: at.file, line: at.line, column: at.column };
}

module.exports = { mapPosition, mapSite, enabled };
