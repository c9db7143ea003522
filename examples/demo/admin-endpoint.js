'use strict';
// The demo services' shared plumbing: starts leakguard, serves the app on
// 127.0.0.1 next to an admin route that returns leakguard's report
// (GET /admin/leakguard → formatReport text; ?json → the report object), and
// tells the parent (examples/demo/run.js) its port on stdout. Never used by
// the app's own routes.
const http = require('node:http');
const leakguard = require('leakguard');

function serve(app) {
  leakguard.start({ intervalMs: 250 });
  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/admin/leakguard')) {
      const report = leakguard.report();
      if (req.url.endsWith('?json')) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(report));
      } else {
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.end(leakguard.formatReport(report));
      }
      return;
    }
    app(req, res);
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
  // The parent ends the demo with SIGTERM, or by closing our stdin if it dies first.
  const shutdown = () => {
    leakguard.stop();
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.once('SIGTERM', shutdown);
  process.stdin.on('end', shutdown).resume();
  return server;
}

module.exports = { serve };
