'use strict';
// Placeholder until issue #5 lands.

function notYet(name) {
  return () => {
    throw new Error(`leakguard: ${name}() is not implemented yet (issue #5)`);
  };
}

module.exports = {
  trackListeners: notYet('trackListeners'),
  untrackListeners: notYet('untrackListeners'),
  listeners: notYet('listeners'),
};
