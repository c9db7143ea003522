'use strict';
// The lifetime of one corpus example: a loopback load driver, a deadline, and
// the report at the end. Every example is a service fragment that would run
// forever; this module makes it stop by itself (process.exit at the deadline,
// because a leaking example may hold ref'd timers on purpose) and tells the
// caller what leakguard saw.
//
// It never starts leakguard: run an example under `node -r leakguard/register`
// (or let it call start() itself). When leakguard is running, it polls
// report() once a second to remember whether the verdict was ever "leaking",
// and at the deadline prints the report:
//   - LEAKGUARD_EXAMPLE_JSON=1: one line `LEAKGUARD_EXAMPLE_REPORT <json>` on
//     stdout, `{ name, startedAt, durationMs, everLeaking, firstLeakMs, report }`, for
//     __test__/examples.test.js;
//   - otherwise: leakguard's human report (formatReport) on stdout.
// LEAKGUARD_EXAMPLE_MS sets the run time (default 12000 ms);
// LEAKGUARD_EXAMPLE_AFTER_LEAK_MS, when set, ends the run that long after the
// verdict was first seen leaking (time for the report and later ones to come).

const http = require('node:http');

const MARKER = 'LEAKGUARD_EXAMPLE_REPORT ';

function durationMs() {
  const raw = Number(process.env.LEAKGUARD_EXAMPLE_MS);
  return Number.isFinite(raw) && raw > 0 ? raw : 12_000;
}

let lastReportError = null;

/** leakguard's report if it is running in this process, else null. */
function currentReport() {
  let leakguard;
  try {
    leakguard = require('leakguard');
  } catch (err) {
    lastReportError = String(err && err.message);
    return null;
  }
  try {
    const report = leakguard.report();
    return report && typeof report === 'object' ? report : null;
  } catch (err) {
    lastReportError = String(err && err.stack);
    return null; // not started (or not built yet)
  }
}

function formatted(report) {
  try {
    return require('leakguard').formatReport(report);
  } catch {
    return JSON.stringify(report, null, 2);
  }
}

/**
 * Runs `body({ deadline, stopped })` until the deadline, then reports and
 * exits. `body` may return a promise; the process exits at the deadline
 * whatever it is doing.
 */
function runExample(name, body) {
  const total = durationMs();
  const startedAt = Date.now();
  const deadline = startedAt + total;
  let everLeaking = false;
  let firstLeakMs = null;

  const afterLeak = Number(process.env.LEAKGUARD_EXAMPLE_AFTER_LEAK_MS);
  const poll = setInterval(() => {
    const report = currentReport();
    if (report !== null && report.leaking === true && !everLeaking) {
      everLeaking = true;
      firstLeakMs = Date.now() - startedAt;
    }
    if (everLeaking && afterLeak > 0 && Date.now() - startedAt >= firstLeakMs + afterLeak) finish();
  }, 1000);
  poll.unref();

  const finish = () => {
    clearInterval(poll);
    const report = currentReport();
    if (report !== null && report.leaking === true && !everLeaking) {
      everLeaking = true;
      firstLeakMs = Date.now() - startedAt;
    }
    if (process.env.LEAKGUARD_EXAMPLE_JSON === '1') {
      const payload = { name, startedAt, durationMs: Date.now() - startedAt, everLeaking, firstLeakMs, report, reportError: report === null ? lastReportError : null };
      process.stdout.write(`${MARKER}${JSON.stringify(payload)}\n`);
    } else if (report !== null) {
      process.stdout.write(`\n${name}: leakguard's report after ${Math.round((Date.now() - startedAt) / 1000)} s\n`);
      process.stdout.write(`${formatted(report)}\n`);
    } else {
      process.stdout.write(`${name}: finished (leakguard not running: try node -r leakguard/register ${process.argv[1]})\n`);
    }
    process.exit(0);
  };
  setTimeout(finish, total).unref();
  // The unref'd deadline above must still fire if the example's own handles
  // all close early: keep one ref'd handle until then.
  const keepAlive = setInterval(() => {}, 60_000);
  keepAlive.ref();

  Promise.resolve()
    .then(() => body({ deadline, stopped: () => Date.now() >= deadline }))
    .catch((err) => {
      process.stderr.write(`${name}: ${err && err.stack ? err.stack : err}\n`);
      process.exit(1);
    });
}

/** Starts `handler` on 127.0.0.1 on a free port; resolves to the server. */
function listen(handler) {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Drives requests at `server` over loopback with `concurrency` keep-alive
 * connections until `stopped()`; `pathFor(i)` names the i-th request's path
 * and `body(i)` (or a fixed body) its payload. `ratePerSec` caps the request
 * rate (default: as fast as the loop goes), so that each leak grows at a
 * realistic few MB/s. Resolves to the number of completed requests.
 */
async function driveLoad(server, { pathFor, stopped, concurrency = 8, ratePerSec = Infinity, method = 'GET', body = null, onResponse = null }) {
  const { port } = server.address();
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const startedAt = Date.now();
  let next = 0;
  let done = 0;
  // The client's own listeners are removed as soon as they have served, so
  // that the load driver never looks like a listener leak itself.
  const one = (i) =>
    new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, path: pathFor(i), method, agent }, (res) => {
        req.off('error', resolve);
        if (onResponse !== null) onResponse(res, i, resolve);
        else {
          res.resume();
          res.once('end', resolve);
        }
      });
      req.once('error', resolve);
      if (body !== null) req.end(typeof body === 'function' ? body(i) : body);
      else req.end();
    });
  const worker = async () => {
    while (!stopped()) {
      const i = next++;
      const due = startedAt + (i * 1000) / ratePerSec;
      const wait = due - Date.now();
      if (wait > 1) await sleep(wait);
      await one(i);
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return done;
}

module.exports = { runExample, listen, driveLoad, durationMs, MARKER };
