// Leak, in TypeScript: a session store that creates a session per login and
// deletes it only on an explicit logout, which most clients never send.
// Compiled with tsc (examples/leaks/tsconfig.json) next to its source map;
// run with --enable-source-maps, leakguard names the line in this .ts file.
// Fix: expire sessions (a TTL cache) and bound their number.
import { runExample, listen, driveLoad } from '../support/example-run';
import type { IncomingMessage, ServerResponse } from 'node:http';

interface Session {
  id: string;
  user: string;
  createdAt: number;
  roles: string[];
  csrfToken: string;
  grants: { scope: number; grantedAt: number }[];
}

type SessionMap = Map<string, Session>;

const sessions: SessionMap = new Map();

function newSession(user: string, n: number): Session {
  const id: string = `${user}-${n.toString(36)}-${(n * 2654435761) % 4294967296}`;
  const session: Session = {
    id,
    user,
    createdAt: Date.now(),
    roles: ['reader', 'commenter', `tenant:${n % 50}`],
    csrfToken: `${id}:csrf`,
    grants: Array.from({ length: 150 }, (_, scope: number) => ({ scope, grantedAt: Date.now() })),
  };
  sessions.set(id, session); // LEAK: allocation
  return session;
}

function handler(req: IncomingMessage, res: ServerResponse): void {
  const n: number = Number((req.url ?? '').split('/').pop());
  const session: Session = newSession(`user${n % 1000}`, n);
  res.setHeader('set-cookie', `sid=${session.id}; HttpOnly`);
  res.end('welcome\n');
}

runExample('session-store', async ({ stopped }) => {
  const server = await listen(handler);
  await driveLoad(server, { ratePerSec: 1500, method: 'POST', pathFor: (i: number) => `/login/${i}`, stopped });
});
