'use strict';
// Preloaded before leakguard/register by the benches (`-r bench/ledger-internals.js
// -r register.js`): sets the listener ledger's internal settings, from
// LEAKGUARD_BENCH_LEDGER (JSON: { every, exactPerTick, maxRows }), for the
// ledger register's start() is about to make. Not a user-facing setting:
// how N and the per-second exact budget were chosen is measured with it.
const settings = JSON.parse(process.env.LEAKGUARD_BENCH_LEDGER || '{}');
delete process.env.LEAKGUARD_BENCH_LEDGER; // read, so register does not warn about it
require('../lib/internal/unsafe-internals').unsafeExposeInternals('listeners').setLedgerInternals(settings);
