'use strict';
// The `leakguard` command: --help, usage errors (exit code 2), `run` of a
// small leaking program producing report.json and report.html with the
// program's exit code passed through, SIGINT handling, and the live status
// line on a terminal.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { parseArgs, formatStatusLine, drawable, LEAK_REPORT } = require('../lib/cli');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'leakguard.js');

function leakguardCli(args, options = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, ...options });
}

function tmpdir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-cli-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// A small leaking service: a global array keeps ~1.6 MB per second.
const LEAKY = `
const keep = [];
const grow = setInterval(() => keep.push(Buffer.alloc(64 * 1024).toString('latin1').slice(0, 40_000) + keep.length), 25);
console.log('ready');
if (process.env.RUN_FOREVER !== '1') setTimeout(() => { clearInterval(grow); process.exitCode = 3; }, Number(process.env.RUN_MS || 3000));
`;

test('--help documents every command and option on stdout, exit 0', () => {
  const out = leakguardCli(['--help']);
  assert.equal(out.status, 0);
  for (const word of ['leakguard run', 'leakguard demo', '--interval-ms', '--html', '--json', '--status-ms', '--no-status', 'Exit codes', 'SIGINT']) {
    assert.ok(out.stdout.includes(word), `--help mentions ${word}`);
  }
  assert.equal(leakguardCli(['run', '--help']).stdout, out.stdout);
  assert.match(leakguardCli(['--version']).stdout, /^\d+\.\d+\.\d+\n$/);
});

test('bad flags and missing commands get a clear message and exit code 2', () => {
  const cases = [
    [['run', '--bogus', '--', 'node', '-e', '1'], /unknown option "--bogus"/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['--frobnicate'], /unknown option "--frobnicate"/],
    [['run'], /needs a command/],
    [['run', '--'], /needs a command/],
    [['run', '--interval-ms', 'abc', '--', 'node', '-e', '1'], /--interval-ms must be an integer; received "abc"/],
    [['run', '--interval-ms', '5', '--', 'node', '-e', '1'], /--interval-ms must be from 10 to 600000/],
    [['run', '--interval-ms'], /--interval-ms needs a value/],
    [['run', '--html', '--json', 'x.json', '--', 'node'], /--html needs a file path/],
    [['demo', 'extra'], /demo takes no arguments/],
    [[], /Usage:/],
  ];
  for (const [args, message] of cases) {
    const out = leakguardCli(args);
    assert.equal(out.status, 2, `${args.join(' ')} → exit 2`);
    assert.match(out.stderr, message, args.join(' '));
  }
});

test('run: options stop at the command; the program keeps its own flags', () => {
  const o = parseArgs(['run', '--interval-ms=250', '--json', 'r.json', 'node', 'app.js', '--html', 'x', '--', 'y']);
  assert.equal(o.intervalMs, 250);
  assert.equal(o.json, 'r.json');
  assert.equal(o.html, undefined);
  assert.deepEqual(o.program, ['node', 'app.js', '--html', 'x', '--', 'y']);
  assert.deepEqual(parseArgs(['run', '--no-status', '--', '--weird-name']).program, ['--weird-name']);
});

test('run writes report.json and report.html for a leaking program and passes its exit code through', (t) => {
  const dir = tmpdir(t);
  const app = path.join(dir, 'leaky.js');
  fs.writeFileSync(app, LEAKY);
  const json = path.join(dir, 'report.json');
  const html = path.join(dir, 'report.html');
  // Short horizons and a small growth threshold, so that the verdict and its
  // suspect come well within the program's 8 s.
  const fast = { LEAKGUARD_WINDOW_MS: '400', LEAKGUARD_WARMUP_MS: '0', LEAKGUARD_MIN_GROWTH_BYTES: String(256 * 1024) };
  const out = leakguardCli(['run', '--interval-ms', '100', '--status-ms', '250', '--json', json, '--html', html, '--', process.execPath, app], {
    env: { ...process.env, ...fast, RUN_MS: '8000' },
  });
  assert.equal(out.status, 3, `the program's exit code: ${out.stderr}`);
  assert.match(out.stderr, /memory is LEAKING/, 'the leak was reported while the program ran');
  assert.match(out.stdout, /ready/, "the program's stdout passes through");
  assert.match(out.stderr, /JSON report written to/);

  const doc = JSON.parse(fs.readFileSync(json, 'utf8'));
  assert.deepEqual(doc.run.command, [process.execPath, app]);
  assert.equal(doc.run.exitCode, 3);
  assert.equal(doc.run.final, true, 'the final snapshot was taken at exit');
  assert.ok(Number.isInteger(doc.run.pid) && doc.run.pid !== process.pid);
  assert.equal(doc.leaking, true, `the report says leaking: ${JSON.stringify(doc).slice(0, 300)}`);
  assert.ok(doc.heap.growing.includes('heap'), `the heap is what grows (${doc.heap.growing})`);
  assert.ok(doc.heap.usedBytes > 1024 * 1024, 'heap figures of the guarded program');
  const pushLine = LEAKY.split('\n').findIndex((l) => l.includes('keep.push(')) + 1;
  const named = (s) => (s.site && s.site.file === app && s.site.line === pushLine) || (s.candidates ?? []).some((c) => c.file === app && c.line === pushLine);
  assert.ok(doc.suspects.some(named), `a suspect names ${app}:${pushLine}: ${JSON.stringify(doc.suspects.map((s) => [s.kind, s.site]))}`);
  assert.ok(Array.isArray(doc.history) && doc.history.length >= 3, `a timeline (${doc.history.length} samples)`);
  const first = doc.history[0];
  const last = doc.history.at(-1);
  assert.ok(last.t > first.t);
  assert.ok(last.heapUsedBytes > first.heapUsedBytes, 'the timeline shows the leak growing');

  const page = fs.readFileSync(html, 'utf8');
  assert.match(page, /id="memory-chart"[\s\S]*<polyline class="line heap"/, 'the HTML report has the heap chart');
  assert.match(page, /<table id="suspects">/);
  assert.ok(page.includes(path.basename(app)), 'the command is named in the page');
});

test('run guards the program even with LEAKGUARD_DISABLE=1 in the environment, without saying it is off', (t) => {
  const dir = tmpdir(t);
  const app = path.join(dir, 'env.js');
  fs.writeFileSync(app, "console.log(JSON.stringify({ disable: process.env.LEAKGUARD_DISABLE }));");
  const json = path.join(dir, 'report.json');
  const out = leakguardCli(['run', '--no-status', '--json', json, '--', process.execPath, app], {
    env: { ...process.env, LEAKGUARD_DISABLE: '1' },
  });
  assert.equal(out.status, 0, out.stderr);
  assert.doesNotMatch(out.stderr, /leakguard: off/);
  assert.deepEqual(JSON.parse(out.stdout), { disable: '1' }, "the program's environment is left as it was");
  assert.equal(typeof JSON.parse(fs.readFileSync(json, 'utf8')).leaking, 'boolean', 'a report was written');
});

test('SIGINT to leakguard is forwarded; the reports are still written; exit code 130', async (t) => {
  const dir = tmpdir(t);
  const app = path.join(dir, 'forever.js');
  fs.writeFileSync(app, LEAKY);
  const json = path.join(dir, 'report.json');
  const child = spawn(process.execPath, [BIN, 'run', '--interval-ms', '100', '--json', json, '--', process.execPath, app], {
    env: { ...process.env, RUN_FOREVER: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  await new Promise((resolve) => child.stdout.on('data', (d) => String(d).includes('ready') && resolve()));
  await new Promise((resolve) => setTimeout(resolve, 1500)); // let a few samples accumulate
  child.kill('SIGINT');
  const [code, signal] = await new Promise((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  clearTimeout(killer);
  assert.equal(signal, null, stderr);
  assert.equal(code, 130, stderr);
  const doc = JSON.parse(fs.readFileSync(json, 'utf8'));
  assert.equal(doc.run.signal, 'SIGINT');
  assert.equal(doc.run.final, false, 'the program died of the signal at once: the report is the last tick\'s');
  assert.ok(doc.history.length > 0);
});

/** Runs leakguard run on `program`, waits for its "ready <pid>" line, then calls `kill(pid, child)`; resolves at exit. */
async function runUntilKilled(t, program, kill, extra = []) {
  const dir = tmpdir(t);
  const app = path.join(dir, 'app.js');
  fs.writeFileSync(app, program);
  const json = path.join(dir, 'report.json');
  const child = spawn(process.execPath, [BIN, 'run', '--no-status', '--status-ms', '250', '--json', json, ...extra, '--', process.execPath, app], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const pid = await new Promise((resolve) =>
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = /ready (\d+)/.exec(stdout);
      if (m) resolve(Number(m[1]));
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 600)); // a few ticks of figures
  kill(pid, child);
  const end = await exited;
  clearTimeout(killer);
  return { ...end, stdout, stderr, json };
}

test('a program that signals itself dies of the signal as it would bare (143), and the report is still written', (t) => {
  const program = "process.kill(process.pid, 'SIGTERM'); console.log('still running after SIGTERM');";
  const bare = spawnSync(process.execPath, ['-e', program], { encoding: 'utf8' });
  assert.equal(bare.signal, 'SIGTERM', 'bare, the signal kills it');
  const dir = tmpdir(t);
  const json = path.join(dir, 'report.json');
  const out = leakguardCli(['run', '--no-status', '--json', json, '--', process.execPath, '-e', program]);
  assert.equal(out.status, 143, out.stderr);
  assert.doesNotMatch(out.stdout, /still running/, 'no code runs after the signal, as bare');
  const doc = JSON.parse(fs.readFileSync(json, 'utf8'));
  assert.equal(doc.run.signal, 'SIGTERM', 'the run saw the program die of SIGTERM');
  assert.equal(doc.run.exitCode, null);
  assert.equal(typeof doc.leaking, 'boolean', 'a report of the program');
});

test('a busy program sent SIGTERM ends at once, as bare, and the report is written', async (t) => {
  const busy = "console.log('ready ' + process.pid); const t = Date.now(); while (Date.now() - t < 20000);";
  for (const target of ['program', 'leakguard']) {
    const out = await runUntilKilled(t, busy, (pid, child) => (target === 'program' ? process.kill(pid, 'SIGTERM') : child.kill('SIGTERM')));
    assert.equal(out.signal, null, `${target}: ${out.stderr}`);
    assert.equal(out.code, 143, `${target}: ${out.stderr}`);
    const doc = JSON.parse(fs.readFileSync(out.json, 'utf8'));
    assert.equal(doc.run.signal, 'SIGTERM');
    assert.equal(typeof doc.leaking, 'boolean');
  }
});

test('SIGHUP to leakguard is forwarded: the program dies of it (129) and the report is written', async (t) => {
  const idle = "console.log('ready ' + process.pid); setInterval(() => {}, 1000);";
  const out = await runUntilKilled(t, idle, (_pid, child) => child.kill('SIGHUP'));
  assert.equal(out.code, 129, out.stderr);
  assert.equal(JSON.parse(fs.readFileSync(out.json, 'utf8')).run.signal, 'SIGHUP');
});

test("a program's own SIGTERM handler keeps its behaviour, and its exit writes the final report", async (t) => {
  const graceful = "process.on('SIGTERM', () => { console.log('graceful'); process.exit(7); }); console.log('ready ' + process.pid); setInterval(() => {}, 1000);";
  const out = await runUntilKilled(t, graceful, (pid) => process.kill(pid, 'SIGTERM'));
  assert.equal(out.code, 7, out.stderr);
  assert.match(out.stdout, /graceful/);
  const doc = JSON.parse(fs.readFileSync(out.json, 'utf8'));
  assert.equal(doc.run.exitCode, 7);
  assert.equal(doc.run.final, true, 'written at exit');
});

test('Ctrl-C on a terminal reaches the program once, as bare, not once more through leakguard', async (t) => {
  const hasScript = spawnSync('sh', ['-c', 'command -v script'], { encoding: 'utf8' }).stdout.trim();
  if (!hasScript) return t.skip('needs script(1) for a pseudo-terminal');
  const dir = tmpdir(t);
  const app = path.join(dir, 'count.js');
  fs.writeFileSync(
    app,
    "let n = 0; process.on('SIGINT', () => { if (++n === 1) setTimeout(() => { console.log('SIGINTS=' + n); process.exit(0); }, 1000); });" +
      " console.log('ready'); setInterval(() => {}, 1000);",
  );
  const quote = (a) => `'${a.replace(/'/g, "'\\''")}'`;
  const cmd = [process.execPath, BIN, 'run', '--no-status', '--', process.execPath, app].map(quote).join(' ');
  // script(1) runs the command on a pseudo-terminal; the ETX byte written to
  // its input is the terminal's Ctrl-C: SIGINT to the foreground process group.
  const pty = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const killer = setTimeout(() => pty.kill('SIGKILL'), 30_000);
  let out = '';
  pty.stdout.on('data', (d) => {
    out += d;
    if (/ready/.test(out) && !pty.sent) {
      pty.sent = true;
      setTimeout(() => pty.stdin.write('\x03'), 500);
    }
  });
  await new Promise((resolve) => pty.once('exit', resolve));
  clearTimeout(killer);
  assert.match(out, /SIGINTS=1\b/, out);
});

test('--interval-ms starts the sampler once: no LEAKGUARD_ALREADY_STARTED in the program\'s stderr', (t) => {
  const dir = tmpdir(t);
  const json = path.join(dir, 'report.json');
  const out = leakguardCli(['run', '--no-status', '--interval-ms', '100', '--json', json, '--', process.execPath, '-e', 'setTimeout(() => {}, 500)']);
  assert.equal(out.status, 0, out.stderr);
  assert.doesNotMatch(out.stderr, /ALREADY_STARTED|already running/);
  const doc = JSON.parse(fs.readFileSync(json, 'utf8'));
  assert.equal(doc.sampler.intervalMs, 100, 'the interval asked for is the one used');
});

test('--json or --html where no file can be written is a usage error before the program runs', (t) => {
  const dir = tmpdir(t);
  const marker = path.join(dir, 'ran');
  const program = ['--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`];
  for (const args of [
    ['--json', path.join(dir, 'missing', 'report.json')],
    ['--html', dir],
  ]) {
    const out = leakguardCli(['run', '--no-status', ...args, ...program]);
    assert.equal(out.status, 2, out.stderr);
    assert.match(out.stderr, /could not be written there: (the directory .* does not exist|.* is a directory)/);
    assert.ok(!fs.existsSync(marker), 'the program did not run');
  }
});

test('a command that starts no Node.js process: a failing exit code passes through, a success becomes 3, no report is invented', (t) => {
  const dir = tmpdir(t);
  const json = path.join(dir, 'report.json');
  const out = leakguardCli(['run', '--json', json, '--', 'sh', '-c', 'exit 5']);
  assert.equal(out.status, 5);
  assert.match(out.stderr, /no figures were received/);
  assert.ok(!fs.existsSync(json));
  const ok = leakguardCli(['run', '--json', json, '--', 'sh', '-c', 'exit 0']);
  assert.equal(ok.status, 3, 'nothing was guarded: not a success');
  assert.match(ok.stderr, /no figures were received/);
  assert.ok(!fs.existsSync(json));
  const missing = leakguardCli(['run', '--', path.join(dir, 'no-such-program')]);
  assert.equal(missing.status, 127);
  assert.match(missing.stderr, /cannot run/);
});

test('run exits non-zero and says why when leakguard could not load in the program', (t) => {
  const dir = tmpdir(t);
  const json = path.join(dir, 'report.json');
  // The napi-rs loader's override variable makes the addon load fail in the
  // program (the leakguard command itself loads no addon).
  const env = { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: path.join(dir, 'missing.node') };
  const out = leakguardCli(['run', '--json', json, '--', process.execPath, '-e', 'setTimeout(() => {}, 300)'], { env });
  assert.equal(out.status, 3, out.stderr);
  assert.match(out.stderr, /leakguard did not run in the program, nothing was guarded: .*native addon/);
  assert.match(out.stderr, /LEAKGUARD_START_FAILED/, "the program's own warning passes through");
  assert.ok(!fs.existsSync(json), 'no report is invented');
});

test('the live status line shows heap, baseline slope and verdict on a terminal, never sharing a line with the program', (t) => {
  const hasScript = spawnSync('sh', ['-c', 'command -v script'], { encoding: 'utf8' }).stdout.trim();
  if (!hasScript) {
    t.skip('util-linux `script` (a pseudo-terminal) is not available');
    return;
  }
  const dir = tmpdir(t);
  const app = path.join(dir, 'leaky.js');
  // The program also writes a line every 100 ms, so its output and the
  // status redraws interleave.
  fs.writeFileSync(app, `${LEAKY}\nconst talk = setInterval(() => console.log('tick'), 100); setTimeout(() => clearInterval(talk), 1800);\n`);
  const cmd = [process.execPath, BIN, 'run', '--interval-ms', '100', '--status-ms', '250', '--', process.execPath, app]
    .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
    .join(' ');
  const out = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, RUN_MS: '2000' } });
  assert.equal(out.status, 3, out.stdout);
  // eslint-disable-next-line no-control-regex -- the terminal's erase-line sequence is what is asserted
  assert.match(out.stdout, /\r\x1b\[2Kleakguard: heap \d+\.\d MB · baseline .* · rss \d+\.\d MB · (no leak|no verdict yet|LEAKING)/, 'a redrawn status line');
  // Every drawn status line is erased before anything else is written: the
  // text between two erase sequences that starts with a status line is that
  // line alone (the final summary ends with a newline).
  // eslint-disable-next-line no-control-regex -- the erase-line sequence
  const drawn = out.stdout.split(/\r\x1b\[2K/).filter((seg) => seg.startsWith('leakguard: heap'));
  assert.ok(drawn.length >= 2, `status lines were drawn: ${JSON.stringify(out.stdout.slice(0, 400))}`);
  for (const seg of drawn) {
    const line = seg.replace(/\r?\n$/, '').split(/\r?\n/);
    assert.equal(line.length, 1, `a status line shares its line with other output: ${JSON.stringify(seg)}`);
    assert.equal(line[0].split('leakguard:').length, 2, `one message per line: ${JSON.stringify(seg)}`);
  }
  assert.equal((out.stdout.match(/^tick\r?$/gm) || []).length >= 10, true, "the program's lines pass through whole");


  // Not a terminal: no status line, only the final summary.
  const piped = leakguardCli(['run', '--', process.execPath, app], { env: { ...process.env, RUN_MS: '500' } });
  // eslint-disable-next-line no-control-regex -- as above
  assert.doesNotMatch(piped.stderr, /\x1b\[2K/);
});

test('formatStatusLine names the verdict and the top suspect, in MB', () => {
  const line = formatStatusLine({ leaking: true, heapUsedBytes: 52e6, baselineBytes: 48e6, slopeBytesPerSec: 2000, rssBytes: 100e6, suspects: 2, top: 'timer /srv/a.js:4' });
  assert.equal(line, 'leakguard: heap 52.0 MB · baseline 48.0 MB +2.0 kB/s · rss 100.0 MB · LEAKING (2 suspects; top: timer /srv/a.js:4)');
  const base = { leaking: false, heapUsedBytes: 52e6, baselineBytes: 48e6, slopeBytesPerSec: -500, rssBytes: 100e6, suspects: 0 };
  assert.match(formatStatusLine({ ...base, firstVerdictInMs: 41_200 }), /−500 B\/s · .* · no verdict yet \(first in 42 s\)$/);
  assert.match(formatStatusLine({ ...base, firstVerdictInMs: 0 }), / · no leak$/);
  assert.match(formatStatusLine({ ...base, endedBeforeVerdictMs: 16_000 }), /no verdict \(the program ended before the first one, due 16 s after start\)$/);
  assert.equal(
    formatStatusLine({ ...base, heapUsedBytes: 0, samples: 0, endedBeforeVerdictMs: 64_000 }),
    'leakguard: no sample yet · no verdict (the program ended before the first one, due 64 s after start)',
    'zeros before the first sample are not shown as figures',
  );
  assert.match(formatStatusLine(null), /waiting/);
  assert.match(formatStatusLine({ error: 'sampler failed' }), /no figures \(sampler failed\)/);
});

test('after the program prints a leak report, a "no leak" status written before it is not drawn', () => {
  // What leakguard/register prints on a leak, in both of its formats.
  const { formatReport } = require('../lib/sampler');
  const report = { ...require('..').report(), leaking: true, suspects: [] };
  assert.match(formatReport(report), LEAK_REPORT, 'the text report');
  assert.match(`${JSON.stringify(report)}\n`, LEAK_REPORT, 'the JSON report (LEAKGUARD_REPORT=json)');
  assert.doesNotMatch(formatReport({ ...report, leaking: false }), LEAK_REPORT);
  assert.doesNotMatch('{"leaking":false}\nsome log line\n', LEAK_REPORT);

  const reportAt = 1_000_000;
  assert.equal(drawable({ t: reportAt - 1, leaking: false }, reportAt), false, 'stale: still says no leak');
  assert.equal(drawable({ t: reportAt + 1, leaking: false }, reportAt), true, 'written after the report: what the sampler says now');
  assert.equal(drawable({ t: reportAt - 1, leaking: true }, reportAt), true);
  assert.equal(drawable({ t: 5, leaking: false }, 0), true, 'no leak report printed');
  assert.equal(drawable(null, reportAt), true, 'waiting for the program');
});
