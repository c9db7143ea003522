'use strict';
// Loads the compiled addon through the napi-rs generated loader (binding.js),
// which tries a local build (leakguard.<triple>.node next to package.json)
// and then the prebuilt platform package (leakguard-<triple>). Everything else
// requires this file, never binding.js directly, so a failure is explained
// once (lib/internal/native-error.js).
//
// Before binding.js runs, the files it would load are checked
// (lib/internal/addon-file.js): a `.node` cut short by an interrupted install
// would kill the process with SIGBUS inside dlopen(); it becomes an
// ERR_LEAKGUARD_NATIVE error instead, which the preload turns into a warning.

const path = require('node:path');
const { addonFileProblem } = require('./addon-file');
const { loadError, platformTriple } = require('./native-error');

const ROOT = path.resolve(__dirname, '..', '..');

/** The addon files binding.js would try, in its order (those that do not exist are skipped by the check). */
function candidates() {
  const out = [];
  const override = process.env.NAPI_RS_NATIVE_LIBRARY_PATH;
  if (override) out.push(path.resolve(override));
  const triples = process.platform === 'darwin' ? ['darwin-universal', platformTriple()] : [platformTriple()];
  for (const triple of triples) {
    out.push(path.join(ROOT, `leakguard.${triple}.node`));
    try {
      out.push(require.resolve(`leakguard-${triple}`, { paths: [ROOT] }));
    } catch {
      // not installed
    }
  }
  return out;
}

/** Throws ERR_LEAKGUARD_NATIVE when an addon file that would be loaded is damaged. */
function checkAddonFiles() {
  for (const file of candidates()) {
    const problem = addonFileProblem(file);
    if (problem !== null) {
      throw loadError(
        new Error(
          `${file} is damaged and was not loaded (${problem}): an interrupted install or build leaves such a file; reinstall leakguard or rebuild it`,
        ),
      );
    }
  }
}

let binding;
checkAddonFiles();
try {
  binding = require('../../binding.js');
} catch (err) {
  throw loadError(err);
}

module.exports = binding;
