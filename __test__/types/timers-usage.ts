// Compiled with `tsc --noEmit` by `npm test`: the timers API as the README shows it.
import { patchTimers, unpatchTimers, timers, type TimerSiteCount } from 'leakguard';
import leakguard from 'leakguard';

const installed: boolean = patchTimers();
const t = setTimeout(() => {}, 1000);
const id: number = +t;
clearTimeout(id);
const rows: TimerSiteCount[] = timers();
for (const row of rows) {
  const where: string = row.site === null ? '<node internals>' : `${row.site.file}:${row.site.line}:${row.site.column}`;
  const kind: 'timeout' | 'interval' = row.kind;
  const delay: number | undefined = row.delay;
  const other: true | undefined = row.otherSites;
  const n: number = row.live + row.created + row.oldestAgeMs + row.stack.length;
  void [where, kind, delay, n, other];
}
const removed: boolean = unpatchTimers();
const viaDefault: TimerSiteCount[] = leakguard.timers();
void [installed, removed, viaDefault];

// Node's legacy fields, typed (deprecated) on the handle.
declare const handle: import('../../lib/timers').LeakguardTimeout;
handle._onTimeout = (reason: string) => void reason;
handle._repeat = null;
const legacyDelay: number = handle._idleTimeout;
const destroyed: boolean = handle._destroyed;
void [legacyDelay, destroyed];
