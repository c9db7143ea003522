'use strict';
// Escaping of user strings in leakguard's text output (the report the preload
// prints to stderr, CLI messages, warnings). Event names, cache names, file
// and function names come from the application or from code it loads, and a
// terminal acts on the control characters in them: ESC starts a sequence
// that can move the cursor, rewrite earlier lines, set the window title or
// hide text; CR and a newline forge lines. So every control character (C0,
// DEL, C1, whose 0x9B is a one-byte CSI on some terminals) and the Unicode
// bidirectional overrides and isolates (which reorder what is shown) are
// written as escapes: `\x1b`, `\u202e`. JSON output needs none of this
// (JSON.stringify escapes C0 itself, and a JSON reader is not a terminal).

// C0 but tab and newline, DEL, C1; the bidi embeddings, overrides and isolates.
const LINE_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g; // eslint-disable-line no-control-regex
// The same plus tab and newline: a one-line field must stay one line.
const CONTROL = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g; // eslint-disable-line no-control-regex

function escapeChar(c) {
  const code = c.charCodeAt(0);
  if (code === 0x0a) return '\\n';
  if (code === 0x0d) return '\\r';
  if (code === 0x09) return '\\t';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` (a string, else String(text)) with every control character escaped: one line, inert in a terminal. */
function escapeText(text) {
  const s = typeof text === 'string' ? text : String(text);
  CONTROL.lastIndex = 0;
  return CONTROL.test(s) ? s.replace(CONTROL, escapeChar) : s;
}

/** As escapeText, but newlines and tabs are kept (a stack, a multi-line message). */
function escapeLines(text) {
  const s = typeof text === 'string' ? text : String(text);
  LINE_CONTROL.lastIndex = 0;
  return LINE_CONTROL.test(s) ? s.replace(LINE_CONTROL, escapeChar) : s;
}

module.exports = { escapeText, escapeLines };
