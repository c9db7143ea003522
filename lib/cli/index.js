'use strict';
// The `leakguard` command: argument parsing, `run` (start a program with
// leakguard preloaded, show a one-line live status on a TTY, write the JSON
// and HTML reports when it ends) and `demo`. The guarded side lives in
// lib/cli/run-agent.js; the two talk through files in a private temporary run
// directory (status.json and full.json at every tick, history.json every few
// ticks, each also at the end), so nothing is added to the program's stdio or
// IPC channels.
//
// Must never: swallow the program's exit status (the command exits with the
// program's code, or 128 + signal number), leave its temporary directory
// behind, or write a report it has no data for (it says so instead).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { renderHtmlReport } = require('../export/html-report');
const { writeFileAtomic } = require('../internal/write-file');
const { formatBytes, formatRate } = require('../internal/units');
const { escapeText } = require('../internal/text');

const ROOT = path.resolve(__dirname, '..', '..');
const AGENT = path.join(__dirname, 'run-agent.js');
const USAGE_ERROR = 2;
const NOT_GUARDED = 3; // the program exited 0, but leakguard could not guard it
const FORWARDED_SIGNALS = process.platform === 'win32' ? ['SIGINT', 'SIGTERM'] : ['SIGINT', 'SIGTERM', 'SIGHUP'];
// The first line of a leak report leakguard/register prints: formatReport's
// header, or the report as JSON (LEAKGUARD_REPORT=json).
const LEAK_REPORT = /leakguard: memory is LEAKING|^\{.*"leaking":true/m;

const HELP = `leakguard — run a Node.js program under leakguard and report its leaks

Usage:
  leakguard run [options] -- <command> [args...]
  leakguard demo
  leakguard --help | --version

leakguard run
  Runs <command> (for example: node server.js, or npm start) with leakguard
  preloaded in its Node.js process (NODE_OPTIONS=--require; package-manager
  processes such as npm are skipped, the first other Node.js process is
  guarded). While it runs, a one-line status (heap, post-GC baseline, slope,
  verdict; sizes in MB, 1 MB = 10^6 bytes) is shown on stderr when stderr is
  a terminal; the program's output then passes through leakguard, which
  erases the status line before each of the program's writes. When the program
  exits, or on Ctrl-C / SIGINT / SIGTERM / SIGHUP (forwarded to the program,
  which ends as it would without leakguard), the reports are written. The
  command exits with the program's exit code (128 + the signal number when a
  signal ended it).

  Options:
    --interval-ms N   sampling period of the leakguard sampler, in
                      milliseconds (integer, 10 to 600000; sets
                      LEAKGUARD_INTERVAL_MS). Default: the sampler's default.
    --html FILE       write the HTML report (self-contained, no network) to FILE
                      (its directory must exist).
    --json FILE       write the JSON report to FILE: the report as
                      leakguard.report() returns it, plus "history" (the
                      sampled timeline) and "run" (command, pid, exit code);
                      its directory must exist.
    --status-ms N     refresh period of the live status line, in milliseconds
                      (integer, 250 to 60000). Default: 1000.
    --no-status       never show the live status line.
    The options must come before the command; "--" ends them (recommended).

leakguard demo
  Runs the leakguard demo (examples/demo/run.js in the leakguard package): a
  small HTTP service with two leaks under load, then the fixed version.

Exit codes: the program's own code for run; 2 for a usage error (unknown
option, missing command, bad value); 3 when the program exited 0 but
leakguard could not guard it (the native addon did not load, or the command
started no Node.js process): the reason is printed.
`;

class UsageError extends Error {}

function parseInteger(flag, value, min, max) {
  if (value === undefined) throw new UsageError(`${flag} needs a value`);
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be an integer; received "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${flag} must be from ${min} to ${max}; received ${n}`);
  return n;
}

function parseFile(flag, value) {
  if (value === undefined || value === '' || value.startsWith('--')) throw new UsageError(`${flag} needs a file path`);
  return value;
}

/** Parses argv (without node and the script) into { command, ... }; throws UsageError. */
function parseArgs(argv) {
  if (argv.length === 0) return { command: 'help', toStderr: true };
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') return { command: 'help' };
  if (first === '--version' || first === '-v') return { command: 'version' };
  if (first === 'demo') {
    if (rest.length > 0) throw new UsageError(`demo takes no arguments; received "${rest[0]}"`);
    return { command: 'demo' };
  }
  if (first !== 'run') {
    throw new UsageError(first.startsWith('-') ? `unknown option "${first}"` : `unknown command "${first}"`);
  }
  const out = { command: 'run', intervalMs: undefined, html: undefined, json: undefined, statusMs: 1000, status: true, program: [] };
  let i = 0;
  for (; i < rest.length; i++) {
    const arg = rest[i];
    const eq = arg.indexOf('=');
    const [flag, inline] = arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    const value = () => (inline !== undefined ? inline : rest[++i]);
    if (arg === '--') {
      i++;
      break;
    } else if (flag === '--interval-ms') out.intervalMs = parseInteger(flag, value(), 10, 600_000);
    else if (flag === '--status-ms') out.statusMs = parseInteger(flag, value(), 250, 60_000);
    else if (flag === '--html') out.html = parseFile(flag, value());
    else if (flag === '--json') out.json = parseFile(flag, value());
    else if (flag === '--no-status' && inline === undefined) out.status = false;
    else if (flag === '--help' || flag === '-h') return { command: 'help' };
    else if (arg.startsWith('-')) throw new UsageError(`unknown option "${arg}" for run`);
    else break; // the program starts here
  }
  out.program = rest.slice(i);
  if (out.program.length === 0) throw new UsageError('run needs a command to run, e.g. leakguard run -- node app.js');
  return out;
}


/**
 * The verdict as the status line words it, from the same report the JSON and
 * HTML reports are written from: LEAKING, or "no leak" once a verdict could
 * have been reached, or how long until the first one can be.
 */
function verdictText(s) {
  if (s.leaking) return `LEAKING (${s.suspects} suspect${s.suspects === 1 ? '' : 's'}${s.top ? `; top: ${s.top}` : ''})`;
  if (typeof s.endedBeforeVerdictMs === 'number') {
    return `no verdict (the program ended before the first one, due ${Math.ceil(s.endedBeforeVerdictMs / 1000)} s after start)`;
  }
  if (typeof s.firstVerdictInMs === 'number' && s.firstVerdictInMs > 0) {
    return `no verdict yet (first in ${Math.ceil(s.firstVerdictInMs / 1000)} s)`;
  }
  return 'no leak';
}

/**
 * Whether a status may be drawn: not when it says "no leak" but was written
 * before the program printed a leak report (`leakReportAt`, epoch ms).
 */
function drawable(s, leakReportAt) {
  return s === null || s.leaking === true || !(leakReportAt > 0) || (typeof s.t === 'number' && s.t > leakReportAt);
}

/** The one-line live status shown on a TTY. */
// The top suspect and the error come from the program: escaped (lib/internal/text.js).
function formatStatusLine(s) {
  if (!s) return 'leakguard: waiting for the program…';
  if (s.error && s.heapUsedBytes === undefined) return `leakguard: no figures (${escapeText(s.error)})`;
  if (s.samples === 0) return `leakguard: no sample yet · ${escapeText(verdictText(s))}`;
  return `leakguard: heap ${formatBytes(s.heapUsedBytes)} · baseline ${formatBytes(s.baselineBytes)} ${formatRate(s.slopeBytesPerSec)} · rss ${formatBytes(s.rssBytes)} · ${escapeText(verdictText(s))}`;
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

function nodeOptionsWith(existing, file) {
  const quoted = `"${file.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return `${existing ? `${existing} ` : ''}--require ${quoted}`;
}

/** Builds the JSON report document from the agent's final snapshot. */
function jsonReport(snapshot, run) {
  return { ...(snapshot.report || { error: snapshot.error || 'no report' }), history: snapshot.history || [], run };
}

/**
 * Whether this process's group is the foreground group of its controlling
 * terminal (Linux: /proc/self/stat's pgrp equals its tpgid), so that the
 * keys that signal (Ctrl-C) signal the program too. False where unknown.
 */
function inForegroundOfTerminal() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    // pid (comm) state ppid pgrp session tty_nr tpgid …; comm may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(fields[2]);
    const tpgid = Number(fields[5]);
    return tpgid > 0 && tpgid === pgrp;
  } catch {
    return false;
  }
}

/** Why `file` cannot receive a report, found before the program runs; null when it can. */
function unwritableReport(file) {
  const abs = path.resolve(file);
  try {
    if (fs.statSync(abs).isDirectory()) return `${abs} is a directory`;
    return null;
  } catch (err) {
    if (err.code !== 'ENOENT') return `${abs}: ${err.message}`;
  }
  try {
    return fs.statSync(path.dirname(abs)).isDirectory() ? null : `${path.dirname(abs)} is not a directory`;
  } catch {
    return `the directory ${path.dirname(abs)} does not exist`;
  }
}

function run(opts, io) {
  for (const [flag, file] of [
    ['--json', opts.json],
    ['--html', opts.html],
  ]) {
    const why = file === undefined ? null : unwritableReport(file);
    if (why !== null) {
      io.stderr.write(`leakguard: ${flag} ${file}: the report could not be written there: ${why}\nRun "leakguard --help" for usage.\n`);
      return Promise.resolve(USAGE_ERROR);
    }
  }
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-run-'));
  const env = {
    ...process.env,
    NODE_OPTIONS: nodeOptionsWith(process.env.NODE_OPTIONS, AGENT),
    LEAKGUARD_RUN_DIR: runDir,
    LEAKGUARD_RUN_TICK_MS: String(opts.statusMs),
  };
  if (opts.intervalMs !== undefined) env.LEAKGUARD_INTERVAL_MS = String(opts.intervalMs);
  const startedAt = Date.now();
  const [file, ...args] = opts.program;
  // With the live status line on, the program's stdout and stderr pass through
  // here, so the line is erased before each of the program's writes and drawn
  // again only at a line start: the two never share a terminal line. Without
  // it, the program writes to the terminal directly.
  const live = opts.status && io.stderr.isTTY === true;
  const child = spawn(file, args, { stdio: live ? ['inherit', 'pipe', 'pipe'] : 'inherit', env });

  let statusShown = false;
  let atLineStart = true;
  // When the program prints a leak report (leakguard/register's onLeak, text
  // or JSON), a status written before that moment may still say "no leak":
  // it is not drawn; the line waits for figures written after the report.
  let leakReportAt = 0;
  const clearStatus = () => {
    if (statusShown) io.stderr.write('\r\x1b[2K');
    statusShown = false;
  };
  if (live) {
    for (const [from, to] of [
      [child.stdout, io.stdout],
      [child.stderr, io.stderr],
    ]) {
      from.on('data', (chunk) => {
        clearStatus();
        to.write(chunk);
        atLineStart = chunk[chunk.length - 1] === 0x0a;
        if (from === child.stderr && LEAK_REPORT.test(chunk.toString('latin1'))) leakReportAt = Date.now();
      });
    }
  }
  const statusTimer = live
    ? setInterval(() => {
        if (!atLineStart) return; // the program is mid-line (a prompt, a progress bar)
        const s = readJson(path.join(runDir, 'status.json'));
        if (!drawable(s, leakReportAt)) return; // older than the program's leak report
        const cols = io.stderr.columns || 120;
        io.stderr.write(`\r\x1b[2K${formatStatusLine(s).slice(0, cols - 1)}`);
        statusShown = true;
      }, opts.statusMs)
    : null;

  // A signal sent to this command (Ctrl-C, an orchestrator's SIGTERM, a
  // closed terminal's SIGHUP) is passed on to the program at once, which then
  // ends exactly as it would without leakguard; a second one kills it. A
  // Ctrl-C typed while this command is the terminal's foreground job already
  // reached the program (the terminal signals the whole process group): it is
  // not sent a second time, so a program that counts its SIGINTs ("press
  // Ctrl-C again to force") sees one per keypress, as without leakguard.
  let signals = 0;
  const forward = (signal) => {
    if (signal === 'SIGINT' && inForegroundOfTerminal()) return;
    signals++;
    try {
      child.kill(signals > 1 ? 'SIGKILL' : signal);
    } catch {
      // the child has already exited
    }
  };
  const forwarders = FORWARDED_SIGNALS.map((signal) => [signal, () => forward(signal)]);
  for (const [signal, onSignal] of forwarders) process.on(signal, onSignal);

  return new Promise((resolve) => {
    const done = (code, signal, spawnError) => {
      if (statusTimer !== null) clearInterval(statusTimer);
      clearStatus();
      for (const [signal, onSignal] of forwarders) process.removeListener(signal, onSignal);
      const exitCode = spawnError ? 127 : signal ? 128 + (os.constants.signals[signal] || 0) : code ?? 0;
      if (spawnError) io.stderr.write(`leakguard: cannot run "${escapeText(file)}": ${escapeText(spawnError.message)}\n`);
      const snapshot = readJson(path.join(runDir, 'full.json'));
      if (snapshot !== null) snapshot.history = readJson(path.join(runDir, 'history.json')) || [];
      fs.rmSync(runDir, { recursive: true, force: true });
      if (snapshot === null) {
        if (spawnError) return resolve(exitCode);
        io.stderr.write('leakguard: no figures were received: the command started no Node.js process leakguard could guard\n');
        return resolve(exitCode !== 0 ? exitCode : NOT_GUARDED);
      }
      if (!snapshot.report) {
        // The agent ran but leakguard did not start in the program (most often
        // the native addon did not load): say why, and never exit 0.
        io.stderr.write(`leakguard: leakguard did not run in the program, nothing was guarded: ${escapeText(snapshot.error || 'no report')}\n`);
        return resolve(exitCode !== 0 ? exitCode : NOT_GUARDED);
      }
      const runInfo = {
        command: opts.program,
        pid: snapshot.pid,
        startedAt,
        endedAt: Date.now(),
        exitCode: signal ? null : code,
        signal: signal || null,
        final: snapshot.final === true,
      };
      // Each report is written on its own: one that cannot be written is said
      // so and does not keep the other from being written.
      const writeReport = (what, file, text) => {
        try {
          io.stderr.write(`leakguard: ${what} report written to ${writeFileAtomic(file, text)}\n`);
        } catch (err) {
          io.stderr.write(`leakguard: could not write the ${what} report to ${escapeText(path.resolve(file))}: ${escapeText(err.message)}\n`);
        }
      };
      if (opts.json) writeReport('JSON', opts.json, `${JSON.stringify(jsonReport(snapshot, runInfo), null, 2)}\n`);
      if (opts.html) {
        const html = renderHtmlReport(snapshot.report || {}, snapshot.history || [], {
          trail: snapshot.trail || {},
          title: 'leakguard report',
          subtitle: `${opts.program.join(' ')} · pid ${snapshot.pid}${signal ? ` · ended by ${signal}` : ` · exit code ${code}`}`,
        });
        writeReport('HTML', opts.html, html);
      }
      const summary = { ...summaryStatus(snapshot.report), error: snapshot.error };
      if (!summary.leaking && typeof snapshot.firstVerdictAt === 'number' && snapshot.t < snapshot.firstVerdictAt) {
        summary.endedBeforeVerdictMs = snapshot.firstVerdictAt - runInfo.startedAt;
      }
      io.stderr.write(`${formatStatusLine(summary)}\n`);
      resolve(exitCode);
    };
    let finished = false;
    const finish = (code, signal, err) => {
      if (finished) return;
      finished = true;
      done(code, signal, err);
    };
    child.once('error', (err) => finish(null, null, err));
    if (live) {
      // 'close' comes after the last of the program's output was relayed. A
      // process the program left behind may hold the pipes open: then the
      // report is written a moment after the program's exit anyway.
      child.once('close', (code, signal) => finish(code, signal, null));
      child.once('exit', (code, signal) => {
        setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          finish(code, signal, null);
        }, 2000).unref();
      });
    } else {
      child.once('exit', (code, signal) => finish(code, signal, null));
    }
  });
}

function summaryStatus(r) {
  const h = r.heap || {};
  const top = Array.isArray(r.suspects) ? r.suspects[0] : undefined;
  return {
    leaking: r.leaking === true,
    heapUsedBytes: h.usedBytes,
    baselineBytes: h.baselineBytes,
    slopeBytesPerSec: h.slopeBytesPerSec,
    rssBytes: h.rssBytes,
    samples: h.samples,
    suspects: Array.isArray(r.suspects) ? r.suspects.length : 0,
    top: top && top.site ? `${top.kind} ${top.site.file}:${top.site.line}` : undefined,
  };
}

function demo(io) {
  const script = path.join(ROOT, 'examples', 'demo', 'run.js');
  if (!fs.existsSync(script)) {
    io.stderr.write(`leakguard: this copy of leakguard has no demo (${script} is missing)\n`);
    return Promise.resolve(1);
  }
  const child = spawn(process.execPath, [script], { cwd: ROOT, stdio: 'inherit' });
  const onSigint = () => {};
  process.on('SIGINT', onSigint); // the demo gets the terminal's Ctrl-C itself
  return new Promise((resolve) => {
    const end = (code) => {
      process.removeListener('SIGINT', onSigint);
      resolve(code);
    };
    child.once('error', (err) => {
      io.stderr.write(`leakguard: cannot run the demo: ${err.message}\n`);
      end(127);
    });
    child.once('exit', (code, signal) => end(signal ? 128 + (os.constants.signals[signal] || 0) : code ?? 0));
  });
}

/** Runs the command line; resolves to the exit code. */
async function main(argv, io = { stdout: process.stdout, stderr: process.stderr }) {
  let opts;
  try {
    opts = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`leakguard: ${escapeText(err.message)}\nRun "leakguard --help" for usage.\n`);
    return USAGE_ERROR;
  }
  if (opts.command === 'help') {
    (opts.toStderr ? io.stderr : io.stdout).write(HELP);
    return opts.toStderr ? USAGE_ERROR : 0;
  }
  if (opts.command === 'version') {
    io.stdout.write(`${require('../../package.json').version}\n`);
    return 0;
  }
  if (opts.command === 'demo') return demo(io);
  return run(opts, io);
}

module.exports = { main, parseArgs, formatStatusLine, drawable, LEAK_REPORT, UsageError, HELP };
