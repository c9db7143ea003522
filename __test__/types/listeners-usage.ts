// Compiled by `npm run test:types`: the listener ledger as the README shows it.
import leakguard, { trackListeners, untrackListeners, listeners, type ListenerSiteCount, type TrackListenersOptions } from 'leakguard';

const opts: TrackListenersOptions = { sampleEvery: 256, capturesPerSecond: 200, internal: false };
const installed: boolean = trackListeners(opts);
trackListeners();
leakguard.trackListeners({ sampleEvery: 1 });
trackListeners({ mode: 'exact' });
trackListeners({ mode: 'sampled' });
leakguard.start({ listeners: 'exact' });
leakguard.start({ listeners: false });

const sites: ListenerSiteCount[] = listeners();
for (const s of sites) {
  const where: string = s.site ? `${s.site.file}:${s.site.line}:${s.site.column}` : '<unknown>';
  const dep: boolean | undefined = s.site?.nodeModules;
  const event: string | symbol = s.event;
  const counts: number = s.live + s.adds - s.removes + s.emitters;
  const growth: number | undefined = s.growth;
  const frames: number = s.stack.length;
  const mode: 'sampled' | 'exact' = s.mode;
  const since: number | undefined = s.exactSince;
  const folded: number | undefined = s.folded;
  void [where, dep, event, counts, growth, frames, mode, since, folded];
}
const removed: boolean = untrackListeners();
void [installed, removed];

// @ts-expect-error sampleEvery is a number
trackListeners({ sampleEvery: 'often' });
// @ts-expect-error mode is 'sampled' or 'exact'
trackListeners({ mode: 'fast' });
// @ts-expect-error start's listeners is a boolean or a mode
leakguard.start({ listeners: 'fast' });
