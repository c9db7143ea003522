'use strict';
// The HTML report: structure and escaping of the rendered page, and a render
// in headless Chromium (screenshot decoded and checked for drawn pixels, DOM
// dumped and checked for the charts, the suspects table and the inline script
// having run, console checked for messages).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { spawnSync } = require('node:child_process');
const { renderHtmlReport, SuspectTrail, suspectKey } = require('../lib/export/html-report');
const leakguard = require('..');

const T0 = 1_795_000_000_000;

/** The page without the path-wrapping markup (break opportunities, unbreakable names). */
function plain(html) {
  return html.replace(/<wbr>|<span class="seg">|<\/span>/g, '');
}

function fixture() {
  const history = [];
  for (let i = 0; i < 1500; i++) {
    const leak = i * 40_000;
    history.push({
      t: T0 + i * 250,
      heapUsedBytes: 20e6 + leak + (i % 12) * 9e5,
      rssBytes: 70e6 + leak * 1.1,
      externalBytes: 1.5e6,
      baselineBytes: i > 8 ? 19e6 + leak : 0,
      leaking: i >= 900,
      lagP99Ms: 2 + (i % 9) * 0.7,
    });
  }
  const suspects = [
    {
      kind: 'timer',
      site: { file: '/srv/app/<b>tenants</b>.js', line: 4, column: 3, functionName: 'addTenant' },
      stack: [
        { file: '/srv/app/tenants.js', line: 4, column: 3, functionName: 'addTenant' },
        { file: '/srv/app/server.js', line: 20, column: 5, functionName: null },
      ],
      count: 1250,
      growth: 250,
      bytes: null,
      description: 'setInterval at /srv/app/tenants.js:4:3 has 1 250 live intervals, growing 250/s',
    },
    {
      kind: 'allocation',
      site: { file: '/srv/app/cache.js', line: 10, column: 1, functionName: 'remember' },
      stack: [],
      count: null,
      growth: 1.5e6,
      bytes: 3.4e7,
      description: 'remember() holds 34 MB of live sampled allocations (function-level attribution)',
      alsoVia: [
        {
          site: { file: '/srv/app/cache.js', line: 30, column: 1, functionName: null },
          function: { name: '<i>handle</i>', file: '/srv/app/cache.js', line: 30, endLine: 41, topLevel: false },
          stack: [],
          allocationStack: [
            { functionName: 'Map.prototype.set', file: null, line: null, column: null, kind: 'builtin' },
            { functionName: '<i>handle</i>', file: '/srv/app/cache.js', line: 30, column: 17, kind: 'user' },
          ],
          bytes: 2e6,
          growth: 1e5,
          count: 4,
        },
      ],
    },
    {
      kind: 'listener',
      site: { file: '/srv/app/bus.js', line: 7, column: 9, functionName: 'onRequest' },
      stack: [],
      count: 300,
      growth: 10,
      bytes: null,
      description: "listener for 'message' <script>alert(1)</script>",
    },
  ];
  const trail = new SuspectTrail();
  for (let i = 1; i <= 40; i++) {
    trail.record({ suspects: suspects.map((s) => ({ ...s, count: s.count && (s.count * i) / 40, bytes: s.bytes && (s.bytes * i) / 40 })) }, T0 + i * 1000);
  }
  const report = {
    leaking: true,
    since: T0 + 900 * 250,
    generatedAt: T0 + 1500 * 250,
    heap: {
      usedBytes: 80e6,
      totalBytes: 100e6,
      rssBytes: 136e6,
      externalBytes: 1.5e6,
      baselineBytes: 78e6,
      slopeBytesPerSec: 160_000,
      rssSlopeBytesPerSec: 176_000,
      windowMs: 30_000,
      samples: 1500,
    },
    eventLoopLag: { p50Ms: 1.2, p99Ms: 8.5, maxMs: 31 },
    gcPause: { p50Ms: 0.4, p99Ms: 3, maxMs: 6, count: 50 },
    suspects,
  };
  return { report, history, trail };
}

test('the page draws the memory and lag charts, the leak span and every suspect, escaped', () => {
  const { report, history, trail } = fixture();
  const html = renderHtmlReport(report, history, { trail: trail.points, title: 'checkout <svc>' });
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<figure class="chart" id="memory-chart"[^>]*>.*<svg /s);
  assert.match(html, /<figure class="chart" id="lag-chart"[^>]*>.*<svg /s);
  const memory = html.slice(html.indexOf('id="memory-chart"'), html.indexOf('id="lag-chart"'));
  for (const cls of ['heap', 'rss', 'baseline dashed', 'external']) assert.match(memory, new RegExp(`<polyline class="line ${cls}" points="[\\d.,\\s]+"`));
  assert.match(memory, /<rect class="leak-band"/, 'the leaking span is shaded');
  assert.match(memory, /<line class="marker".*leak verdict/s, 'the verdict time is marked');
  // 1500 samples are bucketed: no polyline carries more than 600 points.
  for (const m of html.matchAll(/<polyline class="line [^"]*" points="([^"]*)"/g)) assert.ok(m[1].split(' ').length <= 600);

  const rows = html.match(/<tr class="suspect"/g);
  assert.equal(rows.length, 3, 'one row per suspect, in rank order');
  assert.ok(html.indexOf('addTenant') < html.indexOf('remember') && html.indexOf('remember') < html.indexOf('onRequest'));
  assert.match(plain(html), /<details><summary>stack \(2\)<\/summary><pre>addTenant \(\/srv\/app\/tenants.js:4:3\)/);
  assert.equal((html.match(/<svg class="spark"/g) || []).length, 3, 'a growth curve per suspect from the trail');

  // User data is escaped; nothing is fetched.
  const text = plain(html);
  assert.ok(!text.includes('<b>tenants</b>') && text.includes('&lt;b&gt;tenants&lt;/b&gt;'));
  assert.ok(!html.includes('<script>alert(1)</script>'));
  assert.ok(html.includes('checkout &lt;svc&gt;'));
  // A merged allocation's other function and its allocation stack are shown, escaped.
  assert.match(text, /<details><summary>also allocated through \(1\)<\/summary><ol class="also-via"><li><code>&lt;i&gt;handle&lt;\/i&gt; \/srv\/app\/cache\.js:30–41<\/code> <span class="muted">\(2\.0 MB live, growing \+?100\.0 kB\/s\)<pre>Map\.prototype\.set \(builtin\)\n&lt;i&gt;handle&lt;\/i&gt; \(\/srv\/app\/cache\.js:30:17\)<\/pre><\/li><\/ol>/);
  assert.ok(!html.includes('<i>handle</i>'));
  assert.doesNotMatch(html, /https?:\/\/|\bsrc=|<link\b|@import|url\(/i, 'self-contained: no URL, no external script, style or font');
});

test('sizes are in MB everywhere on the page (one unit system with the text report and the CLI)', () => {
  const { report, history, trail } = fixture();
  const html = renderHtmlReport(report, history, { trail: trail.points });
  assert.doesNotMatch(html, /MiB|KiB|GiB/);
  assert.match(html, /<b>80\.0 MB<\/b><span>heap used<\/span>/);
  assert.match(html, /<b>\+160\.0 kB\/s<\/b><span>baseline slope<\/span>/);
  assert.match(html, /Heap, RSS and post-GC baseline \(MB\)/);
  assert.match(leakguard.formatReport(report), /heap baseline 78\.0 MB \(post-GC\), growing 160\.0 kB\/s/);
});

test('file paths wrap after their separators, never inside a name', () => {
  const { report, history, trail } = fixture();
  const html = renderHtmlReport(report, history, { trail: trail.points });
  const seg = (t) => `<span class="seg">${t}</span>`;
  assert.ok(
    html.includes(`<code>${seg('onRequest')} /<wbr>${seg('srv')}/<wbr>${seg('app')}/<wbr>${seg('bus.js')}<wbr>${seg(':7:9')}</code>`),
    'a break opportunity after each / and before :line:column; each name kept whole',
  );
  assert.ok(html.includes(`${seg('(')}/<wbr>${seg('srv')}/<wbr>${seg('app')}/<wbr>${seg('server.js')}<wbr>${seg(':20:5)')}`), 'in the stacks too');
  assert.match(html, /\.seg\{white-space:nowrap\}/, 'a name is never broken, not even at a hyphen');
  assert.doesNotMatch(html, /word-break:\s*break-all|overflow-wrap/, 'no style that breaks inside a name');
});

test('a caches table when the report lists caches: name, site, entries and bytes against their bounds, hit rate, evictions', () => {
  const { report, history } = fixture();
  const caches = [
    {
      name: 'sessions',
      kind: 'lru',
      site: { file: '/srv/app/session-store.js', line: 12, column: 17, functionName: 'createStore' },
      size: 900,
      max: 1000,
      maxSize: null,
      bytes: null,
      hits: 7500,
      misses: 2500,
      hitRate: 0.75,
      evictions: 42,
      inflight: 0,
    },
    {
      name: 'thumbs <raw>',
      kind: 'offheap',
      site: { file: '/srv/app/images.js', line: 3, column: 5, functionName: null },
      size: 120,
      max: null,
      maxSize: 64e6,
      bytes: 31.5e6,
      hits: 0,
      misses: 0,
      hitRate: null,
      evictions: 0,
      inflight: 0,
    },
  ];
  const html = renderHtmlReport({ ...report, caches }, history);
  const table = plain(html.slice(html.indexOf('<table id="caches">'), html.indexOf('</table>', html.indexOf('<table id="caches">'))));
  assert.equal((table.match(/<tr class="cache"/g) || []).length, 2);
  assert.match(table, /<td>sessions<\/td><td><span class="kind cache">lru<\/td><td class="site"><code>createStore \/srv\/app\/session-store\.js:12:17<\/code><\/td><td class="n">900 \/ 1,000<\/td><td class="n">—<\/td><td class="n">75\.0%<div class="muted">7,500 hits, 2,500 misses<\/div><\/td><td class="n">42<\/td>/);
  assert.match(table, /thumbs &lt;raw&gt;[\s\S]*<td class="n">120<\/td><td class="n">31\.5 MB \/ 64\.0 MB<\/td><td class="n">—<div/);
  assert.match(renderHtmlReport({ ...report, caches: [] }, history), /<table id="caches">[\s\S]*No caches created/);
  assert.doesNotMatch(renderHtmlReport(report, history), /id="caches"/, 'no table when the report has no caches field');
});

test('an allocation suspect gets one curve point per heap profile read, so its curve shows the growth, not a flat line', () => {
  const site = { file: '/srv/app/log.js', line: 3, column: 1, functionName: 'remember' };
  const trail = new SuspectTrail();
  // What the reports of a run look like: the profile is read at t = 0, 10 and
  // 20 s; the once-a-second reports in between repeat the last read.
  for (let t = 0; t <= 25; t++) {
    const bytes = t < 10 ? 5e6 : t < 20 ? 9e6 : 14e6;
    trail.record({ suspects: [{ kind: 'allocation', site, bytes, count: 3, growth: 5e5 }] }, T0 + t * 1000);
  }
  const points = trail.points.get(suspectKey({ kind: 'allocation', site }));
  assert.deepEqual(points.map((p) => p.value), [5e6, 9e6, 14e6]);
  const html = renderHtmlReport({ leaking: true, heap: {}, suspects: [{ kind: 'allocation', site, bytes: 14e6, growth: 5e5, stack: [] }] }, [], { trail: trail.points });
  const spark = html.match(/<svg class="spark"[^>]*>.*?<\/svg>/s)[0];
  const ys = [...spark.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
  assert.equal(ys.length, 3, 'each read is marked');
  assert.ok(ys[0] > ys[1] && ys[1] > ys[2], `the curve rises (SVG y grows downwards): ${ys}`);
  assert.match(spark, /<title>5\.0 MB → 14\.0 MB over 20 s \(3 readings\)<\/title>/);
  const single = new SuspectTrail();
  single.record({ suspects: [{ kind: 'allocation', site, bytes: 5e6 }] }, T0);
  const one = renderHtmlReport({ leaking: true, heap: {}, suspects: [{ kind: 'allocation', site, bytes: 5e6, stack: [] }] }, [], { trail: single.points });
  assert.match(one, /one reading: 5\.0 MB/);
});

test('a buffer suspect is drawn in bytes: its growth per second and its curve', () => {
  const site = { file: '/srv/app/upload.js', line: 15, column: 23, functionName: 'keepForAudit' };
  const trail = new SuspectTrail();
  for (let t = 0; t <= 4; t++) trail.record({ suspects: [{ kind: 'buffer', site, bytes: 1e7 + t * 3.2e6, count: 300 + t * 100, growth: 3.2e6 }] }, T0 + t * 1000);
  assert.deepEqual(trail.points.get(suspectKey({ kind: 'buffer', site })).map((p) => p.value), [1e7, 1.32e7, 1.64e7, 1.96e7, 2.28e7]);
  const html = renderHtmlReport({ leaking: true, heap: {}, suspects: [{ kind: 'buffer', site, bytes: 2.28e7, count: 700, growth: 3.2e6, detail: 'Buffer.concat', precision: 'line', stack: [] }] }, [], { trail: trail.points });
  assert.match(html, /<td class="n">\+3\.2 MB\/s<\/td>/);
  assert.match(html, /<title>10\.0 MB → 22\.8 MB over 4 s \(5 readings\)<\/title>/);
});

test('an empty or partial report still renders, saying what is missing', () => {
  const html = renderHtmlReport({ leaking: false, heap: {}, suspects: [] }, []);
  assert.match(html, /not leaking/);
  assert.match(html, /No samples yet/);
  assert.match(html, /No suspects/);
  assert.doesNotMatch(html, /NaN|undefined/);
  const bare = renderHtmlReport(undefined, undefined);
  assert.match(bare, /no verdict/);
});

test('SuspectTrail keeps a bounded curve per suspect', () => {
  const trail = new SuspectTrail(2);
  const s = { kind: 'timer', site: { file: '/a.js', line: 1, column: 1 }, count: 0 };
  for (let i = 0; i < 10_000; i++) trail.record({ suspects: [{ ...s, count: i }] }, i);
  const points = trail.points.get(suspectKey(s));
  assert.ok(points.length <= 240, `bounded: ${points.length}`);
  assert.equal(points[0].value, 0);
  assert.ok(points.at(-1).value > 9_900, 'the latest point is kept');
  for (let k = 0; k < 50; k++) trail.record({ suspects: [{ ...s, site: { file: `/f${k}.js`, line: 1, column: 1 } }] });
  assert.ok(trail.points.size <= 4, 'bounded number of suspects');
});

test('writeHtmlReport validates its path', () => {
  assert.throws(() => leakguard.writeHtmlReport(), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => leakguard.writeHtmlReport(42), { name: 'TypeError', code: 'ERR_LEAKGUARD_INVALID_OPTION' });
  assert.throws(() => leakguard.writeHtmlReport('/tmp/x.html', { title: 3 }), { code: 'ERR_LEAKGUARD_INVALID_OPTION' });
});

// --- headless Chromium ---

// The browser is a CI set-up step (.ci/run installs it when missing); a test
// never installs anything.
function findChromium() {
  return spawnSync('sh', ['-c', 'command -v chromium || command -v chromium-browser || command -v google-chrome'], { encoding: 'utf8' }).stdout.trim();
}

function chromium(bin, dir, args) {
  return spawnSync(
    bin,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--enable-logging=stderr',
      `--user-data-dir=${path.join(dir, 'profile')}`,
      '--window-size=1200,1400',
      ...args,
    ],
    { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
  );
}

/** Decodes an 8-bit RGB/RGBA non-interlaced PNG into { width, height, channels, pixels }. */
function decodePng(buf) {
  assert.deepEqual([...buf.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  let off = 8;
  let ihdr = null;
  const idat = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') ihdr = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), depth: data[8], color: data[9], interlace: data[12] };
    if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  assert.ok(ihdr && ihdr.depth === 8 && (ihdr.color === 2 || ihdr.color === 6) && ihdr.interlace === 0, 'an 8-bit RGB(A) PNG');
  const channels = ihdr.color === 6 ? 4 : 3;
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = ihdr.width * channels;
  const pixels = Buffer.alloc(stride * ihdr.height);
  for (let y = 0; y < ihdr.height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[y * stride + x] = v & 255;
    }
  }
  return { width: ihdr.width, height: ihdr.height, channels, pixels };
}

test('headless Chromium renders the report: charts and suspects drawn, script ran, no console messages', (t) => {
  const bin = findChromium();
  if (!bin) {
    t.skip('no chromium on PATH (.ci/run installs it)');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-html-'));
  try {
    const { report, history, trail } = fixture();
    const page = path.join(dir, 'report.html');
    const caches = [{ name: 'sessions', kind: 'lru', site: { file: '/srv/app/store.js', line: 1, column: 1, functionName: null }, size: 9, max: 10, bytes: null, maxSize: null, hits: 3, misses: 1, hitRate: 0.75, evictions: 0, inflight: 0 }];
    fs.writeFileSync(page, renderHtmlReport({ ...report, caches }, history, { trail: trail.points }));
    const url = `file://${page}`;

    const dom = chromium(bin, dir, ['--dump-dom', url]);
    assert.equal(dom.status, 0, dom.stderr.slice(-2000));
    assert.match(dom.stdout, /<body[^>]*data-ready="1"/, 'the inline script ran to its end');
    assert.match(dom.stdout, /id="memory-chart"[\s\S]*<svg[\s\S]*<polyline class="line heap"/);
    assert.match(dom.stdout, /id="lag-chart"[\s\S]*<polyline class="line lag"/);
    assert.equal((dom.stdout.match(/<tr class="suspect"/g) || []).length, 3);
    assert.equal((dom.stdout.match(/<tr class="cache"/g) || []).length, 1, 'the caches table');
    const consoleLines = dom.stderr.split('\n').filter((l) => /:CONSOLE[(:]/.test(l) && l.includes(page));
    assert.deepEqual(consoleLines, [], 'no console message (errors, uncaught exceptions) from the page');

    const png = path.join(dir, 'shot.png');
    const shot = chromium(bin, dir, [`--screenshot=${png}`, url]);
    assert.equal(shot.status, 0, shot.stderr.slice(-2000));
    const img = decodePng(fs.readFileSync(png));
    assert.equal(img.width, 1200);
    let nonWhite = 0;
    let reddish = 0;
    let bluish = 0;
    const colours = new Set();
    for (let i = 0; i < img.pixels.length; i += img.channels) {
      const [r, g, b] = [img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]];
      if (r < 245 || g < 245 || b < 245) nonWhite++;
      if (r > 180 && g < 90 && b < 90) reddish++; // the verdict badge, the verdict marker, growth curves
      if (b > 180 && r < 90 && g < 160) bluish++; // the heap line
      if (colours.size < 1000) colours.add((r << 16) | (g << 8) | b);
    }
    const total = img.width * img.height;
    assert.ok(nonWhite / total > 0.02, `something is drawn (${((100 * nonWhite) / total).toFixed(1)}% non-white)`);
    assert.ok(colours.size > 50, `not a flat image (${colours.size} colours)`);
    assert.ok(reddish > 200, `the verdict and leak marks are drawn in red (${reddish} px)`);
    assert.ok(bluish > 200, `the heap line is drawn in blue (${bluish} px)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('writeHtmlReport(path) writes the running process report with its timeline', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-html-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const sampler = require('../lib/internal/unsafe-internals').unsafeExposeInternals('sampler');
  leakguard.start({ intervalMs: 50, timers: false, listeners: false, allocations: false });
  t.after(() => leakguard.stop());
  for (let i = 0; i < 5; i++) {
    sampler.flush();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const written = leakguard.writeHtmlReport(path.join(dir, 'report.html'), { title: 'live <process>' });
  assert.equal(written, path.join(dir, 'report.html'));
  const html = fs.readFileSync(written, 'utf8');
  assert.match(html, /<title>live &lt;process&gt;<\/title>/);
  assert.match(html, /id="memory-chart"[\s\S]*<polyline class="line heap" points="[\d.,\s]+"/, 'the timeline is drawn');
  assert.doesNotMatch(html, /No samples yet/);
  assert.deepEqual(fs.readdirSync(dir), ['report.html'], 'no temporary file left behind');
});
