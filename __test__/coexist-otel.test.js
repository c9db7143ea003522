'use strict';
// leakguard beside OpenTelemetry (the SDK packages are dev dependencies):
// context and span parents through leakguard's timers and listeners are what
// they are bare, under both context managers; a leak is named on the
// application's line with the agent loaded before or after leakguard
// (fixtures/otel-leak.js); stop() keeps the agent's wrappers installed after
// leakguard's.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const EventEmitter = require('node:events');
const nodeTimers = require('node:timers');

const api = require('@opentelemetry/api');
const { AsyncHooksContextManager, AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-node');
const { InstrumentationBase, isWrapped } = require('@opentelemetry/instrumentation');

const lg = require('..');
const { captureWarnings } = require('./support/warnings');

const FIXTURE = path.join(__dirname, 'fixtures', 'otel-leak.js');
const FIXTURE_LINES = fs.readFileSync(FIXTURE, 'utf8').split('\n');
const lineOf = (text) => FIXTURE_LINES.findIndex((l) => l.includes(text)) + 1;
const LEAK_LINE = lineOf('// LEAK-LINE');
const LEAK_FUNCTIONS = [lineOf('function remember('), lineOf('http.createServer(')];
const KEY = api.createContextKey('leakguard-coexist');

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
api.trace.setGlobalTracerProvider(provider);
const tracer = api.trace.getTracer('coexist');

/** What the active context and span parents are inside timers and listeners. */
async function probe() {
  exporter.reset();
  const seen = {};
  const ctx = api.ROOT_CONTEXT.setValue(KEY, 'request-1');
  const read = () => api.context.active().getValue(KEY) ?? null;
  let plain;
  let bound;
  let target;
  await api.context.with(ctx, async () => {
    await new Promise((resolve) => setTimeout(() => resolve((seen.timeout = read())), 1));
    await new Promise((resolve) => {
      const iv = setInterval(() => {
        clearInterval(iv);
        resolve((seen.interval = read()));
      }, 1);
    });
    await new Promise((resolve) => nodeTimers.setTimeout(() => resolve((seen.moduleTimeout = read())), 1));
    plain = new EventEmitter();
    plain.on('x', () => (seen.plainListener = read()));
    plain.once('y', () => (seen.onceListener = read()));
    bound = api.context.bind(ctx, new EventEmitter());
    target = new EventTarget();
    target.addEventListener('x', () => (seen.targetListener = read()));
    // A span whose child starts in a timer and in a listener.
    await new Promise((resolve) => {
      tracer.startActiveSpan('parent', (parent) => {
        setTimeout(() => {
          tracer.startSpan('child-of-timer').end();
          bound.emit('span');
          parent.end();
          resolve();
        }, 1);
      });
    });
  });
  bound.on('x', () => (seen.boundListener = read()));
  bound.on('span', () => tracer.startSpan('child-of-listener').end());
  // Emitted outside of the context: a plain listener sees the emitter's caller's, a bound one its own.
  plain.emit('x');
  plain.emit('y');
  bound.emit('x');
  target.dispatchEvent(new Event('x'));
  const spans = exporter.getFinishedSpans();
  const parent = spans.find((s) => s.name === 'parent');
  seen.spans = spans.map((s) => s.name).sort();
  seen.childOfTimer = spans.find((s) => s.name === 'child-of-timer')?.parentSpanContext?.spanId === parent.spanContext().spanId;
  return seen;
}

for (const [name, Manager] of [
  ['AsyncLocalStorage', AsyncLocalStorageContextManager],
  ['AsyncHooks', AsyncHooksContextManager],
]) {
  test(`with the ${name} context manager, context and span parents through leakguard's timers and listeners equal bare`, async () => {
    const manager = new Manager().enable();
    api.context.setGlobalContextManager(manager);
    try {
      const bare = await probe();
      assert.equal(bare.timeout, 'request-1', 'the probe itself sees the context bare');
      assert.equal(bare.childOfTimer, true);
      lg.start({ intervalMs: 100, timers: true, listeners: true });
      let guarded;
      try {
        assert.equal(require('../lib/timers').timersPatched(), true);
        guarded = await probe();
      } finally {
        lg.stop();
      }
      assert.deepEqual(guarded, bare);
    } finally {
      api.context.disable();
      manager.disable();
    }
  });
}

/** Runs the fixture in its own process; resolves with its OTEL_RESULT. */
function runFixture(order) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIXTURE, order, '60000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('OTEL_RESULT '));
      if (code !== 0 || line === undefined) return reject(new Error(`otel-leak.js ${order} exited ${code}: ${err}`));
      resolve(JSON.parse(line.slice('OTEL_RESULT '.length)));
    });
  });
}

for (const order of ['agent-first', 'leakguard-first']) {
  test(`with OpenTelemetry loaded ${order === 'agent-first' ? 'before' : 'after'} leakguard, the application's leaking line is named ahead of the agent's bookkeeping`, async () => {
    const r = await runFixture(order);
    assert.ok(r.spans > 0, 'the agent traced the requests');
    const h = r.report.heap;
    assert.ok(
      r.leakReport !== null && r.leakReport.leaking,
      `the leak was reported (${r.served} requests; heap ${h.usedBytes} B, slope ${h.slopeBytesPerSec} B/s, ${h.majorGcs} major and ${h.forcedGcs} forced GCs; note: ${r.report.note})`,
    );
    const suspects = r.report.suspects;
    const firstDependency = suspects.findIndex((s) => s.site && s.site.nodeModules);
    const ahead = firstDependency === -1 ? suspects : suspects.slice(0, firstDependency);
    const top = suspects
      .slice(0, 3)
      .map((s) => s.description)
      .join(' | ');
    assert.ok(ahead.length > 0, `an application suspect comes first: ${top}`);
    for (const s of ahead) assert.equal(s.site && s.site.file, FIXTURE, `ranked ahead of the agent: ${s.description}`);
    // The line, or the function that makes the entries (remember(), or the
    // handler when the optimiser inlined remember() into it).
    assert.ok(
      ahead.some((s) => s.kind === 'allocation' && (s.description.includes(`otel-leak.js:${LEAK_LINE} `) || LEAK_FUNCTIONS.includes(s.site.line))),
      `the leaking line ${LEAK_LINE} or its function is named: ${ahead.map((s) => s.description).join(' | ')}`,
    );
    // The agent's listener, added twice per request it binds, is no suspect.
    assert.ok(!suspects.some((s) => s.kind === 'listener' && s.site && s.site.nodeModules));
  });
}

test("stop() keeps an OpenTelemetry instrumentation's wrappers installed after leakguard, and its unwrap leaves working functions", async () => {
  class Probe extends InstrumentationBase {
    constructor() {
      super('leakguard-coexist-probe', '1.0.0', { enabled: false });
    }
    init() {
      return [];
    }
  }
  const instrumentation = new Probe();
  const nodeOn = EventEmitter.prototype.on;
  const nodeSetTimeout = globalThis.setTimeout;
  const { warnings, restore } = captureWarnings();
  const through = new Set();
  try {
    lg.start({ intervalMs: 100, timers: true, listeners: true });
    instrumentation._wrap(EventEmitter.prototype, 'on', (original) =>
      function on(...args) {
        through.add(this);
        return original.apply(this, args);
      },
    );
    instrumentation._wrap(globalThis, 'setTimeout', (original) =>
      function setTimeout(...args) {
        through.add('timer');
        return original.apply(this, args);
      },
    );
    lg.stop();
    assert.ok(isWrapped(EventEmitter.prototype.on), "the instrumentation's on is still installed");
    assert.ok(isWrapped(globalThis.setTimeout), "the instrumentation's setTimeout is still installed");
    const e = new EventEmitter();
    let heard = 0;
    e.on('x', () => heard++);
    e.emit('x');
    await new Promise((resolve) => setTimeout(resolve, 1));
    assert.equal(heard, 1);
    assert.ok(through.has(e) && through.has('timer'));
    await restore();
    assert.ok(warnings.every((w) => w.code === 'LEAKGUARD_WRAPPED_AFTER') && warnings.length > 0);

    // The instrumentation unwraps: what it puts back (leakguard's function, no longer counting) works.
    instrumentation._unwrap(EventEmitter.prototype, 'on');
    instrumentation._unwrap(globalThis, 'setTimeout');
    const e2 = new EventEmitter();
    e2.on('x', () => heard++);
    e2.emit('x');
    await new Promise((resolve) => setTimeout(resolve, 1));
    assert.equal(heard, 2);
    assert.deepEqual(lg.listeners(), []);
  } finally {
    lg.stop();
    await restore();
    EventEmitter.prototype.on = nodeOn;
    globalThis.setTimeout = nodeSetTimeout;
  }
});
