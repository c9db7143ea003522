'use strict';
// Placeholder until issue #6 lands.

function notYet(name) {
  return () => {
    throw new Error(`leakguard: ${name}() is not implemented yet (issue #6)`);
  };
}

module.exports = {
  start: notYet('start'),
  stop: notYet('stop'),
  report: notYet('report'),
  formatReport: notYet('formatReport'),
};
