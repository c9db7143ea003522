'use strict';
// How leakguard writes report files (lib/internal/write-file.js): the
// temporary file has a random name and is created exclusively, without
// following a symbolic link, so a link planted in the report's directory never
// makes the process write through it; a configured report file that cannot be
// written is refused ('') or warned about once (LEAKGUARD_REPORT_WRITE_FAILED),
// never lost silently.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const leakguard = require('..');
const { writeFileAtomic, ReportFile } = require('../lib/internal/write-file');
const { captureWarnings } = require('./support/warnings');

function tmpdir(t) {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-files-')));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A file the "attacker" wants overwritten, and links to it at the names a predictable writer would use. */
function plantLinks(dir, target) {
  const victim = path.join(dir, 'victim.txt');
  fs.writeFileSync(victim, 'precious');
  for (const name of [`${target}.${process.pid}.tmp`, `${target}.tmp`]) fs.symlinkSync(victim, name);
  return victim;
}

test('writeHtmlReport never writes through a symbolic link planted beside the report', (t) => {
  const dir = tmpdir(t);
  const file = path.join(dir, 'report.html');
  const victim = plantLinks(dir, file);
  assert.equal(leakguard.writeHtmlReport(file), file);
  assert.equal(fs.readFileSync(victim, 'utf8'), 'precious', 'the linked file is untouched');
  assert.ok(fs.lstatSync(file).isFile(), 'the report is a regular file, not a link');
  assert.match(fs.readFileSync(file, 'utf8'), /^<!doctype html>/i);
});

test('the temporary file has a random name and is opened with O_CREAT | O_EXCL | O_NOFOLLOW', (t) => {
  const dir = tmpdir(t);
  const file = path.join(dir, 'report.json');
  const opened = [];
  const openSync = fs.openSync;
  fs.openSync = function (p, flags, mode) {
    opened.push({ p: String(p), flags });
    return openSync.call(this, p, flags, mode);
  };
  try {
    writeFileAtomic(file, 'one');
    writeFileAtomic(file, 'two');
  } finally {
    fs.openSync = openSync;
  }
  assert.equal(fs.readFileSync(file, 'utf8'), 'two');
  const temps = opened.filter((o) => o.p !== file);
  assert.equal(temps.length, 2, `one temporary file per write: ${JSON.stringify(opened)}`);
  const { O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  for (const { p, flags } of temps) {
    assert.equal(typeof flags, 'number', `numeric open flags: ${flags}`);
    assert.equal(flags & (O_CREAT | O_EXCL), O_CREAT | O_EXCL, 'created exclusively');
    if (O_NOFOLLOW !== undefined) assert.equal(flags & O_NOFOLLOW, O_NOFOLLOW, 'never through a link');
    assert.equal(path.dirname(p), dir, 'beside the target, so rename() is atomic');
    assert.ok(!p.includes(String(process.pid)), `no pid in the name: ${p}`);
    assert.match(path.basename(p), /[0-9a-f]{16}/, 'a random part');
  }
  assert.notEqual(temps[0].p, temps[1].p, 'a new name for each write');
  assert.deepEqual(fs.readdirSync(dir), ['report.json'], 'no temporary file is left behind');
});

test('a report file that is itself a planted link is replaced, not written through', (t) => {
  const dir = tmpdir(t);
  const file = path.join(dir, 'leak.json');
  const victim = path.join(dir, 'victim.txt');
  fs.writeFileSync(victim, 'precious');
  fs.symlinkSync(victim, file);
  assert.equal(new ReportFile(file).write({ leaking: true }), true);
  assert.equal(fs.readFileSync(victim, 'utf8'), 'precious');
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), { leaking: true });
});

test("start({ reportFile: '' }) is refused with ERR_LEAKGUARD_INVALID_OPTION", () => {
  assert.throws(() => leakguard.start({ reportFile: '' }), { code: 'ERR_LEAKGUARD_INVALID_OPTION', message: /reportFile/ });
  assert.throws(() => leakguard.start({ reportFile: 'a\0b' }), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => leakguard.writeHtmlReport(''), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
});

test('start() with a report file that is a directory, or in a missing directory, warns once with LEAKGUARD_REPORT_WRITE_FAILED', async (t) => {
  const dir = tmpdir(t);
  for (const [reportFile, why] of [
    [dir, /is a directory/],
    [path.join(dir, 'missing', 'leak.json'), /does not exist/],
  ]) {
    const { warnings, restore } = captureWarnings();
    try {
      leakguard.start({ reportFile, intervalMs: 1000, timers: false, listeners: false, allocations: false });
      leakguard.stop();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      await restore();
    }
    const ours = warnings.filter((w) => w.code === 'LEAKGUARD_REPORT_WRITE_FAILED');
    assert.equal(ours.length, 1, `one warning for ${reportFile}: ${warnings.map((w) => w.message).join('; ')}`);
    assert.ok(ours[0].message.includes(reportFile), ours[0].message);
    assert.match(ours[0].message, why);
  }
});

test('a report write that fails is warned about once, with the reason, and never throws', async (t) => {
  const dir = tmpdir(t);
  const report = new ReportFile(path.join(dir, 'gone', 'leak.json'));
  const { warnings, restore } = captureWarnings();
  try {
    assert.equal(report.write({ leaking: true }), false);
    assert.equal(report.write({ leaking: true }), false);
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    await restore();
  }
  const ours = warnings.filter((w) => w.code === 'LEAKGUARD_REPORT_WRITE_FAILED');
  assert.equal(ours.length, 1);
  assert.match(ours[0].message, /ENOENT/);
  fs.mkdirSync(path.join(dir, 'gone'));
  assert.equal(report.write({ leaking: true }), true, 'written once the directory exists');
});
