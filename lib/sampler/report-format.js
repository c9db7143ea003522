'use strict';
// The human text form of a sampler report (`formatReport`): what
// leakguard/register prints to stderr when a leak is found. Pure: reads only
// the report it is given. A missing field (or a null figure: JSON has no NaN)
// is printed as absent; a field of the wrong type (a report that was not made
// by report(), or was mangled on the way) is refused with TypeError
// ERR_LEAKGUARD_INVALID_OPTION naming the field, before anything is formatted.
// Names in it come from the application (event and cache names, files,
// functions, source text): every line is escaped (lib/internal/text.js), so
// no control character reaches the terminal and none can forge a line.

const { invalidOption } = require('../internal/errors');
const { formatBytes, formatRate } = require('../internal/units');
const { escapeText } = require('../internal/text');

const mb = (bytes) => formatBytes(bytes, '?');

const HEAP_NUMBERS = [
  'usedBytes',
  'totalBytes',
  'rssBytes',
  'externalBytes',
  'baselineBytes',
  'slopeBytesPerSec',
  'externalSlopeBytesPerSec',
  'rssSlopeBytesPerSec',
  'windowMs',
];
const LAG_NUMBERS = ['p50Ms', 'p99Ms', 'maxMs'];
const GC_NUMBERS = ['p50Ms', 'p99Ms', 'maxMs', 'count'];

function absent(v) {
  return v === undefined || v === null;
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function expect(ok, field, expected, value) {
  if (!ok) throw invalidOption(field, expected, value);
}

function checkNumbers(obj, names, prefix) {
  for (const name of names) {
    const v = obj[name];
    expect(absent(v) || typeof v === 'number', `${prefix}.${name}`, 'a number', v);
  }
}

function checkSite(site, field) {
  expect(isObject(site), field, 'a site object { file, line, column, functionName }', site);
  expect(absent(site.file) || typeof site.file === 'string', `${field}.file`, 'a string', site.file);
  expect(absent(site.functionName) || typeof site.functionName === 'string', `${field}.functionName`, 'a string', site.functionName);
  expect(absent(site.line) || typeof site.line === 'number', `${field}.line`, 'a number', site.line);
  expect(absent(site.column) || typeof site.column === 'number', `${field}.column`, 'a number', site.column);
}

/** Throws for the first field formatReport reads that has the wrong type. */
function checkReport(report) {
  expect(isObject(report), 'report', 'a report object from report()', report);
  expect(absent(report.leaking) || typeof report.leaking === 'boolean', 'report.leaking', 'a boolean', report.leaking);
  expect(absent(report.since) || typeof report.since === 'number', 'report.since', 'a number or null', report.since);
  for (const [key, numbers] of [
    ['heap', HEAP_NUMBERS],
    ['eventLoopLag', LAG_NUMBERS],
    ['gcPause', GC_NUMBERS],
  ]) {
    const part = report[key];
    if (absent(part)) continue;
    expect(isObject(part), `report.${key}`, 'an object', part);
    checkNumbers(part, numbers, `report.${key}`);
  }
  if (!absent(report.work)) {
    expect(isObject(report.work), 'report.work', 'an object', report.work);
    expect(absent(report.work.units) || Array.isArray(report.work.units), 'report.work.units', 'an array', report.work.units);
    (report.work.units ?? []).forEach((u, i) => {
      expect(isObject(u) && typeof u.name === 'string', `report.work.units[${i}]`, 'a unit object with a name', u);
      checkNumbers(u, ['total', 'perSec', 'bytesPerUnit', 'r2'], `report.work.units[${i}]`);
    });
    checkNumbers(report.work, ['bytesPerSec', 'timeR2', 'points'], 'report.work');
  }
  const growing = report.heap && report.heap.growing;
  if (!absent(growing)) {
    expect(Array.isArray(growing) && growing.every((g) => typeof g === 'string'), 'report.heap.growing', 'an array of strings', growing);
  }
  if (!absent(report.suspects)) {
    expect(Array.isArray(report.suspects), 'report.suspects', 'an array', report.suspects);
    report.suspects.forEach((s, i) => {
      const field = `report.suspects[${i}]`;
      expect(isObject(s), field, 'a suspect object', s);
      expect(absent(s.kind) || typeof s.kind === 'string', `${field}.kind`, 'a string', s.kind);
      expect(absent(s.description) || typeof s.description === 'string', `${field}.description`, 'a string', s.description);
      if (!absent(s.site)) checkSite(s.site, `${field}.site`);
      if (!absent(s.stack)) {
        expect(Array.isArray(s.stack), `${field}.stack`, 'an array', s.stack);
        s.stack.forEach((f, j) => checkSite(f, `${field}.stack[${j}]`));
      }
    });
  }
  const sampler = report.sampler;
  if (!absent(sampler)) {
    expect(isObject(sampler), 'report.sampler', 'an object', sampler);
    if (!absent(sampler.overhead)) {
      expect(isObject(sampler.overhead), 'report.sampler.overhead', 'an object', sampler.overhead);
      checkNumbers(sampler.overhead, ['threadPercent', 'jsPercent'], 'report.sampler.overhead');
      const allocation = sampler.overhead.allocation;
      if (!absent(allocation)) {
        expect(isObject(allocation), 'report.sampler.overhead.allocation', 'an object', allocation);
        checkNumbers(allocation, ['estimatedBytes', 'bytesPerSec'], 'report.sampler.overhead.allocation');
      }
    }
  }
}


function ms(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '?';
  return v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(1)} ms`;
}

function frame(site) {
  const fn = site.functionName || '<anonymous>';
  return `${fn} (${site.file}:${site.line}:${site.column})${site.nodeModules ? ' [node_modules]' : ''}`;
}

function wholeFrame(f) {
  if (!f || typeof f !== 'object') return '?';
  if (f.kind === 'builtin') return `${f.functionName || '?'} (builtin)`;
  const at = f.file ? `${f.file}${f.line ? `:${f.line}${f.column ? `:${f.column}` : ''}` : ''}` : 'native';
  return `${f.functionName || '<anonymous>'} (${at})${f.kind === 'dependency' ? ' [node_modules]' : ''}`;
}

function candidateLine(c) {
  const inl = c.inlined ? `; possibly inlined ${c.inlined.functionName} at ${c.file}:${c.inlined.line}` : '';
  const up = c.caller ? `; in the caller ${c.caller.functionName} at ${c.file}:${c.caller.line}` : '';
  return `\`${c.text}\` at ${c.file}:${c.line}:${c.column} (\`${c.container}\`: ${c.scopeText}${up}${inl})`;
}

/** The lines under an allocation suspect: candidate lines, the inlining note, the whole allocation stack. */
function allocationLines(s) {
  const out = [];
  const candidates = Array.isArray(s.candidates) ? s.candidates : [];
  if (candidates.length > 0) {
    out.push(candidates.length === 1 ? '       the line that grows a container:' : `       candidate lines (${candidates.length}), most likely first:`);
    candidates.slice(0, 5).forEach((c, i) => out.push(`       ${i === 0 ? '→' : ' '} ${candidateLine(c)}`));
  }
  if (s.inlinedNote) out.push(`       note: ${s.inlinedNote}`);
  const whole = Array.isArray(s.allocationStack) ? s.allocationStack : [];
  if (whole.length > 0) {
    out.push(`       allocation stack${s.growingBuiltin ? ` (grown through ${s.growingBuiltin})` : ''}:`);
    for (const f of whole.slice(0, 6)) out.push(`         at ${wholeFrame(f)}`);
  }
  for (const via of Array.isArray(s.alsoVia) ? s.alsoVia : []) {
    if (!isObject(via)) continue;
    out.push(`       also allocated through ${viaLabel(via)}, ~${mb(via.bytes)} live, growing ${mb(via.growth)}/s:`);
    const stack = Array.isArray(via.allocationStack) && via.allocationStack.length > 0 ? via.allocationStack.map(wholeFrame) : Array.isArray(via.stack) ? via.stack.filter(isObject).map(frame) : [];
    for (const f of stack.slice(0, 6)) out.push(`         at ${f}`);
  }
  return out;
}

/** "loadProfile (/srv/app.js:18–28)": the function of a merged allocation (`alsoVia`). */
function viaLabel(via) {
  const fn = isObject(via.function) ? via.function : null;
  const site = isObject(via.site) ? via.site : null;
  const name = (fn && fn.name) || (site && site.functionName) || '(anonymous)';
  const span = fn ? `${fn.file}:${fn.line}–${fn.endLine}` : site ? `${site.file}:${site.line}` : '?';
  return `${name} (${span})`;
}

/** The report as text, one fact per line, suspects ranked with their stacks. */
function formatReport(report) {
  checkReport(report);
  const heap = report.heap || {};
  const lag = report.eventLoopLag || {};
  const gc = report.gcPause || {};
  const lines = [];
  const window = heap.windowMs ? `${Math.round(heap.windowMs / 1000)} s window` : 'window';
  if (report.leaking) {
    const since = typeof report.since === 'number' ? ` since ${new Date(report.since).toISOString()}` : '';
    const growing = Array.isArray(heap.growing) && heap.growing.length > 0 ? ` (${heap.growing.join(', ')})` : '';
    lines.push(`leakguard: memory is LEAKING${since}${growing}`);
    const near = report.nearHeapLimit;
    if (near && typeof near === 'object') {
      lines.push(`  NEAR THE HEAP LIMIT: ${mb(near.usedBytes)} used of a ${mb(near.limitBytes)} limit, still rising`);
    }
    const nearMemory = report.nearMemoryLimit;
    if (nearMemory && typeof nearMemory === 'object') {
      lines.push(`  NEAR THE CONTAINER'S MEMORY LIMIT: rss ${mb(nearMemory.rssBytes)} of a ${mb(nearMemory.limitBytes)} limit, still rising`);
    }
  } else {
    lines.push('leakguard: no leak detected');
  }
  lines.push(
    `  heap baseline ${mb(heap.baselineBytes)} (post-GC), growing ${mb(heap.slopeBytesPerSec)}/s over the ${window}; ` +
      `used ${mb(heap.usedBytes)} of ${mb(heap.totalBytes)}`,
  );
  lines.push(
    `  rss ${mb(heap.rssBytes)} (${mb(heap.rssSlopeBytesPerSec)}/s), external ${mb(heap.externalBytes)}` +
      (typeof heap.externalSlopeBytesPerSec === 'number' ? ` (${mb(heap.externalSlopeBytesPerSec)}/s)` : '') +
      (typeof heap.memoryLimitBytes === 'number' ? `; container memory limit ${mb(heap.memoryLimitBytes)}` : ''),
  );
  lines.push(
    `  event-loop lag p50 ${ms(lag.p50Ms)}, p99 ${ms(lag.p99Ms)}, max ${ms(lag.maxMs)}; ` +
      `GC pauses p50 ${ms(gc.p50Ms)}, p99 ${ms(gc.p99Ms)}, max ${ms(gc.maxMs)} (${gc.count ?? 0})`,
  );
  if (Array.isArray(report.filling)) {
    for (const f of report.filling) {
      if (f && typeof f.description === 'string') lines.push(`  ${f.description}${report.explainedByCaches ? ': explains the heap growth' : ''}`);
    }
  }
  lines.push(...workLines(report.work));
  const suspects = Array.isArray(report.suspects) ? report.suspects : [];
  if (suspects.length === 0) {
    if (report.leaking) lines.push(typeof report.note === 'string' ? `  ${report.note}` : '  no suspect named yet (attribution needs another sample)');
    else lines.push('  no suspects');
  } else {
    lines.push('  suspects, most likely first:');
    suspects.forEach((s, i) => {
      lines.push(`  ${i + 1}. [${s.kind}] ${s.description}`);
      if (s.kind === 'allocation' && Array.isArray(s.allocationStack)) {
        lines.push(...allocationLines(s));
        return;
      }
      const stack = Array.isArray(s.stack) && s.stack.length > 0 ? s.stack : s.site ? [s.site] : [];
      for (const f of stack.slice(0, 5)) lines.push(`       at ${frame(f)}`);
    });
  }
  if (typeof heap.forcedGcMs === 'number' && heap.forcedGcs > 0) {
    lines.push(`  forced GCs: ${heap.forcedGcs}, ${ms(heap.forcedGcMs)} in all${heap.forcedGcsRefused > 0 ? ` (${heap.forcedGcsRefused} refused by the budget)` : ''}`);
  }
  const overhead = report.sampler && report.sampler.overhead;
  if (overhead && typeof overhead.threadPercent === 'number' && typeof overhead.jsPercent === 'number') {
    lines.push(
      `  leakguard's own cost: ${(overhead.threadPercent + overhead.jsPercent).toFixed(2)}% of one core ` +
        `(sampler thread ${overhead.threadPercent.toFixed(2)}%, JS thread ${overhead.jsPercent.toFixed(2)}%)`,
    );
  }
  const allocation = overhead && overhead.allocation;
  if (allocation && typeof allocation.bytesPerSec === 'number' && Number.isFinite(allocation.bytesPerSec)) {
    lines.push(
      `  leakguard's own allocation (estimate): ${formatBytes(allocation.bytesPerSec)}/s, ${formatBytes(allocation.estimatedBytes)} since start ` +
        `(${allocation.timersCreated} timers, ${allocation.listenersCounted} listeners on ${allocation.emittersTracked} emitters)`,
    );
  }
  return lines.map(escapeText).join('\n') + '\n';
}

const r2 = (v) => (typeof v === 'number' ? v.toFixed(2) : '?');

/**
 * Growth per unit of work (report.work): bytes retained per unit for each
 * fitted unit (three at most, best fit first), the fit against time, and
 * which of them the growth follows when they were told apart.
 */
function workLines(work) {
  if (!isObject(work) || !Array.isArray(work.units)) return [];
  const fitted = work.units.filter((u) => typeof u.bytesPerUnit === 'number' && typeof u.r2 === 'number').slice(0, 3);
  if (fitted.length === 0) return [];
  const per = fitted.map((u) => `${formatRate(u.bytesPerUnit).replace('/s', '')} per ${u.name} (r² ${r2(u.r2)}, ${Math.round(u.perSec)}/s)`).join('; ');
  const time = typeof work.bytesPerSec === 'number' ? `; against time ${formatRate(work.bytesPerSec)} (r² ${r2(work.timeR2)})` : '';
  let verdict = '';
  if (work.growsWith === 'work' && typeof work.unit === 'string') verdict = `: the growth follows ${work.unit}, not time`;
  else if (work.growsWith === 'time') verdict = ': the growth follows time, not the work';
  return [`  growth per unit of work: ${per}${time}${verdict}`];
}

module.exports = { formatReport };
