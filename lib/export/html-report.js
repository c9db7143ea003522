'use strict';
// The HTML leak report: one self-contained file (inline styles, inline SVG
// charts drawn here, a few lines of inline script for hover read-outs) that a
// paged engineer opens from a laptop with no network. It shows the heap/RSS
// timeline with the post-GC baseline and the leaking span marked, the
// event-loop lag, the ranked suspects with their stacks and growth curves, and
// the application's caches (when the report lists them). Sizes are in MB
// (lib/internal/units.js).
//
// Must never: load anything from the network (no src/href to a URL), put
// report text into the page unescaped (file paths and event names are user
// data), or throw on a partial report (missing figures are drawn as absent).

const { invalidOption } = require('../internal/errors');
const { checkOptions, validateString, validatePath } = require('../internal/options');
const { writeFileAtomic } = require('../internal/write-file');
const { formatBytes, formatRate, MB } = require('../internal/units');

const MAX_POINTS = 600; // points per drawn series; longer histories are bucketed
const MAX_TRAIL_POINTS = 120;

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function num(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function formatCount(n) {
  return num(n) === null ? '—' : Math.round(n).toLocaleString('en-US');
}

function formatMs(ms) {
  const v = num(ms);
  if (v === null) return '—';
  return v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(v >= 10 ? 1 : 2)} ms`;
}

function formatTime(epochMs) {
  const v = num(epochMs);
  return v === null ? '—' : new Date(v).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

function formatSite(site) {
  if (!site || typeof site.file !== 'string') return '<unknown site>';
  return `${site.file}:${site.line}:${site.column}`;
}

/**
 * Escaped text whose file paths wrap only between their folders: each name
 * (a run of characters without a path separator or white space) is kept on
 * one line, with a break opportunity after each separator and before a
 * `:line:column` tail. Without this a browser breaks inside names, at
 * hyphens or anywhere (`word-break`).
 */
function wrapPath(text) {
  const keep = (t) => `<span class="seg">${t}</span>`;
  return escapeHtml(text)
    .split(/([\s/\\])/)
    .map((part) => {
      if (part === '') return '';
      if (part === '/' || part === '\\') return `${part}<wbr>`;
      if (/^\s$/.test(part)) return part;
      const tail = /^(.+?)(:\d+(?::\d+)?\)?)$/.exec(part);
      return tail === null ? keep(part) : `${keep(tail[1])}<wbr>${keep(tail[2])}`;
    })
    .join('');
}

/** A suspect's identity across reports: kind + site (+ cache name). */
function suspectKey(s) {
  return `${s && s.kind}|${formatSite(s && s.site)}|${(s && s.name) || ''}`;
}

/** Cuts `points` to at most `max` by keeping, per bucket, the point with the largest `pick` value. */
function bucket(points, max, pick) {
  if (points.length <= max) return points;
  const out = [];
  const size = points.length / max;
  for (let i = 0; i < max; i++) {
    const from = Math.floor(i * size);
    const to = Math.min(points.length, Math.floor((i + 1) * size));
    let best = points[from];
    for (let j = from + 1; j < to; j++) if ((pick(points[j]) ?? -Infinity) > (pick(best) ?? -Infinity)) best = points[j];
    out.push(best);
  }
  return out;
}

/** Round tick values covering [lo, hi]. */
function ticks(lo, hi, count) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

/**
 * Draws a line chart as SVG. `series`: [{ label, cls, points: [[x, y|null]...], dashed }],
 * `bands`: [[x0, x1]] shaded, `markers`: [{ x, label }].
 */
function lineChart({ id, title, series, bands = [], markers = [], yFormat, xLabel = 's since start', width = 900, height = 260 }) {
  const pad = { l: 74, r: 16, t: 14, b: 36 };
  const xs = [];
  const ys = [];
  for (const s of series) for (const [x, y] of s.points) if (y !== null) (xs.push(x), ys.push(y));
  if (xs.length === 0) {
    return `<figure class="chart" id="${id}"><figcaption>${escapeHtml(title)}</figcaption><p class="empty">No samples yet.</p></figure>`;
  }
  let x0 = Math.min(...xs);
  let x1 = Math.max(...xs);
  if (x1 === x0) x1 = x0 + 1;
  let y0 = Math.min(0, ...ys);
  let y1 = Math.max(...ys);
  if (y1 === y0) y1 = y0 + 1;
  y1 += (y1 - y0) * 0.05;
  const W = width - pad.l - pad.r;
  const H = height - pad.t - pad.b;
  const sx = (x) => pad.l + ((x - x0) / (x1 - x0)) * W;
  const sy = (y) => pad.t + H - ((y - y0) / (y1 - y0)) * H;
  const f = (v) => v.toFixed(1);
  const parts = [];
  parts.push(
    `<svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeHtml(title)}" data-series="${series.length}">`,
  );
  for (const [a, b] of bands) {
    const xa = sx(Math.max(a, x0));
    const xb = sx(Math.min(b, x1));
    parts.push(`<rect class="leak-band" x="${f(xa)}" y="${pad.t}" width="${f(Math.max(1, xb - xa))}" height="${H}"/>`);
  }
  for (const t of ticks(y0, y1, 5)) {
    parts.push(`<line class="grid" x1="${pad.l}" x2="${pad.l + W}" y1="${f(sy(t))}" y2="${f(sy(t))}"/>`);
    parts.push(`<text class="tick" x="${pad.l - 6}" y="${f(sy(t) + 4)}" text-anchor="end">${escapeHtml(yFormat(t))}</text>`);
  }
  for (const t of ticks(x0, x1, 8)) {
    parts.push(`<text class="tick" x="${f(sx(t))}" y="${pad.t + H + 16}" text-anchor="middle">${escapeHtml(String(Math.round(t * 10) / 10))}</text>`);
  }
  parts.push(`<text class="tick" x="${pad.l + W}" y="${height - 4}" text-anchor="end">${escapeHtml(xLabel)}</text>`);
  parts.push(`<rect class="frame" x="${pad.l}" y="${pad.t}" width="${W}" height="${H}"/>`);
  for (const s of series) {
    // A gap (null) splits the polyline.
    let run = [];
    const flush = () => {
      if (run.length > 0) {
        parts.push(`<polyline class="line ${s.cls}${s.dashed ? ' dashed' : ''}" points="${run.join(' ')}"/>`);
      }
      run = [];
    };
    for (const [x, y] of s.points) {
      if (y === null) flush();
      else run.push(`${f(sx(x))},${f(sy(y))}`);
    }
    flush();
  }
  for (const m of markers) {
    if (m.x < x0 || m.x > x1) continue;
    parts.push(`<line class="marker" x1="${f(sx(m.x))}" x2="${f(sx(m.x))}" y1="${pad.t}" y2="${pad.t + H}"/>`);
    parts.push(`<text class="marker-label" x="${f(sx(m.x) + 4)}" y="${pad.t + 12}">${escapeHtml(m.label)}</text>`);
  }
  parts.push(`<line class="cursor" x1="0" x2="0" y1="${pad.t}" y2="${pad.t + H}" visibility="hidden"/>`);
  parts.push('</svg>');
  const legend = series
    .map((s) => `<span class="key"><i class="swatch ${s.cls}${s.dashed ? ' dashed' : ''}"></i>${escapeHtml(s.label)}</span>`)
    .join('');
  const bandKey = bands.length ? '<span class="key"><i class="swatch leak-band"></i>leaking</span>' : '';
  return (
    `<figure class="chart" id="${id}" data-x0="${x0}" data-x1="${x1}" data-left="${pad.l}" data-plot-width="${W}" data-width="${width}">` +
    `<figcaption>${escapeHtml(title)}</figcaption>${parts.join('')}<div class="legend">${legend}${bandKey}<span class="readout"></span></div></figure>`
  );
}

/**
 * A small inline growth curve for one suspect, its first and last values in
 * the title. Sparse curves (allocation suspects get one point per heap
 * profile read) also mark each point, so a straight segment is not read as
 * measured samples.
 */
function sparkline(points, format) {
  const pts = points.filter((p) => num(p.value) !== null && num(p.t) !== null);
  if (pts.length < 2) return `<span class="muted">${pts.length === 1 ? `one reading: ${escapeHtml(format(pts[0].value))}` : '—'}</span>`;
  const w = 140;
  const h = 32;
  const t0 = pts[0].t;
  const t1 = pts[pts.length - 1].t === t0 ? t0 + 1 : pts[pts.length - 1].t;
  const vs = pts.map((p) => p.value);
  const v0 = Math.min(...vs);
  const v1 = Math.max(...vs) === v0 ? v0 + 1 : Math.max(...vs);
  const xy = pts.map((p) => [((p.t - t0) / (t1 - t0)) * (w - 4) + 2, h - 2 - ((p.value - v0) / (v1 - v0)) * (h - 4)]);
  const d = xy.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  const dots = pts.length <= 16 ? xy.map(([x, y]) => `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="2"/>`).join('') : '';
  const span = Math.round((pts[pts.length - 1].t - pts[0].t) / 1000);
  const label = `${format(pts[0].value)} → ${format(pts[pts.length - 1].value)} over ${span} s (${pts.length} readings)`;
  return `<svg class="spark" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${escapeHtml(label)}"><title>${escapeHtml(label)}</title><polyline points="${d}"/>${dots}</svg>`;
}

/** The rows of the caches table: one per cache in `report.caches`. */
function cacheRows(caches) {
  if (caches.length === 0) return '<tr class="none"><td colspan="7">No caches created.</td></tr>';
  return caches
    .map((c) => {
      const site = c.site && typeof c.site.file === 'string' ? `${c.site.functionName ? `${c.site.functionName} ` : ''}${formatSite(c.site)}` : '—';
      const entries = `${formatCount(c.size)}${num(c.max) !== null ? ` / ${formatCount(c.max)}` : ''}`;
      const bytes = num(c.bytes) === null ? '—' : `${formatBytes(c.bytes)}${num(c.maxSize) !== null ? ` / ${formatBytes(c.maxSize)}` : ''}`;
      const rate = num(c.hitRate) === null ? '—' : `${(c.hitRate * 100).toFixed(1)}%`;
      const lookups = num(c.hits) !== null && num(c.misses) !== null ? `<div class="muted">${formatCount(c.hits)} hits, ${formatCount(c.misses)} misses</div>` : '';
      return (
        `<tr class="cache" data-kind="${escapeHtml(c.kind || '')}">` +
        `<td>${escapeHtml(c.name || '(unnamed)')}</td>` +
        `<td><span class="kind cache">${escapeHtml(c.kind || '—')}</span></td>` +
        `<td class="site"><code>${wrapPath(site)}</code></td>` +
        `<td class="n">${escapeHtml(entries)}</td>` +
        `<td class="n">${escapeHtml(bytes)}</td>` +
        `<td class="n">${escapeHtml(rate)}${lookups}</td>` +
        `<td class="n">${escapeHtml(formatCount(c.evictions))}</td>` +
        '</tr>'
      );
    })
    .join('');
}

/** The "growth per unit of work" section (report.work), '' when no unit was counted. */
function workSection(work) {
  if (work === null || typeof work !== 'object' || !Array.isArray(work.units) || work.units.length === 0) return '';
  const rows = work.units
    .filter((u) => u !== null && typeof u === 'object' && typeof u.name === 'string')
    .map(
      (u) =>
        `<tr class="unit"><td><code>${escapeHtml(u.name)}</code></td>` +
        `<td class="n">${escapeHtml(formatCount(u.total))}</td>` +
        `<td class="n">${escapeHtml(num(u.perSec) === null ? '—' : `${u.perSec.toFixed(1)}/s`)}</td>` +
        `<td class="n">${escapeHtml(num(u.bytesPerUnit) === null ? '—' : formatBytes(u.bytesPerUnit))}</td>` +
        `<td class="n">${escapeHtml(num(u.r2) === null ? '—' : u.r2.toFixed(3))}</td></tr>`,
    )
    .join('');
  let verdict = 'Not told apart yet: the growth follows the work and time equally well (the rate of work has not varied enough), or there are too few post-GC points.';
  if (work.growsWith === 'work' && typeof work.unit === 'string') verdict = `The growth follows <code>${escapeHtml(work.unit)}</code>, not time.`;
  else if (work.growsWith === 'time') verdict = 'The growth follows time, not the work.';
  const time = num(work.bytesPerSec) === null ? '—' : `${formatRate(work.bytesPerSec)} (r² ${num(work.timeR2) === null ? '—' : work.timeR2.toFixed(3)})`;
  return `<h2>Growth per unit of work</h2>
<div class="muted" id="work-verdict">${verdict} Against time: ${escapeHtml(time)}; ${escapeHtml(formatCount(work.points))} post-GC points.</div>
<div class="table-scroll"><table id="work"><thead><tr><th>unit</th><th class="n">count</th><th class="n">rate</th><th class="n">retained per unit</th><th class="n">fit r²</th></tr></thead>
<tbody>${rows}</tbody></table></div>`;
}

function leakBands(hist) {
  const bands = [];
  let start = null;
  for (let i = 0; i < hist.length; i++) {
    const p = hist[i];
    if (p.leaking && start === null) start = p.x;
    if (!p.leaking && start !== null) {
      bands.push([start, p.x]);
      start = null;
    }
  }
  if (start !== null) bands.push([start, hist[hist.length - 1].x]);
  return bands;
}

function suspectSeries(suspect, trail) {
  if (Array.isArray(suspect.series)) {
    return suspect.series.map((p, i) => (typeof p === 'number' ? { t: i, value: p } : { t: p.t, value: p.value }));
  }
  const points = trail && typeof trail.get === 'function' ? trail.get(suspectKey(suspect)) : trail && trail[suspectKey(suspect)];
  return Array.isArray(points) ? points : [];
}

/** An allocation suspect's detail: candidate lines, the growing builtin, the inlining note, the whole allocation stack. */
function allocationDetail(s) {
  if (s.kind !== 'allocation') return '';
  const candidates = Array.isArray(s.candidates) ? s.candidates : [];
  let html = '';
  if (s.growingBuiltin) html += `<div class="muted">grown through <code>${escapeHtml(s.growingBuiltin)}</code></div>`;
  if (candidates.length > 0) {
    const items = candidates
      .map(
        (c) =>
          `<li><code>${escapeHtml(c.text)}</code> at <code>${escapeHtml(`${c.file}:${c.line}`)}</code> ` +
          `<span class="muted">(<code>${escapeHtml(c.container)}</code>: ${escapeHtml(c.scopeText)}` +
          `${c.caller ? `; in the caller <code>${escapeHtml(c.caller.functionName)}</code> at line ${escapeHtml(c.caller.line)}` : ''}` +
          `${c.inlined ? `; possibly inlined <code>${escapeHtml(c.inlined.functionName)}</code> at line ${escapeHtml(c.inlined.line)}` : ''})</span></li>`,
      )
      .join('');
    html += `<details open><summary>${candidates.length === 1 ? 'the line' : `candidate lines (${candidates.length})`}</summary><ol class="candidates">${items}</ol></details>`;
  }
  if (s.inlinedNote) html += `<div class="muted">${escapeHtml(s.inlinedNote)}</div>`;
  const whole = Array.isArray(s.allocationStack) ? s.allocationStack : [];
  if (whole.length > 0) {
    const text = whole.map(wholeFrameText).join('\n');
    html += `<details><summary>allocation stack (${whole.length})</summary><pre>${escapeHtml(text)}</pre></details>`;
  }
  const via = Array.isArray(s.alsoVia) ? s.alsoVia.filter((v) => v !== null && typeof v === 'object') : [];
  if (via.length > 0) {
    const items = via
      .map((v) => {
        const frames = Array.isArray(v.allocationStack) && v.allocationStack.length > 0 ? v.allocationStack.map(wholeFrameText) : Array.isArray(v.stack) ? v.stack.map((f) => `${f && f.functionName ? `${f.functionName} ` : ''}(${formatSite(f)})`) : [];
        const figures = `${num(v.bytes) === null ? '—' : formatBytes(v.bytes)} live, growing ${num(v.growth) === null ? '—' : formatRate(v.growth)}`;
        return `<li><code>${wrapPath(viaLabel(v))}</code> <span class="muted">(${escapeHtml(figures)})</span>${frames.length > 0 ? `<pre>${wrapPath(frames.join('\n'))}</pre>` : ''}</li>`;
      })
      .join('');
    html += `<details><summary>also allocated through (${via.length})</summary><ol class="also-via">${items}</ol></details>`;
  }
  return html;
}

function wholeFrameText(f) {
  return f && f.kind === 'builtin' ? `${f.functionName} (builtin)` : `${(f && f.functionName) || '<anonymous>'} (${f && f.file ? `${f.file}:${f.line}:${f.column}` : 'native'})`;
}

/** "loadProfile /srv/app.js:18–28": the function of a merged allocation (`alsoVia`). */
function viaLabel(v) {
  const fn = v.function !== null && typeof v.function === 'object' ? v.function : null;
  const site = v.site !== null && typeof v.site === 'object' ? v.site : null;
  const name = (fn && fn.name) || (site && site.functionName) || '(anonymous)';
  const span = fn ? `${fn.file}:${fn.line}–${fn.endLine}` : site ? `${site.file}:${site.line}` : '?';
  return `${name} ${span}`;
}

/** Whether a suspect's growth is in bytes (allocation and buffer suspects) rather than live items. */
function inBytes(s) {
  return s.kind === 'allocation' || s.kind === 'buffer';
}

function suspectRows(suspects, trail) {
  if (suspects.length === 0) {
    return '<tr class="none"><td colspan="8">No suspects: nothing leakguard watches is growing.</td></tr>';
  }
  return suspects
    .map((s, i) => {
      const stack = Array.isArray(s.stack) ? s.stack : [];
      const stackText = stack
        .map((f) => (typeof f === 'string' ? f : `${f && f.functionName ? `${f.functionName} ` : ''}(${formatSite(f)})`))
        .join('\n');
      const where = `${s.site && s.site.functionName ? `${s.site.functionName} ` : ''}${formatSite(s.site)}`;
      const growth = num(s.growth);
      // Growth is per second: bytes for allocation and buffer suspects, live items otherwise.
      const growthText =
        growth === null
          ? '—'
          : inBytes(s)
            ? formatRate(growth)
            : `${growth >= 0 ? '+' : '−'}${+Math.abs(growth).toPrecision(3)}/s`;
      const precision = s.precision === 'function' ? '<div class="muted">function-level</div>' : '';
      const detail = s.detail ? `<div class="muted">${escapeHtml(s.detail)}</div>` : '';
      return (
        `<tr class="suspect" data-kind="${escapeHtml(s.kind)}">` +
        `<td class="rank">${i + 1}</td>` +
        `<td><span class="kind ${escapeHtml(s.kind)}">${escapeHtml(s.kind)}</span>${s.name ? `<div class="muted">${escapeHtml(s.name)}</div>` : ''}${detail}${precision}</td>` +
        `<td class="site"><code>${wrapPath(where)}</code>` +
        (stackText ? `<details><summary>stack (${stack.length})</summary><pre>${wrapPath(stackText)}</pre></details>` : '') +
        allocationDetail(s) +
        '</td>' +
        `<td class="n">${num(s.count) === null ? '—' : escapeHtml(Math.round(s.count).toLocaleString('en-US'))}</td>` +
        `<td class="n">${escapeHtml(growthText)}</td>` +
        `<td class="n">${num(s.bytes) === null ? '—' : escapeHtml(formatBytes(s.bytes))}</td>` +
        `<td>${sparkline(suspectSeries(s, trail), inBytes(s) ? formatBytes : formatCount)}</td>` +
        `<td class="desc">${wrapPath(s.description || '')}</td>` +
        '</tr>'
      );
    })
    .join('');
}

const STYLE = `
:root{--fg:#1d2330;--muted:#667085;--bg:#fff;--line:#e4e7ec;--heap:#2563eb;--rss:#ea580c;--base:#16a34a;--ext:#9333ea;--lag:#0891b2;--leak:#dc2626}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1100px;margin:0 auto;padding:24px}h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.muted{color:var(--muted);font-size:12px}.verdict{display:inline-block;padding:3px 10px;border-radius:12px;font-weight:600;color:#fff}
.verdict.leaking{background:var(--leak)}.verdict.clean{background:var(--base)}.verdict.unknown{background:var(--muted)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:10px;margin:16px 0}
.card{border:1px solid var(--line);border-radius:8px;padding:8px 12px}.card b{display:block;font-size:18px}.card span{color:var(--muted);font-size:12px}
figure.chart{margin:12px 0;border:1px solid var(--line);border-radius:8px;padding:10px}figcaption{font-weight:600;margin-bottom:4px}
svg .grid{stroke:var(--line);stroke-width:1}svg .frame{fill:none;stroke:#cbd2dc}svg .tick{fill:var(--muted);font-size:11px}
svg .line{fill:none;stroke-width:1.8;stroke-linejoin:round}svg .dashed{stroke-dasharray:6 4}
.heap{stroke:var(--heap);background:var(--heap)}.rss{stroke:var(--rss);background:var(--rss)}.baseline{stroke:var(--base);background:var(--base)}
.external{stroke:var(--ext);background:var(--ext)}.lag{stroke:var(--lag);background:var(--lag)}
svg .leak-band{fill:var(--leak);opacity:.10}svg .marker{stroke:var(--leak);stroke-width:1.5;stroke-dasharray:3 3}svg .marker-label{fill:var(--leak);font-size:11px;font-weight:600}
svg .cursor{stroke:#98a2b3;stroke-width:1}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:12px;color:var(--muted);margin-top:4px}.key{display:inline-flex;align-items:center;gap:5px}
.swatch{display:inline-block;width:16px;height:3px}.swatch.leak-band{height:10px;background:var(--leak);opacity:.25}.readout{margin-left:auto;color:var(--fg)}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.site code{font-size:12px}.seg{white-space:nowrap}pre{font-size:11px;white-space:pre-wrap;margin:4px 0 0;color:#344054}.table-scroll{overflow-x:auto}
.kind{display:inline-block;padding:1px 7px;border-radius:9px;background:#eef2ff;font-size:12px}.kind.allocation{background:#fef3c7}.kind.timer{background:#e0f2fe}.kind.listener{background:#fce7f3}.kind.cache{background:#dcfce7}
svg.spark polyline{fill:none;stroke:var(--leak);stroke-width:1.5}svg.spark circle{fill:var(--leak)}.empty{color:var(--muted)}footer{margin-top:32px;color:var(--muted);font-size:12px}
`;

// Hover read-out: the nearest sample's values under the cursor. Data comes from
// the JSON block in the page; nothing is fetched.
const SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('leakguard-data').textContent);
  function fmtMB(b) { return b == null ? '—' : (b / 1e6).toFixed(1) + ' MB'; }
  document.querySelectorAll('figure.chart[data-x0]').forEach(function (fig) {
    var svg = fig.querySelector('svg'); var cursor = svg.querySelector('.cursor'); var out = fig.querySelector('.readout');
    var x0 = +fig.dataset.x0, x1 = +fig.dataset.x1, left = +fig.dataset.left, pw = +fig.dataset.plotWidth, w = +fig.dataset.width;
    svg.addEventListener('mousemove', function (ev) {
      var r = svg.getBoundingClientRect(); var vx = (ev.clientX - r.left) * w / r.width;
      var x = x0 + (vx - left) / pw * (x1 - x0); var best = null;
      data.points.forEach(function (p) { if (best === null || Math.abs(p.x - x) < Math.abs(best.x - x)) best = p; });
      if (best === null) return;
      cursor.setAttribute('x1', vx); cursor.setAttribute('x2', vx); cursor.setAttribute('visibility', 'visible');
      out.textContent = 't=' + best.x.toFixed(1) + ' s  heap ' + fmtMB(best.heap) + '  rss ' + fmtMB(best.rss) +
        '  baseline ' + fmtMB(best.baseline) + '  lag p99 ' + (best.lag == null ? '—' : best.lag.toFixed(1) + ' ms') + (best.leaking ? '  LEAKING' : '');
    });
    svg.addEventListener('mouseleave', function () { cursor.setAttribute('visibility', 'hidden'); out.textContent = ''; });
  });
  document.body.setAttribute('data-ready', '1');
})();
`;

/**
 * Renders the report as one self-contained HTML document.
 * `history`: the sampler's bounded series [{ t, heapUsedBytes, rssBytes,
 * externalBytes, baselineBytes, leaking, lagP99Ms }]; `options.trail`: growth
 * points per suspect (Map or object keyed by suspectKey → [{ t, value }]);
 * `options.title`: the heading (default "leakguard report").
 */
function renderHtmlReport(report, history, options = {}) {
  const r = report && typeof report === 'object' ? report : {};
  const heap = r.heap || {};
  const lag = r.eventLoopLag || {};
  const gc = r.gcPause || {};
  const suspects = Array.isArray(r.suspects) ? r.suspects : [];
  const rawHist = (Array.isArray(history) ? history : []).filter((p) => p && num(p.t) !== null);
  const tStart = rawHist.length ? rawHist[0].t : num(r.generatedAt) || 0;
  const hist = bucket(
    rawHist.map((p) => ({
      x: (p.t - tStart) / 1000,
      heap: num(p.heapUsedBytes),
      rss: num(p.rssBytes),
      external: num(p.externalBytes),
      baseline: num(p.baselineBytes) || null,
      leaking: p.leaking === true,
      lag: num(p.lagP99Ms),
    })),
    MAX_POINTS,
    (p) => p.heap,
  );
  const memSeries = [
    { label: 'heap used', cls: 'heap', points: hist.map((p) => [p.x, p.heap === null ? null : p.heap / MB]) },
    { label: 'RSS', cls: 'rss', points: hist.map((p) => [p.x, p.rss === null ? null : p.rss / MB]) },
    { label: 'post-GC baseline', cls: 'baseline', dashed: true, points: hist.map((p) => [p.x, p.baseline === null ? null : p.baseline / MB]) },
    { label: 'external', cls: 'external', points: hist.map((p) => [p.x, p.external === null ? null : p.external / MB]) },
  ];
  const since = num(r.since);
  const markers = r.leaking && since !== null ? [{ x: (since - tStart) / 1000, label: `leak verdict ${formatTime(since)}` }] : [];
  const verdictClass = r.leaking === true ? 'leaking' : r.leaking === false ? 'clean' : 'unknown';
  const verdictText = r.leaking === true ? 'LEAKING' : r.leaking === false ? 'not leaking' : 'no verdict';
  const card = (label, value) => `<div class="card"><b>${escapeHtml(value)}</b><span>${escapeHtml(label)}</span></div>`;
  const data = { points: hist };
  const json = JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  const title = options.title || 'leakguard report';
  const subtitle = options.subtitle ? `<div class="muted">${escapeHtml(options.subtitle)}</div>` : '';

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>
<h1>${escapeHtml(title)} <span class="verdict ${verdictClass}" id="verdict">${verdictText}</span></h1>
${subtitle}<div class="muted">generated ${escapeHtml(formatTime(num(r.generatedAt) ?? Date.now()))}${r.leaking && since !== null ? ` · leaking since ${escapeHtml(formatTime(since))}` : ''}</div>
<section class="cards">
${card('heap used', formatBytes(heap.usedBytes))}${card('post-GC baseline', formatBytes(heap.baselineBytes))}${card('baseline slope', formatRate(heap.slopeBytesPerSec))}
${card('RSS', formatBytes(heap.rssBytes))}${card('RSS slope', formatRate(heap.rssSlopeBytesPerSec))}${card('external', formatBytes(heap.externalBytes))}
${card('event-loop lag p50 / p99', `${formatMs(lag.p50Ms)} / ${formatMs(lag.p99Ms)}`)}${card('event-loop lag max', formatMs(lag.maxMs))}
${card('GC pause p99 / max', `${formatMs(gc.p99Ms)} / ${formatMs(gc.maxMs)}`)}${card('GC pauses', num(gc.count) === null ? '—' : String(gc.count))}
</section>
<h2>Memory</h2>
${lineChart({ id: 'memory-chart', title: 'Heap, RSS and post-GC baseline (MB)', series: memSeries, bands: leakBands(hist), markers, yFormat: (v) => `${+v.toFixed(1)} MB` })}
<h2>Event loop</h2>
${lineChart({ id: 'lag-chart', title: 'Event-loop lag p99 (ms)', series: [{ label: 'lag p99', cls: 'lag', points: hist.map((p) => [p.x, p.lag]) }], bands: leakBands(hist), yFormat: (v) => `${+v.toFixed(2)} ms`, height: 180 })}
<h2>Suspects, most likely first</h2>
<div class="table-scroll"><table id="suspects"><thead><tr><th>#</th><th>kind</th><th>where</th><th class="n">count</th><th class="n">growth</th><th class="n">bytes</th><th>growth curve</th><th>description</th></tr></thead>
<tbody>${suspectRows(suspects, options.trail)}</tbody></table></div>
${workSection(r.work)}
${
  Array.isArray(r.caches)
    ? `<h2>Caches</h2>
<div class="table-scroll"><table id="caches"><thead><tr><th>name</th><th>kind</th><th>created at</th><th class="n">entries / max</th><th class="n">bytes / max</th><th class="n">hit rate</th><th class="n">evictions</th></tr></thead>
<tbody>${cacheRows(r.caches)}</tbody></table></div>`
    : ''
}
<footer>leakguard · ${rawHist.length} samples${num(heap.windowMs) !== null ? ` · verdict window ${Math.round(heap.windowMs / 1000)} s` : ''}. This file is self-contained: it loads nothing from the network.</footer>
</main>
<script type="application/json" id="leakguard-data">${json}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}

/**
 * Writes the HTML report of the running process to `file` (synchronously, so
 * it also works from an 'exit' handler) and returns the absolute path.
 */
function writeHtmlReport(file, options) {
  if (file === undefined) throw invalidOption('path', 'a file path', file);
  validatePath('path', file);
  const o = checkOptions('writeHtmlReport', options);
  const title = validateString('title', o.title);
  const subtitle = validateString('subtitle', o.subtitle);
  const sampler = require('../sampler');
  const report = sampler.report();
  const history = typeof sampler.history === 'function' ? sampler.history() : [];
  return writeFileAtomic(file, renderHtmlReport(report, history, { title, subtitle }));
}

/**
 * Records each suspect's figure (live bytes for allocation suspects, live
 * count for the others) at every report it is shown in (allocation suspects:
 * at every new heap profile read), so the report can draw growth curves. Bounded: `maxSuspects` keys,
 * each thinned to MAX_TRAIL_POINTS.
 */
class SuspectTrail {
  constructor(maxSuspects = 20) {
    this.maxSuspects = maxSuspects;
    this.points = new Map();
  }

  record(report, t = Date.now()) {
    const suspects = report && Array.isArray(report.suspects) ? report.suspects : [];
    for (const s of suspects.slice(0, this.maxSuspects)) {
      // Allocation and buffer suspects grow in bytes; the others in live items.
      const value = inBytes(s) ? (num(s.bytes) ?? num(s.count)) : (num(s.count) ?? num(s.bytes));
      if (value === null) continue;
      const key = suspectKey(s);
      let list = this.points.get(key);
      if (list === undefined) {
        if (this.points.size >= this.maxSuspects * 2) continue;
        this.points.set(key, (list = []));
      }
      // An allocation suspect's bytes change only when the heap profile is
      // read again (at most once per verdict window, each read being a full
      // GC); the reports in between repeat the last read. Recording those
      // repeats drew a flat line with one step: keep one point per read.
      if (s.kind === 'allocation' && list.length > 0 && list[list.length - 1].value === value) continue;
      list.push({ t, value });
      if (list.length > MAX_TRAIL_POINTS * 2) {
        // Keep every other point: the curve's shape stays, the size halves.
        this.points.set(key, (list = list.filter((_, i) => i % 2 === 0 || i === list.length - 1)));
      }
    }
  }

  toJSON() {
    return Object.fromEntries(this.points);
  }
}

module.exports = { renderHtmlReport, writeHtmlReport, SuspectTrail, suspectKey, escapeHtml };
