'use strict';
// The one call-site reader. Turns the current stack into frames and picks
// the frame a user should look at: the nearest one that is neither Node's own
// (`node:` / `internal/`) nor leakguard's. Frames under node_modules are kept
// but marked, so a report can say "inside a dependency, called from here".
//
// Stacks are read as V8's structured call sites (the CallSite objects a
// prepareStackTrace receives: file, line, column, function name as fields),
// never by splitting the text V8 prints: a path may hold " (" itself
// ("Dropbox (Personal)", "C:\Program Files (x86)"). The capture installs its
// own formatter for the one capture and puts the user's back, so a user's
// Error.prepareStackTrace (source-map-support, an APM agent) is neither
// replaced nor called. Text is parsed only where no structure exists: a frozen
// Error that keeps the user's formatter, and frame lines built by callers.
//
// Sites are 1-based (line and column as stack traces print them) and `file` is
// an absolute path, never a file:// URL, or, for code that has no file
// ([eval], a REPL line, a vm script), the name its stack frames print.

const path = require('node:path');
const { fileURLToPath } = require('node:url');

const ROOT = path.resolve(__dirname, '..', '..');
// leakguard's own runtime files; its tests, examples and benches are user code.
const OWN = [path.join(ROOT, 'lib') + path.sep, path.join(ROOT, 'index.'), path.join(ROOT, 'register.'), path.join(ROOT, 'binding.js')];

const { mapSite, mapPosition, enabled: sourceMapsEnabled } = require('./source-map');

// "at <function> (<location>:line:column)" or "at <location>:line:column".
const FRAME = /^\s*at (.+):(\d+):(\d+)(\)?)$/;

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

/** A frame at `location` (a path, file:// URL or script name), or null for code with no name of its own. */
function makeFrame(location, line, column, functionName) {
  if (location === '' || location.startsWith('<') || location.startsWith('wasm://')) return null; // anonymous scripts, wasm
  const file = toPath(location);
  return {
    file,
    line,
    column,
    functionName,
    nodeModules: file.includes(`${path.sep}node_modules${path.sep}`),
    internal: isInternal(file),
    own: isOwn(file),
  };
}

/**
 * Parses one "    at fn (/file.js:1:2)" line; null when it names no file
 * position. The location of "fn (…)" is what the last parenthesis encloses,
 * parentheses in the path balanced ("Dropbox (Personal)").
 */
function parseFrame(line) {
  const m = FRAME.exec(line);
  if (m === null) return null;
  let head = m[1];
  let functionName = null;
  if (m[4] === ')') {
    let depth = 1;
    let i = head.length - 1;
    for (; i >= 0; i--) {
      const c = head.charCodeAt(i);
      if (c === 0x29) depth++;
      else if (c === 0x28 && --depth === 0) break;
    }
    if (i <= 0 || head[i - 1] !== ' ') return null;
    functionName = head.slice(0, i - 1);
    head = head.slice(i + 1);
    if (functionName.startsWith('async ')) functionName = functionName.slice(6);
  }
  if (head.startsWith('eval at ')) return null; // eval code: "eval at f (…), <anonymous>:1:1"
  return makeFrame(head, Number(m[2]), Number(m[3]), functionName);
}

/** Whether `s` is a string with something in it. */
function named(s) {
  return typeof s === 'string' && s !== '';
}

/**
 * The function of a call site as V8 prints it in a stack line (without
 * "async "): "Type.fn [as method]" for a method call, "new Fn" for a
 * construction, "fn" or null at top level. Reports and the listener ledger
 * read these names, so they stay what the stack text said.
 */
function functionText(cs) {
  const fn = cs.getFunctionName();
  if (cs.isConstructor()) return `new ${named(fn) ? fn : '<anonymous>'}`;
  if (cs.isToplevel()) return named(fn) ? fn : null;
  const type = cs.getTypeName();
  const method = cs.getMethodName();
  if (!named(fn)) return `${named(type) ? `${type}.` : ''}${named(method) ? method : '<anonymous>'}`;
  // A name with a dot is already qualified (`Module._load = function …`):
  // the stack text prints it as it is.
  let text = named(type) && !fn.includes('.') ? `${type}.${fn}` : fn;
  if (named(method) && fn !== method && !fn.endsWith(`.${method}`)) text += ` [as ${method}]`;
  return text;
}

/**
 * A frame from V8's structured call site `cs`; null when it names no file
 * position (native, unnamed eval, wasm). `mapped`: source maps are on, and
 * the position is taken to its original file, as Node's stack text would
 * print it (frames read from text were already mapped by Node).
 */
function frameOfCallSite(cs, mapped = false) {
  if (cs.isNative()) return null;
  // Eval code has a name only when it gave itself one (`//# sourceURL=`).
  const name = cs.getScriptNameOrSourceURL() || cs.getFileName();
  const line = cs.getLineNumber();
  const column = cs.getColumnNumber();
  if (typeof name !== 'string' || typeof line !== 'number' || typeof column !== 'number') return null;
  if (mapped && !name.startsWith('node:')) {
    const at = mapPosition(toPath(name), line, column);
    if (at.mapped) return makeFrame(at.file, at.line, at.column, functionText(cs));
  }
  return makeFrame(name, line, column, functionText(cs));
}

/** Frames of a capture: structured call sites, or stack text when a frozen Error kept its formatter. */
function framesOf(captured) {
  if (!Array.isArray(captured)) return parseStack(captured);
  const frames = [];
  const mapped = sourceMapsEnabled();
  for (const cs of captured) {
    let frame = null;
    try {
      frame = frameOfCallSite(cs, mapped);
    } catch {
      // Not a CallSite (a formatter leakguard could not replace returned an array of its own).
    }
    if (frame !== null) frames.push(frame);
  }
  return frames;
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

/** A site as reports carry it, from a frame already at its original position. */
function siteOfFrame(frame) {
  return {
    file: frame.file,
    line: frame.line,
    column: frame.column,
    functionName: frame.functionName,
    nodeModules: frame.nodeModules,
  };
}

/** A site as reports carry it, at its original position under source maps (a frame of generated code, as a profile gives). */
function toSite(frame) {
  return mapSite(siteOfFrame(frame));
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
  const frame = framesOf(frames)[0];
  return frame === undefined ? '<unknown>' : `${frame.file}:${frame.line}:${frame.column}`;
}

/** The frames of the current stack above `below` (at most `limit`), leakguard's own included. */
function stackFrames(below, limit = 16) {
  return framesOf(captureStack(below, limit, structured));
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
  // stackFrames() gave original positions already.
  return { site: siteOfFrame(mine), stack: frames.map(siteOfFrame) };
}

/** "file:line:column" of a site. */
function formatSite(site) {
  return site ? `${site.file}:${site.line}:${site.column}` : '<unknown>';
}

module.exports = { parseFrame, frameOfCallSite, parseStack, userFrames, toSite, captureStack, callerLocation, stackFrames, captureSite, formatSite, ROOT };
