// Compiled with `tsc --noEmit`: the sampler's types accept what the README shows.
import { start, stop, report, formatReport, type Report, type Suspect } from 'leakguard';

start({
  intervalMs: 250,
  windowMs: 8000,
  minGrowthBytes: 4 * 1024 * 1024,
  timers: false,
  listeners: true,
  onLeak(r: Report) {
    const top: Suspect | undefined = r.suspects[0];
    if (top && top.site) console.error(`${top.kind} ${top.site.file}:${top.site.line} ${top.description}`);
    process.stderr.write(formatReport(r));
  },
});
const r = report();
const leaking: boolean = r.leaking;
const baseline: number = r.heap.baselineBytes;
const p99: number = r.eventLoopLag.p99Ms;
const since: number | null = r.since;
const memoryLimit: number | null | undefined = r.heap.memoryLimitBytes;
const nearContainer = r.nearMemoryLimit;
if (nearContainer) console.error(`rss ${nearContainer.rssBytes} of ${nearContainer.limitBytes}`);
const nearContainerGrowing: boolean = r.heap.growing.includes('memoryLimit');
// Who runs V8's sampling heap profiler and how leakguard reads it.
const profile = r.sampler?.allocationProfile;
if (profile) {
  const reader: 'v8.startHeapProfile' | 'inspector' = profile.reader;
  const shared: boolean = profile.owner === 'other';
  const stoppedUnder: number = profile.stoppedUnder;
  void [reader, shared, stoppedUnder];
}
stop();
void [leaking, baseline, p99, since, memoryLimit, nearContainerGrowing];

// Allocation suspects carry their candidate lines, growing builtin and whole stack.
for (const s of report().suspects) {
  if (s.kind !== 'allocation') continue;
  const top = s.candidates?.[0];
  if (top) console.log(`${top.text} at ${top.file}:${top.line} (${top.container}: ${top.scopeText})${top.inlined ? ` via ${top.inlined.functionName}` : ''}${top.caller ? ` in ${top.caller.functionName}` : ''}`);
  const builtin: string | null | undefined = s.growingBuiltin;
  const frames: string[] = (s.allocationStack ?? []).map((f) => (f.kind === 'builtin' ? `${f.functionName}` : `${f.file}:${f.line}`));
  const span = s.function ? `${s.function.line}-${s.function.endLine}` : '';
  void [builtin, frames, span, s.inlinedNote];
}

// Off-heap suspects: the line that allocates the Buffers that stay live.
for (const s of report().suspects) {
  if (s.kind !== 'buffer') continue;
  const api: string | undefined = s.detail; // e.g. 'Buffer.concat'
  console.log(`${api} at ${s.site?.file}:${s.site?.line}: ~${s.bytes} B live off-heap, +${s.growth} B/s`);
}

// Growth per unit of work (docs/work.md).
import { work, type WorkReport } from 'leakguard';
work();
work('upload', 3);
const perUnit: WorkReport | undefined = report().work;
if (perUnit && perUnit.growsWith === 'work') {
  const u = perUnit.units.find((x) => x.name === perUnit.unit);
  const bytes: number | null | undefined = u?.bytesPerUnit;
  console.error(`${bytes} B per ${perUnit.unit}`);
}
// The application's own lru-caches are listed with kind 'lru-cache'.
const appCaches = report().caches.filter((c) => c.kind === 'lru-cache');
const evictions: number | null | undefined = appCaches[0]?.evictions;
void evictions;
