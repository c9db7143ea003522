// leakguard/test as docs/testing.md shows it.
import { checkLeaks, assertNoLeaks, formatCheck, type LeakCheckReport } from 'leakguard/test';
import { errorCodes } from 'leakguard';

async function main(): Promise<void> {
  const report: LeakCheckReport = await checkLeaks((i) => i * 2, { iterations: 500, warmup: 50, threshold: 200, kinds: ['heap', 'timers'] });
  const perCall: number = report.bytesPerCall.value;
  const r2: number = report.bytesPerCall.r2;
  const text: string = formatCheck(report);
  for (const s of report.suspects) {
    const line: number | undefined = s.site?.line;
    void [line, s.candidates?.[0]?.line];
  }
  for (const f of report.filling) {
    const kind: 'lru' | 'offheap' | 'lru-cache' = f.kind;
    void [kind, f.grown, f.max];
  }
  await assertNoLeaks(async () => {
    await Promise.resolve();
  });
  const code: 'ERR_LEAKGUARD_CHECK_RUNNING' = errorCodes.CHECK_RUNNING;
  void [perCall, r2, text, code];
}

void main;
