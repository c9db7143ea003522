'use strict';
// `npm run demo`: runs examples/demo/leaky-service.js under load on loopback,
// prints leakguard's report on it, then does the same with
// examples/demo/fixed-service.js and shows it clean. Each service is a child
// process (its heap is its own); this process only drives the load, shows
// progress and prints what the service's admin route returns. It exits by
// itself: each phase lasts LEAKGUARD_DEMO_SECONDS (default 25) plus a few
// seconds, and a service that does not answer ends the demo with an error.

const http = require('node:http');
const path = require('node:path');
const { spawn } = require('node:child_process');

const SECONDS = Number(process.env.LEAKGUARD_DEMO_SECONDS) > 0 ? Number(process.env.LEAKGUARD_DEMO_SECONDS) : 25;
const RATE_PER_SEC = 800; // requests a second, half profile reads, half checkouts
const TTY = process.stdout.isTTY === true;
const bold = (s) => (TTY ? `\x1b[1m${s}\x1b[0m` : s);
const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;

function startService(file) {
  const child = spawn(process.execPath, [file], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${path.basename(file)} did not start within 10 s`)), 10_000);
    child.once('exit', (code) => reject(new Error(`${path.basename(file)} exited with code ${code} before listening`)));
    child.stdout.setEncoding('utf8').on('data', function onData(d) {
      out += d;
      const m = /LISTENING (\d+)/.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stdout.resume();
      child.removeAllListeners('exit');
      resolve({ child, port: Number(m[1]) });
    });
  });
}

function stopService(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function get(agent, port, urlPath) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${urlPath} timed out`)));
    req.on('error', reject);
  });
}

async function driveLoad(port, label, child) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const startedAt = Date.now();
  const endsAt = startedAt + SECONDS * 1000;
  let sent = 0;
  let done = 0;
  let failed = 0;
  let status = { leaking: false, heap: 0, suspects: 0 };
  let firstLeakAt = null;

  const poll = async () => {
    try {
      const report = JSON.parse(await get(agent, port, '/admin/leakguard?json'));
      status = { leaking: report.leaking === true, heap: report.heap ? report.heap.usedBytes : 0, suspects: (report.suspects || []).length };
      if (status.leaking && firstLeakAt === null) firstLeakAt = Math.round((Date.now() - startedAt) / 100) / 10;
    } catch {
      // a missed poll only delays the progress line
    }
  };
  const showProgress = () => {
    const elapsed = (Date.now() - startedAt) / 1000;
    const filled = Math.min(20, Math.round((elapsed / SECONDS) * 20));
    const line = `  ${label} [${'#'.repeat(filled)}${'.'.repeat(20 - filled)}] ${elapsed.toFixed(0).padStart(2)} s  ${String(done).padStart(6)} requests  heap ${(status.heap > 0 ? mb(status.heap) : '…').padStart(9)}  leaking: ${status.leaking ? 'YES' : 'no '}`;
    if (TTY) process.stdout.write(`\r${line}`);
    else process.stdout.write(`${line}\n`);
  };
  await poll();
  const progress = setInterval(() => {
    poll();
    showProgress();
  }, TTY ? 1000 : 4000);

  const worker = async () => {
    while (Date.now() < endsAt && child.exitCode === null && child.signalCode === null) {
      const i = sent++;
      const wait = startedAt + (i * 1000) / RATE_PER_SEC - Date.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const urlPath = i % 2 === 0 ? `/users/${Math.floor(Math.random() * 1e7)}` : `/checkout/basket-${i % 1000}`;
      try {
        await get(agent, port, urlPath);
        done++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  clearInterval(progress);
  await poll();
  showProgress();
  if (TTY) process.stdout.write('\n');
  const text = await get(agent, port, '/admin/leakguard');
  agent.destroy();
  return { done, failed, firstLeakAt, leaking: status.leaking, text };
}

async function phase(title, file, label) {
  process.stdout.write(`\n${bold(title)}\n`);
  process.stdout.write(`  service: ${path.relative(process.cwd(), file)}, load: ${RATE_PER_SEC} req/s on 127.0.0.1 for ${SECONDS} s\n\n`);
  const { child, port } = await startService(file);
  try {
    const result = await driveLoad(port, label, child);
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${path.basename(file)} exited during the load (code ${child.exitCode})`);
    process.stdout.write(`\n  leakguard's report (GET /admin/leakguard):\n\n`);
    process.stdout.write(`${result.text.replace(/^/gm, '    ')}\n`);
    return result;
  } finally {
    await stopService(child);
  }
}

async function main() {
  process.stdout.write(`${bold('leakguard demo')}: one small HTTP service, first as it was when the pager went off, then fixed.\n`);
  const leaky = await phase('1/2  The leaky service: a Map used as a cache, a listener per request', path.join(__dirname, 'leaky-service.js'), 'leaky');
  const fixed = await phase('2/2  The fixed service: LruCache, balanced listeners, the timers patch', path.join(__dirname, 'fixed-service.js'), 'fixed');
  process.stdout.write(`\n${bold('Summary')}\n`);
  const verdict = (r) => {
    if (r.leaking) return `leaking (first reported after ${r.firstLeakAt} s)`;
    if (r.firstLeakAt !== null) return `not leaking at the end (but reported leaking after ${r.firstLeakAt} s)`;
    return 'not leaking (never reported)';
  };
  process.stdout.write(`  leaky: ${verdict(leaky)}, ${leaky.done} requests\n`);
  process.stdout.write(`  fixed: ${verdict(fixed)}, ${fixed.done} requests\n`);
  if (leaky.failed + fixed.failed > 0) process.stdout.write(`  (${leaky.failed + fixed.failed} requests failed)\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`demo failed: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  },
);
