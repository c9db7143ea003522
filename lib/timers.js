'use strict';
// Placeholder until issue #4 lands.

function notYet(name) {
  return () => {
    throw new Error(`leakguard: ${name}() is not implemented yet (issue #4)`);
  };
}

module.exports = {
  patchTimers: notYet('patchTimers'),
  unpatchTimers: notYet('unpatchTimers'),
  timers: notYet('timers'),
};
