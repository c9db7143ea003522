'use strict';
// leakguard's footprint at rest: an idle HTTP server (listening, no traffic)
// in three fresh processes — bare, after `require('leakguard')` alone, and
// after `start()` with everything on at the defaults — each measured after
// it settled (two full GCs, a second idle). Reports RSS and V8 heap used, the
// median of --runs processes per variant (interleaved), and the modules
// loaded (so a module that should load only for a verdict or a report shows).
//
// Run: node bench/footprint.js [--runs N]
//
// Must never: leave a process running (each child exits on its own).

const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || (args.includes('--runs') ? 5 : 5);

const CHILD = (variant) => `
  const http = require('node:http');
  ${variant !== 'bare' ? "const lg = require(process.argv[1]);" : ''}
  ${variant === 'start' ? 'lg.start();' : ''}
  const server = http.createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1', () => {
    setTimeout(() => {
      gc(); gc();
      setTimeout(() => {
        gc();
        const m = process.memoryUsage();
        let anon = NaN;
        try {
          anon = 1024 * Number(/^Anonymous:\\s+(\\d+) kB/m.exec(require('node:fs').readFileSync('/proc/self/smaps_rollup', 'utf8'))[1]);
        } catch {}
        const loaded = Object.keys(require.cache).map((f) => require('node:path').relative(process.argv[1], f));
        process.stdout.write(JSON.stringify({ rss: m.rss, anon, heapUsed: m.heapUsed, external: m.external, loaded }));
        ${variant === 'start' ? 'lg.stop();' : ''}
        server.close();
      }, 1000);
    }, 1000);
  });
`;

function measure(variant) {
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', CHILD(variant), ROOT], {
    cwd: ROOT,
    env: { ...process.env, LEAKGUARD_QUIET: '1', LEAKGUARD_REPORT: 'none' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`${variant}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const MB = (b) => (b / 1024 / 1024).toFixed(1);

const variants = ['bare', 'require', 'start'];
const got = Object.fromEntries(variants.map((v) => [v, []]));
for (let i = 0; i < runs; i++) for (const v of variants) got[v].push(measure(v));

console.log(`footprint at rest, idle HTTP server, Node ${process.version}, median of ${runs} processes`);
// RSS counts the pages of Node's own binary that loading builtin modules
// touches (file-backed, shared with every Node process, reclaimable);
// `anon` is the process's private anonymous memory (V8 heap, code, malloc).
console.log('variant     RSS MB (range)           anon MB (range)          heapUsed MB (range)     vs bare: RSS    anon    heap');
const cols = { rss: (m) => m.rss, anon: (m) => m.anon, heap: (m) => m.heapUsed };
const base = Object.fromEntries(Object.entries(cols).map(([k, f]) => [k, median(got.bare.map(f))]));
for (const v of variants) {
  let line = v.padEnd(10);
  for (const f of Object.values(cols)) {
    const xs = got[v].map(f);
    line += `${MB(median(xs)).padStart(6)} (${MB(Math.min(...xs))}–${MB(Math.max(...xs))})`.padEnd(25);
  }
  if (v !== 'bare') for (const [k, f] of Object.entries(cols)) line += `+${MB(median(got[v].map(f)) - base[k])}`.padStart(8);
  console.log(line);
}
const lazy = (m) => m.loaded.filter((f) => /acorn|html-report|source-map|candidates|attribution/.test(f));
console.log(`loaded after start(), of what only a verdict or a report needs: ${lazy(got.start[0]).join(', ') || 'none'}`);
