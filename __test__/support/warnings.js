'use strict';
// Captures process warnings a test provokes on purpose, so they are asserted
// instead of printed: while capturing, Node's own printer (the default
// 'warning' listener) is detached and every warning is kept in `warnings`.
// `restore()` puts the printer back; it waits one turn of the event loop
// first, because warnings are emitted on the tick after emitWarning().

function captureWarnings() {
  const warnings = [];
  const printers = process.listeners('warning');
  for (const l of printers) process.off('warning', l);
  const keep = (w) => warnings.push(w);
  process.on('warning', keep);
  let restored = null;
  const restore = () => {
    if (restored === null) {
      restored = new Promise((resolve) => setImmediate(resolve)).then(() => {
        process.off('warning', keep);
        for (const l of printers) process.on('warning', l);
      });
    }
    return restored;
  };
  return { warnings, restore };
}

module.exports = { captureWarnings };
