'use strict';
// Control (must NOT be flagged): a service whose start-up is dominated by
// code, not data: it compiles a template per route and per locale (distinct
// function bodies made with new Function, as template engines do) over its
// first seconds, and the hot ones are called until V8 optimises them. Code,
// bytecode and type feedback fill the heap, then the set is complete and
// memory stays flat.
const { runExample, listen, driveLoad } = require('../support/example-run');

const ROUTES = 300;
const LOCALES = 10;
const BATCH = 15; // routes compiled every 500 ms: ~10 s in all
const templates = new Map();

function compileTemplate(route, locale) {
  // Each body differs (field names, constants), so V8 shares nothing.
  const fields = Array.from({ length: 24 }, (_, f) => `r${route}_${locale}_f${f}`);
  const body = [
    `const out = [];`,
    ...fields.map((name, f) => `out.push('${name}=' + (data.v * ${f + route} + ${locale}) + ';');`),
    `if (data.v % ${(route % 7) + 2} === 0) out.push('even-${route}-${locale}');`,
    `return out.join('');`,
  ].join('\n');
  return new Function('data', body);
}

async function compileAll() {
  const started = Date.now();
  for (let route = 0; route < ROUTES; route++) {
    for (let locale = 0; locale < LOCALES; locale++) {
      const render = compileTemplate(route, locale);
      templates.set(`${route}/${locale}`, render);
      // new Function compiles its body lazily, on the first call: call each
      // once now (as a template engine's precompile step would), and the
      // first locale of each route enough for tiering up.
      for (let i = 0; i < (locale === 0 ? 500 : 1); i++) render({ v: i });
    }
    if (route % BATCH === BATCH - 1) {
      const next = started + ((route + 1) / BATCH) * 500;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
    }
  }
}

function handler(req, res) {
  const n = Number(req.url.slice('/page/'.length));
  const render = templates.get(`${n % ROUTES}/${n % LOCALES}`);
  res.end(render === undefined ? 'warming up' : render({ v: n }).slice(0, 64));
}

runExample('jit-warmup', async ({ stopped }) => {
  const server = await listen(handler);
  await Promise.all([compileAll(), driveLoad(server, { ratePerSec: 500, pathFor: (i) => `/page/${i * 31}`, stopped })]);
});
