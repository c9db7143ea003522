'use strict';
// The cost of naming allocation suspects at verdict time (lib/sampler/attribution.js),
// on a 50 MB and a 500 MB live heap. Run: node --max-old-space-size=2048 bench/attribution.js [--rounds N]
//
// The heap is built by a generated application in a temp folder: 60 modules
// of 120–6000 lines, each growing its own module-level container from a
// function that also calls helpers, plus acorn parsing its own source into
// kept syntax trees (a dependency allocating), all under V8's sampling heap
// profiler at leakguard's default interval (512 KiB). Per heap size, rounds
// of:
//   read:   HeapProfiler.getSamplingProfile (forces a full GC; the profiler's
//           own cost, shown for scale: leakguard pays it with or without attribution)
//   sites:  profileSites + diffSites (every sample charged to its nearest user
//           frame, whole stacks and builtins kept): done at every profile read
//   first:  the first report after a leak is found: the top 10 suspects (by
//           live bytes) with nothing cached; it parses at most 4 files, the
//           rest are named by the next reports
//   all 10: every one of the 10 suspects attributed with nothing cached (the
//           parse work the first few reports share)
//   warm:   a report once the parsed files are cached: every later report
// Each figure is CPU time of this process (process.cpuUsage: user + system,
// every thread, so GC helper threads count), which other processes on a
// shared machine move far less than wall time; the wall-time medians follow.
// Medians and [min–max] over the rounds.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const inspector = require('node:inspector');
const { performance } = require('node:perf_hooks');
const { profileSites, diffSites, Attributor, attributeReport } = require('../lib/sampler/attribution');

const argRounds = process.argv.indexOf('--rounds');
const ROUNDS = argRounds > 0 ? Number(process.argv[argRounds + 1]) : 7;
const MB = 1e6;

function makeApp(dir) {
  const files = [];
  for (let m = 0; m < 60; m++) {
    const helpers = 20 + ((m * 37) % 1000); // 120..6000 lines
    const lines = ["'use strict';", `const store${m} = new Map();`, `const log${m} = [];`];
    for (let h = 0; h < helpers; h++) {
      lines.push(`function helper${h}(x) {`, `  const y = { h: ${h}, x, at: x * 2 };`, `  if (y.at > 1e12) log${m}.push(y);`, '  return y.at;', '}', '');
    }
    lines.push(
      `function grow${m}(i, payload) {`,
      `  const entry = { i, payload, note: 'entry ${m} '.repeat(8), total: helper0(i) };`,
      `  store${m}.set(i, entry);`,
      `  if (i % 64 === 0) log${m}.push(i);`,
      '  return entry;',
      '}',
      `module.exports = { grow: grow${m}, store: store${m} };`,
    );
    const file = path.join(dir, `module${m}.js`);
    fs.writeFileSync(file, lines.join('\n'));
    files.push(file);
  }
  return files;
}

function post(session, method, params = {}) {
  let out;
  let error = null;
  session.post(method, params, (err, r) => {
    error = err;
    out = r;
  });
  if (error) throw error;
  return out;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
/** Runs fn once: { cpu, wall } in ms, and its result. */
function timed(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1000, wall, value };
}
const fmt = (xs) => `${median(xs).toFixed(1)} [${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}]`;

function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-attr-bench-'));
  try {
    const files = makeApp(dir);
    const modules = files.map((f) => require(f));
    const acorn = require('acorn');
    const acornSource = fs.readFileSync(require.resolve('acorn'), 'utf8');
    const trees = [];
    const session = new inspector.Session();
    session.connect();
    post(session, 'HeapProfiler.startSampling', { samplingInterval: 512 * 1024 });
    let i = 0;
    // Live heap after a full GC (heapUsed alone counts garbage too).
    const liveHeap = () => {
      post(session, 'HeapProfiler.collectGarbage');
      return process.memoryUsage().heapUsed;
    };
    const growTo = (bytes) => {
      while (liveHeap() < bytes) {
        for (let k = 0; k < 20000; k++, i++) {
          modules[i % modules.length].grow(i, `payload ${i}`.padEnd(200, '.'));
          if (i % 40000 === 0) trees.push(acorn.parse(acornSource, { ecmaVersion: 'latest' }));
        }
      }
    };
    const rows = [];
    for (const target of [50 * MB, 500 * MB]) {
      growTo(target);
      const heapMb = liveHeap() / MB;
      const t = { read: [], sites: [], cold: [], all: [], warm: [], yard: [] };
      const w = { read: [], sites: [], cold: [], all: [], warm: [], yard: [] };
      let previous = null;
      let nodes = 0;
      let json = 0;
      let suspects = [];
      for (let r = 0; r < ROUNDS; r++) {
        const read = timed(() => post(session, 'HeapProfiler.getSamplingProfile').profile);
        const profile = read.value;
        const agg = timed(() => {
          const sites = profileSites(profile);
          // Growth against the previous read decides which sites are suspects; here
          // the heap holds still between rounds, so the top 10 by live bytes stand in.
          diffSites(sites, previous ?? new Map(), 1);
          suspects = diffSites(sites, new Map(), 1);
          return sites;
        });
        const sites = agg.value;
        for (const [k, v] of [['read', read], ['sites', agg]]) {
          t[k].push(v.cpu);
          w[k].push(v.wall);
        }
        previous = sites;
        if (r === 0) {
          let n = 0;
          const count = (x) => {
            n++;
            x.children.forEach(count);
          };
          count(profile.head);
          nodes = n;
          json = JSON.stringify(profile).length;
        }
        const facts = new Map(suspects.map((s) => [s.facts.key, s.facts]));
        const report = () => ({ suspects: suspects.map((s) => ({ kind: 'allocation', site: s.site, stack: s.stack, description: 'x' })) });
        // The two cold variants alternate which runs first (the first after a read pays for its garbage).
        const attributor = new Attributor();
        const fresh = new Attributor();
        const first = () => timed(() => attributeReport(report(), facts, attributor));
        const every = () => timed(() => suspects.map((s) => fresh.attribute(s.facts)));
        let cold;
        let all;
        if (r % 2 === 0) {
          cold = first();
          all = every();
        } else {
          all = every();
          cold = first();
        }
        const warm = timed(() => attributeReport(report(), facts, fresh));
        // A yardstick for this machine at this moment: acorn parsing its own 246 kB source.
        const yard = timed(() => acorn.parse(acornSource, { ecmaVersion: 'latest', locations: true }));
        t.yard.push(yard.cpu);
        w.yard.push(yard.wall);
        for (const [k, v] of [['cold', cold], ['all', all], ['warm', warm]]) {
          t[k].push(v.cpu);
          w[k].push(v.wall);
        }
      }
      const named = attributeReport({ suspects: suspects.map((s) => ({ kind: 'allocation', site: s.site, description: 'x' })) }, new Map(suspects.map((s) => [s.facts.key, s.facts])), new Attributor()).suspects;
      const withLine = named.filter((s) => Array.isArray(s.candidates) && s.candidates.length > 0).length;
      const paths = new Set(suspects.map((s) => s.facts.generatedFile));
      const files = paths.size;
      const sourceKb = [...paths].reduce((n, f) => n + (fs.existsSync(f) ? fs.statSync(f).size : 0), 0) / 1e3;
      rows.push({ heapMb, nodes, json, suspects: suspects.length, withLine, files, sourceKb, t, w });
    }
    console.log(`node ${process.version}, ${os.cpus().length} cores, ${ROUNDS} rounds per heap size; CPU ms, median [min–max]; wall ms median in the last column`);
    console.log('| live heap (post-GC) | profile nodes / JSON | read (getSamplingProfile, full GC) | sites (aggregate + diff, every read) | first report (≤ 4 files parsed) | all 10 suspects, nothing cached | report, files cached | suspects named (files, source) | yardstick: acorn.parse(acorn.js) | wall: read / sites / first / all / cached / yardstick |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const wall = ['read', 'sites', 'cold', 'all', 'warm', 'yard'].map((k) => median(r.w[k]).toFixed(1)).join(' / ');
      console.log(`| ${r.heapMb.toFixed(0)} MB | ${r.nodes} / ${(r.json / 1e3).toFixed(0)} kB | ${fmt(r.t.read)} | ${fmt(r.t.sites)} | ${fmt(r.t.cold)} | ${fmt(r.t.all)} | ${fmt(r.t.warm)} | ${r.withLine} of ${r.suspects} (${r.files}, ${r.sourceKb.toFixed(0)} kB) | ${fmt(r.t.yard)} | ${wall} |`);
    }
    post(session, 'HeapProfiler.stopSampling');
    session.disconnect();
    void trees;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
