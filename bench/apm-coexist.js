'use strict';
// leakguard beside dd-trace (with its heap profiler on) and New Relic, which
// are not dev dependencies: install them anywhere and name the folder.
//
//   cd "$(mktemp -d)" && npm init -y && npm install dd-trace@5 newrelic@13
//   node bench/apm-coexist.js --modules <that folder>/node_modules
//
// Each case runs in its own process and prints PASS or FAIL with what it saw:
//   dd-trace, V8's sampling heap profiler (issue 30 item 1):
//     dd-first-stop    dd-trace's heap profiler runs first: leakguard reads it
//                      as 'other', and after stop() V8's sampling still runs
//                      and dd-trace's pprof still takes a heap profile.
//     dd-profiling-off dd-trace stops its heap profiler under leakguard (its
//                      "profiling off"): leakguard's next read notices,
//                      starts its own, counts it and warns once.
//   New Relic and dd-trace, patched functions (item 2):
//     nr-after-stop    New Relic loaded after start() (its timers
//                      instrumentation turned on): stop() keeps its timer
//                      wrappers, warns once, and the chain still works.
//     dd-after-stop    the same with dd-trace.

const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const CASES = ['dd-first-stop', 'dd-profiling-off', 'nr-after-stop', 'dd-after-stop'];

function inspectorProbe() {
  const inspector = require('node:inspector');
  const session = new inspector.Session();
  session.connect();
  return () => {
    let ok = false;
    session.post('HeapProfiler.getSamplingProfile', {}, (err) => (ok = !err));
    return ok;
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what, fn, ms = 10_000) {
  const until = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function loadDdTrace(modules) {
  const tracer = require(path.join(modules, 'dd-trace'));
  tracer.init({ profiling: true, startupLogs: false });
  return tracer;
}

function loadNewRelic(modules) {
  return require(path.join(modules, 'newrelic'));
}

function wrappers() {
  const EventEmitter = require('node:events');
  return { setTimeout: globalThis.setTimeout, on: EventEmitter.prototype.on, addListener: EventEmitter.prototype.addListener };
}

async function runCase(name, modules) {
  const warnings = [];
  process.on('warning', (w) => {
    if (String(w.code).startsWith('LEAKGUARD_')) warnings.push(w.code);
  });
  const lg = require(ROOT);
  const samplingRuns = inspectorProbe();
  const seen = { warnings };
  switch (name) {
    case 'dd-first-stop': {
      loadDdTrace(modules);
      await waitFor("dd-trace's heap profiler", samplingRuns);
      lg.start({ intervalMs: 100 });
      seen.owner = lg.report().sampler.allocationProfile?.owner;
      lg.stop();
      await sleep(10);
      seen.samplingAfterStop = samplingRuns();
      const pprof = require(require.resolve('@datadog/pprof', { paths: [path.join(modules, 'dd-trace')] }));
      try {
        pprof.heap.profile();
        seen.pprofHeapProfile = 'ok';
      } catch (err) {
        seen.pprofHeapProfile = err.message;
      }
      return { pass: seen.owner === 'other' && seen.samplingAfterStop && seen.pprofHeapProfile === 'ok', seen };
    }
    case 'dd-profiling-off': {
      loadDdTrace(modules);
      await waitFor("dd-trace's heap profiler", samplingRuns);
      const { AllocationProfiler } = require(path.join(ROOT, 'lib/sampler/allocation-profiler'));
      const p = new AllocationProfiler({ samplingIntervalBytes: 512 * 1024 });
      p.start();
      seen.ownerBefore = p.status().owner;
      // What dd-trace does when profiling is turned off: its pprof heap profiler stops V8's.
      const pprof = require(require.resolve('@datadog/pprof', { paths: [path.join(modules, 'dd-trace')] }));
      pprof.heap.stop();
      seen.samplingAfterAgentStop = samplingRuns();
      p.read(() => {});
      seen.after = p.status();
      seen.samplingAfterRead = samplingRuns();
      p.close();
      await sleep(10);
      return {
        pass: seen.ownerBefore === 'other' && seen.after.stoppedUnder === 1 && seen.after.owner === 'leakguard' && seen.samplingAfterRead && warnings.includes('LEAKGUARD_PROFILER_STOPPED'),
        seen,
      };
    }
    case 'nr-after-stop':
    case 'dd-after-stop': {
      lg.start({ intervalMs: 100 });
      const ours = wrappers();
      if (name === 'nr-after-stop') loadNewRelic(modules);
      else loadDdTrace(modules);
      await sleep(200);
      const agent = wrappers();
      seen.agentWrapped = Object.keys(agent).filter((k) => agent[k] !== ours[k]);
      lg.stop();
      const after = wrappers();
      seen.keptAfterStop = seen.agentWrapped.filter((k) => after[k] === agent[k]);
      // The chain still works.
      const EventEmitter = require('node:events');
      const e = new EventEmitter();
      let heard = 0;
      e.on('x', () => heard++);
      e.emit('x');
      await new Promise((resolve) => setTimeout(resolve, 1));
      seen.works = heard === 1;
      await sleep(10);
      return { pass: seen.keptAfterStop.length === seen.agentWrapped.length && seen.works, seen };
    }
    default:
      throw new Error(`unknown case ${name}`);
  }
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--case') {
    const result = await runCase(args[1], args[2]);
    process.stdout.write(`APM_CASE ${JSON.stringify(result)}\n`);
    process.exit(0);
  }
  const at = args.indexOf('--modules');
  if (at === -1) throw new Error('usage: node bench/apm-coexist.js --modules <folder with dd-trace and newrelic>/node_modules');
  const modules = path.resolve(args[at + 1]);
  const versions = {};
  for (const m of ['dd-trace', 'newrelic']) {
    try {
      versions[m] = require(path.join(modules, m, 'package.json')).version;
    } catch {
      versions[m] = null;
    }
  }
  console.log(`Node ${process.version}; dd-trace ${versions['dd-trace']}; newrelic ${versions.newrelic}`);
  const env = {
    ...process.env,
    DD_PROFILING_ENABLED: 'true',
    DD_PROFILING_PROFILERS: 'space',
    DD_TRACE_AGENT_URL: 'http://127.0.0.1:9',
    DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
    DD_REMOTE_CONFIGURATION_ENABLED: 'false',
    NEW_RELIC_APP_NAME: 'leakguard-coexist',
    NEW_RELIC_LICENSE_KEY: '0000000000000000000000000000000000000000',
    NEW_RELIC_NO_CONFIG_FILE: 'true',
    NEW_RELIC_HOST: '127.0.0.1',
    NEW_RELIC_PORT: '9',
    NEW_RELIC_LOG_ENABLED: 'false',
    // New Relic 13 ships its timers instrumentation off; the case turns it on.
    NEW_RELIC_INSTRUMENTATION_TIMERS_ENABLED: 'true',
  };
  for (const name of CASES) {
    const needs = name.startsWith('nr') ? 'newrelic' : 'dd-trace';
    if (versions[needs] === null) {
      console.log(`${name}: SKIP (${needs} not in ${modules})`);
      continue;
    }
    const r = spawnSync(process.execPath, [__filename, '--case', name, modules], { env, encoding: 'utf8', timeout: 60_000 });
    const line = (r.stdout || '').split('\n').find((l) => l.startsWith('APM_CASE '));
    if (line === undefined) {
      console.log(`${name}: FAIL (exit ${r.status}) ${(r.stderr || '').split('\n').slice(0, 5).join(' | ')}`);
      continue;
    }
    const { pass, seen } = JSON.parse(line.slice('APM_CASE '.length));
    console.log(`${name}: ${pass ? 'PASS' : 'FAIL'} ${JSON.stringify(seen)}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
