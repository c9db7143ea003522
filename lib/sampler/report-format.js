'use strict';
// The human text form of a sampler report (`formatReport`): what
// leakguard/register prints to stderr when a leak is found. Pure: reads only
// the report it is given; never throws on a report with missing fields.

const { invalidOption } = require('../internal/errors');

const { formatBytes } = require('../internal/units');

const mb = (bytes) => formatBytes(bytes, '?');

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
  return out;
}

/** The report as text, one fact per line, suspects ranked with their stacks. */
function formatReport(report) {
  if (report === null || typeof report !== 'object' || Array.isArray(report)) {
    throw invalidOption('report', 'a report object from report()', report);
  }
  const heap = report.heap || {};
  const lag = report.eventLoopLag || {};
  const gc = report.gcPause || {};
  const lines = [];
  const window = heap.windowMs ? `${Math.round(heap.windowMs / 1000)} s window` : 'window';
  if (report.leaking) {
    const since = typeof report.since === 'number' ? ` since ${new Date(report.since).toISOString()}` : '';
    const growing = Array.isArray(heap.growing) && heap.growing.length > 0 ? ` (${heap.growing.join(', ')})` : '';
    lines.push(`leakguard: memory is LEAKING${since}${growing}`);
  } else {
    lines.push('leakguard: no leak detected');
  }
  lines.push(
    `  heap baseline ${mb(heap.baselineBytes)} (post-GC), growing ${mb(heap.slopeBytesPerSec)}/s over the ${window}; ` +
      `used ${mb(heap.usedBytes)} of ${mb(heap.totalBytes)}`,
  );
  lines.push(
    `  rss ${mb(heap.rssBytes)} (${mb(heap.rssSlopeBytesPerSec)}/s), external ${mb(heap.externalBytes)}` +
      (typeof heap.externalSlopeBytesPerSec === 'number' ? ` (${mb(heap.externalSlopeBytesPerSec)}/s)` : ''),
  );
  lines.push(
    `  event-loop lag p50 ${ms(lag.p50Ms)}, p99 ${ms(lag.p99Ms)}, max ${ms(lag.maxMs)}; ` +
      `GC pauses p50 ${ms(gc.p50Ms)}, p99 ${ms(gc.p99Ms)}, max ${ms(gc.maxMs)} (${gc.count ?? 0})`,
  );
  const suspects = Array.isArray(report.suspects) ? report.suspects : [];
  if (suspects.length === 0) {
    lines.push(report.leaking ? '  no suspect named yet (attribution needs another sample)' : '  no suspects');
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
  const overhead = report.sampler && report.sampler.overhead;
  if (overhead && typeof overhead.threadPercent === 'number' && typeof overhead.jsPercent === 'number') {
    lines.push(
      `  leakguard's own cost: ${(overhead.threadPercent + overhead.jsPercent).toFixed(2)}% of one core ` +
        `(sampler thread ${overhead.threadPercent.toFixed(2)}%, JS thread ${overhead.jsPercent.toFixed(2)}%)`,
    );
  }
  return lines.join('\n') + '\n';
}

module.exports = { formatReport };
