"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
// Leak, in TypeScript: a session store that creates a session per login and
// deletes it only on an explicit logout, which most clients never send.
// Compiled with tsc (examples/leaks/tsconfig.json) next to its source map;
// run with --enable-source-maps, leakguard names the line in this .ts file.
// Fix: expire sessions (a TTL cache) and bound their number.
const example_run_1 = require("../support/example-run");
const sessions = new Map();
function newSession(user, n) {
    const id = `${user}-${n.toString(36)}-${(n * 2654435761) % 4294967296}`;
    const session = {
        id,
        user,
        createdAt: Date.now(),
        roles: ['reader', 'commenter', `tenant:${n % 50}`],
        csrfToken: `${id}:csrf`,
        grants: Array.from({ length: 150 }, (_, scope) => ({ scope, grantedAt: Date.now() })),
    };
    sessions.set(id, session); // LEAK: allocation
    return session;
}
function handler(req, res) {
    const n = Number((req.url ?? '').split('/').pop());
    const session = newSession(`user${n % 1000}`, n);
    res.setHeader('set-cookie', `sid=${session.id}; HttpOnly`);
    res.end('welcome\n');
}
(0, example_run_1.runExample)('session-store', async ({ stopped }) => {
    const server = await (0, example_run_1.listen)(handler);
    await (0, example_run_1.driveLoad)(server, { ratePerSec: 1500, method: 'POST', pathFor: (i) => `/login/${i}`, stopped });
});
//# sourceMappingURL=session-store.js.map