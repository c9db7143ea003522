'use strict';
// The human text form of a sampler report (`formatReport`): what
// leakguard/register prints to stderr when a leak is found. Pure: reads only
// the report it is given; never throws on a report with missing fields.

const { invalidOption } = require('../internal/errors');

function mb(bytes) {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes)) return '?';
  const abs = Math.abs(bytes);
  if (abs >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (abs >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (abs >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${Math.round(bytes)} B`;
}

function ms(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '?';
  return v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(1)} ms`;
}

function frame(site) {
  const fn = site.functionName || '<anonymous>';
  return `${fn} (${site.file}:${site.line}:${site.column})${site.nodeModules ? ' [node_modules]' : ''}`;
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
    const near = report.nearHeapLimit;
    if (near && typeof near === 'object') {
      lines.push(`  NEAR THE HEAP LIMIT: ${mb(near.usedBytes)} used of a ${mb(near.limitBytes)} limit, still rising`);
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
      (typeof heap.externalSlopeBytesPerSec === 'number' ? ` (${mb(heap.externalSlopeBytesPerSec)}/s)` : ''),
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
  const suspects = Array.isArray(report.suspects) ? report.suspects : [];
  if (suspects.length === 0) {
    if (report.leaking) lines.push(typeof report.note === 'string' ? `  ${report.note}` : '  no suspect named yet (attribution needs another sample)');
    else lines.push('  no suspects');
  } else {
    lines.push('  suspects, most likely first:');
    suspects.forEach((s, i) => {
      lines.push(`  ${i + 1}. [${s.kind}] ${s.description}`);
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
  return lines.join('\n') + '\n';
}

module.exports = { formatReport };
