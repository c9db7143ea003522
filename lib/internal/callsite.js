'use strict';
// The one call-site parser. Turns V8 stack text into frames and picks the
// frame a user should look at: the nearest one that is neither Node's own
// (`node:` / `internal/`) nor leakguard's. Frames under node_modules are kept
// but marked, so a report can say "inside a dependency, called from here".
//
// Sites are 1-based (line and column as stack traces print them) and `file` is
// an absolute path, never a file:// URL, or, for code that has no file
// ([eval], a REPL line, a vm script), the name its stack frames print.

const path = require('node:path');
const { fileURLToPath } = require('node:url');

const ROOT = path.resolve(__dirname, '..', '..');
// leakguard's own runtime files; its tests, examples and benches are user code.
const OWN = [path.join(ROOT, 'lib') + path.sep, path.join(ROOT, 'index.'), path.join(ROOT, 'register.'), path.join(ROOT, 'binding.js')];

const { mapSite } = require('./source-map');

const FRAME = /^\s*at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?$/;

function toPath(location) {
  if (location.startsWith('file://')) {
    try {
      return fileURLToPath(location);
    } catch {
      return location;
    }
  }
  return location;
}

// Node's own code: `node:` modules, the `internal/` paths some builds print,
// and the wrapper `node -e` runs its script in. Other locations that are not
// paths ([eval], [stdin], REPL lines, vm scripts, webpack-internal:///…)
// are the user's code without a file on disk: their sites are kept as
// printed, and attribution reads their source through the inspector.
function isInternal(file) {
  return file.startsWith('node:') || file.startsWith('internal/') || file === '[eval]-wrapper' || file === 'native';
}

function isOwn(file) {
  for (const prefix of OWN) if (file.startsWith(prefix)) return true;
  return false;
}

/** Parses one "    at fn (/file.js:1:2)" line; null when it names no file position. */
function parseFrame(line) {
  const m = FRAME.exec(line);
  if (m === null) return null;
  let functionName = m[1] === undefined ? null : m[1];
  if (functionName !== null && functionName.startsWith('async ')) functionName = functionName.slice(6);
  const location = m[2];
  if (location.includes('(') || location.startsWith('<')) return null; // eval / anonymous scripts
  const file = toPath(location);
  return {
    file,
    line: Number(m[3]),
    column: Number(m[4]),
    functionName,
    nodeModules: file.includes(`${path.sep}node_modules${path.sep}`),
    internal: isInternal(file),
    own: isOwn(file),
  };
}

/** Parses V8 stack text (the `stack` of an Error) into frames, skipping the message. */
function parseStack(stack) {
  const frames = [];
  if (typeof stack !== 'string') return frames;
  for (const line of stack.split('\n')) {
    if (!line.startsWith('    at ')) continue;
    const frame = parseFrame(line);
    if (frame !== null) frames.push(frame);
  }
  return frames;
}

/** Frames a user can act on: not Node's, not leakguard's. */
function userFrames(frames) {
  return frames.filter((f) => !f.internal && !f.own);
}

/** A site as reports carry it, at its original position under source maps. */
function toSite(frame) {
  return mapSite({
    file: frame.file,
    line: frame.line,
    column: frame.column,
    functionName: frame.functionName,
    nodeModules: frame.nodeModules,
  });
}

/**
 * The one stack capture: `Error.captureStackTrace(holder, below)` with
 * `Error.stackTraceLimit` set to `limit` (and `Error.prepareStackTrace` to
 * `prepare`, when given) for the capture only, then put back. Returns what
 * `holder.stack` reads (text, or what `prepare` returned), or undefined when
 * nothing could be captured. Tolerates a frozen or locked-down `Error` (the
 * capture then uses whatever limit and formatter are in place): leakguard
 * must never fail a user's call because a stack could not be read.
 */
function captureStack(below, limit, prepare) {
  const holder = {};
  let savedLimit;
  let savedPrepare;
  let changed = false;
  try {
    savedLimit = Error.stackTraceLimit;
    savedPrepare = Error.prepareStackTrace;
    changed = true;
    if (prepare !== undefined) Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  } catch {
    // Error is frozen (or its fields are read-only): capture as it is.
  }
  try {
    Error.captureStackTrace(holder, below);
    // Read here: the stack is formatted on first read, with the formatter in place then.
    return holder.stack;
  } catch {
    return undefined;
  } finally {
    if (changed) {
      try {
        Error.stackTraceLimit = savedLimit;
        if (prepare !== undefined) Error.prepareStackTrace = savedPrepare;
      } catch {
        // Nothing was changed that needs putting back.
      }
    }
  }
}

const structured = (_, callSites) => callSites;

/**
 * "file:line:column" of the frame that called `below` (one structured frame,
 * no text formatting), or '<unknown>' when it cannot be read. A key, not a
 * site: only compared with other keys of this process.
 */
function callerLocation(below) {
  const frames = captureStack(below, 1, structured);
  if (Array.isArray(frames)) {
    const frame = frames[0];
    if (frame === undefined) return '<unknown>';
    return `${frame.getFileName()}:${frame.getLineNumber()}:${frame.getColumnNumber()}`;
  }
  // A frozen Error kept its own formatter: read the text instead.
  const frame = parseStack(frames)[0];
  return frame === undefined ? '<unknown>' : `${frame.file}:${frame.line}:${frame.column}`;
}

/** The frames of the current stack above `below` (at most `limit`), leakguard's own included. */
function stackFrames(below, limit = 16) {
  return parseStack(captureStack(below, limit));
}

/**
 * Captures the current stack (above `below`, a function) and returns
 * { site, stack } for the nearest user frame, or null when there is none.
 * Costs microseconds: call once per distinct thing, not per operation.
 */
function captureSite(below, limit = 16) {
  const frames = userFrames(stackFrames(below, limit));
  if (frames.length === 0) return null;
  // Prefer the first frame outside node_modules: "your code called the
  // dependency that leaked" is the line a user can change.
  const mine = frames.find((f) => !f.nodeModules) ?? frames[0];
  return { site: toSite(mine), stack: frames.map(toSite) };
}

/** "file:line:column" of a site. */
function formatSite(site) {
  return site ? `${site.file}:${site.line}:${site.column}` : '<unknown>';
}

module.exports = { parseFrame, parseStack, userFrames, toSite, captureStack, callerLocation, stackFrames, captureSite, formatSite, ROOT };
