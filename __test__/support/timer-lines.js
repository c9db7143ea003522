'use strict';
// Shared by the timer call-site tests: the line a test statement is on, and
// a test file's live-timer entries by line, as timers() reports them.

const { timers } = require('../../lib/timers');

/** The line of the caller of lineHere(). */
function lineHere() {
  const holder = {};
  Error.captureStackTrace(holder, lineHere);
  return Number(/:(\d+):\d+\)?\n/.exec(holder.stack.split('\n').slice(1).join('\n') + '\n')[1]);
}

/** `rowAt(line, kind)`: `file`'s timers() entry at `line`, or undefined; `live(line, kind)`: its live count, or 0. */
function linesOf(file) {
  const rowAt = (line, kind) => timers().find((r) => r.site && r.site.file === file && r.site.line === line && r.kind === kind);
  const live = (line, kind) => {
    const row = rowAt(line, kind);
    return row ? row.live : 0;
  };
  return { rowAt, live };
}

module.exports = { lineHere, linesOf };
