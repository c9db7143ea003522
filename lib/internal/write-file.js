'use strict';
// The one way leakguard writes a file: the report file of start({ reportFile }),
// writeHtmlReport(), `leakguard run`'s --json/--html and its agent's run
// directory. Synchronous (it may be the last thing a process does, from an
// 'exit' handler or near the heap limit) and atomic: the text goes to a
// temporary file in the target's directory, then is renamed over the target,
// so a reader never sees half a report.
//
// The temporary file is created with a random name, exclusively (O_CREAT |
// O_EXCL: an existing file or symbolic link there is an error, never opened)
// and without following a symbolic link (O_NOFOLLOW where the platform has
// it): anyone who can write to the report's directory cannot make the process
// write through a link they planted. rename() replaces the target name itself,
// never a file a link there points to.
//
// Must never leave its temporary file behind, or throw from ReportFile#write
// (a failed write is one coded warning per ReportFile, not an exception).

const fs = require('node:fs');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { WARNINGS, warn } = require('./errors');

const { O_CREAT, O_EXCL, O_WRONLY, O_NOFOLLOW = 0 } = fs.constants;
const CREATE_FLAGS = O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW;
const TRIES = 4; // a random name taken already is a planted file or a 1-in-2^64 draw

/** The temporary file's name beside `abs`: hidden, random, never derived from the pid. */
function temporaryName(abs) {
  return path.join(path.dirname(abs), `.${path.basename(abs)}.${randomBytes(8).toString('hex')}.tmp`);
}

/**
 * Writes `data` (a string or bytes) to `file` atomically and returns its
 * absolute path. Throws what the file system says (ENOENT for a missing
 * directory, EISDIR when `file` is a directory, EACCES, …).
 */
function writeFileAtomic(file, data) {
  const abs = path.resolve(file);
  let tmp;
  let fd;
  for (let attempt = 1; fd === undefined; attempt++) {
    tmp = temporaryName(abs);
    try {
      fd = fs.openSync(tmp, CREATE_FLAGS, 0o666);
    } catch (err) {
      if (err.code !== 'EEXIST' || attempt >= TRIES) throw err;
    }
  }
  try {
    try {
      fs.writeFileSync(fd, data);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, abs);
  } catch (err) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // already gone: the original error is the one to report
    }
    throw err;
  }
  return abs;
}

/**
 * A configured report file (start({ reportFile })): write() never throws; the
 * first failure is a LEAKGUARD_REPORT_WRITE_FAILED warning naming the file
 * and the reason, so a configured report never goes missing silently. A file
 * that cannot be written where start() is called (a directory, a missing
 * directory) is warned about at once, not at the first leak.
 */
class ReportFile {
  constructor(file) {
    this.file = path.resolve(file);
    this.warned = false;
  }

  /** Warns now when the file can already be seen not to be writable. */
  check() {
    let why = null;
    try {
      if (fs.statSync(this.file).isDirectory()) why = 'it is a directory';
    } catch (err) {
      if (err.code !== 'ENOENT') why = err.message;
      else {
        try {
          if (!fs.statSync(path.dirname(this.file)).isDirectory()) why = 'its parent is not a directory';
        } catch (e) {
          why = e.code === 'ENOENT' ? 'its directory does not exist' : e.message;
        }
      }
    }
    if (why !== null) this.warn(why);
  }

  write(report) {
    try {
      writeFileAtomic(this.file, `${JSON.stringify(report, null, 2)}\n`);
      return true;
    } catch (err) {
      this.warn(err && err.message ? err.message : String(err));
      return false;
    }
  }

  warn(why) {
    if (this.warned) return;
    this.warned = true;
    try {
      warn(WARNINGS.REPORT_WRITE_FAILED, `leakguard: the report file ${this.file} cannot be written (${why}): leak reports will not be saved there`);
    } catch {
      // a warning listener that throws must not break the caller
    }
  }
}

module.exports = { writeFileAtomic, ReportFile };
