// Types of examples/support/example-run.js, for the TypeScript examples.
import type { Server, IncomingMessage, ServerResponse } from 'node:http';

export declare function runExample(name: string, body: (run: { deadline: number; stopped: () => boolean }) => unknown): void;
export declare function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server>;
export declare function driveLoad(
  server: Server,
  options: {
    pathFor: (i: number) => string;
    stopped: () => boolean;
    concurrency?: number;
    ratePerSec?: number;
    method?: string;
    body?: string | ((i: number) => string) | null;
  },
): Promise<number>;
export declare function durationMs(): number;
export declare const MARKER: string;
