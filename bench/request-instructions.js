'use strict';
// What leakguard's timers patch and listener ledger add to one request of a
// service, in instructions (valgrind's callgrind), without sockets: a
// deterministic counterpart of bench/http-realistic.js that isolates the
// tracked operations from the network and the load generator.
//
// One simulated request does what Node's http server and the `realistic`
// handler of bench/http-realistic.js do with listeners and timers:
//   Node's side (run from a function compiled with a node:internal file name,
//   so that no user frame is on the stack, as in a real server): a bound
//   'finish' listener and an 'end' closure on two fresh emitters of their own
//   classes, a 'close' listener added to and removed from a long-lived socket
//   emitter, removeAllListeners('data');
//   the handler's side: a deadline setTimeout with a fresh closure, cleared at
//   the end of the request; a fresh closure subscribed to an app-wide emitter
//   with 50 requests in flight (removed 50 requests later, oldest first); a
//   'close' listener on the response emitter, which dies with it.
// Requests run in batches of 1 000 from setImmediate, so finalizers and the
// timer registry's clock run as in a server.
//
// Method (as bench/timers-instructions.js): node --predictable (GC and JIT on
// the counted thread), the slope between 20 000 and 100 000 requests so that
// start-up cancels out; each variant in its own pair of processes.
//
// Run: node bench/request-instructions.js   (needs valgrind; ~5 min on 2 cores)

const { execFile } = require('node:child_process');

const SMALL = 20_000;
const LARGE = 100_000;
const VARIANTS = ['bare', 'listeners', 'timers', 'both'];

function child(variant, n) {
  const vm = require('node:vm');
  const EventEmitter = require('node:events');
  if (variant === 'listeners' || variant === 'both') require('../lib/listeners').trackListeners();
  if (variant === 'timers' || variant === 'both') require('../lib/timers').patchTimers();
  class Response extends EventEmitter {}
  class Request extends EventEmitter {}
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const inFlight = new Array(50).fill(null);
  function handler(req, res, i) {
    const deadline = setTimeout(() => res.emit('timeout'), 30000);
    const onConfig = () => {};
    bus.on('config', onConfig);
    res.on('close', () => clearTimeout(deadline));
    const oldest = inFlight[i % 50];
    if (oldest !== null) bus.off('config', oldest);
    inFlight[i % 50] = onConfig;
    clearTimeout(deadline);
  }
  const drive = vm.runInThisContext(
    `(function drive(Response, Request, handler, socket, batch, total, done) {
      function onFinish() {}
      function onSocketClose() {}
      let next = 0;
      function step() {
        for (let i = next; i < next + batch; i++) {
          const res = new Response();
          const req = new Request();
          res.on('finish', onFinish.bind(undefined, req, res));
          socket.on('close', onSocketClose);
          req.on('end', function () {});
          handler(req, res, i);
          socket.removeListener('close', onSocketClose);
          req.removeAllListeners('data');
        }
        next += batch;
        if (next < total) setImmediate(step);
        else done();
      }
      setImmediate(step);
    })`,
    { filename: 'node:internal/leakguard-bench' },
  );
  drive(Response, Request, handler, new EventEmitter(), 1000, n, () => process.exit(0));
}

function collected(variant, n) {
  const args = ['--tool=callgrind', '--smc-check=all-non-file', '--callgrind-out-file=/dev/null', process.execPath, '--predictable', __filename, '--child', variant, String(n)];
  return new Promise((resolve, reject) => {
    execFile('valgrind', args, { maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const m = /Collected : (\d+)/.exec(stderr);
      if (err || m === null) reject(new Error(`valgrind failed: ${err ? err.message : stderr.slice(-500)}`));
      else resolve(Number(m[1]));
    });
  });
}

async function main() {
  if (process.argv[2] === '--child') return child(process.argv[3], Number(process.argv[4]));
  console.log(`node ${process.version}, --predictable; instructions per simulated request, slope ${SMALL}→${LARGE} requests`);
  const rows = [];
  let bare;
  for (const variant of VARIANTS) {
    const [a, b] = await Promise.all([collected(variant, SMALL), collected(variant, LARGE)]);
    const perRequest = (b - a) / (LARGE - SMALL);
    if (variant === 'bare') bare = perRequest;
    rows.push({ variant, 'instr/request': Math.round(perRequest), 'added instr': Math.round(perRequest - bare), 'vs bare %': Number(((perRequest / bare - 1) * 100).toFixed(1)) });
    console.log(JSON.stringify(rows[rows.length - 1]));
  }
  console.table(rows);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
