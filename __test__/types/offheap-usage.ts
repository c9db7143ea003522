// Compiled with `tsc --noEmit` by `npm test`: the OffHeapCache types accept
// what the README shows and reject what the cache refuses.
import { OffHeapCache, OffHeapCacheStats, errorCodes, type OffHeapDisposeReason } from 'leakguard';

const sessions = new OffHeapCache<string, string>({ name: 'sessions', maxSize: 64 * 1024 * 1024, ttl: 60_000 });
sessions.set('user:1', '{"id":1}').set('user:2', '{"id":2}');
const s: string | undefined = sessions.get('user:1');
const n: number = sessions.size;
for (const [key, value] of sessions) {
  const k: string = key;
  const v: string = value;
  void [k, v];
}
sessions.forEach((value, key, cache) => void [value.length, key.length, cache.size]);

const blobs = new OffHeapCache<number, Buffer>({ maxSize: 1 << 20 });
blobs.set(1, Buffer.from('x'));
const b: Buffer | undefined = blobs.get(1);

const mixed = new OffHeapCache({ maxSize: 1000, clock: { now: () => 0 } }, [['a', new Uint8Array(1)]]);
const m = mixed.get('a');
if (m !== undefined && typeof m !== 'string') void m.byteLength;

const st: OffHeapCacheStats = sessions.stats();
const overhead: number = OffHeapCache.entryOverhead;
const usage: { stores: number; bytes: number } = OffHeapCache.processUsage();
const code: 'ERR_LEAKGUARD_CACHE_MISMATCH' = errorCodes.CACHE_MISMATCH;
sessions.close();

// @ts-expect-error maxSize is required
new OffHeapCache({ ttl: 10 });
// @ts-expect-error values are strings, Buffers or Uint8Arrays
mixed.set('o', { an: 'object' });
// @ts-expect-error keys are strings or numbers
mixed.set({}, 'v');

void [s, n, b, st, overhead, usage, code];

// Per-entry ttl, dispose, autopurge.
{
  const sessions = new OffHeapCache<string, string>({
    maxSize: 1 << 20,
    ttlAutopurge: true,
    dispose: (value, key, reason: OffHeapDisposeReason) => void [value, key, reason],
    disposeAfter: (_value, _key, reason) => void reason,
  });
  sessions.set('s1', 'payload', { ttl: 30_000 });
  const next: number = sessions.nextExpiry();
  // @ts-expect-error set options take ttl only
  sessions.set('s2', 'x', { size: 3 });
  void next;
}
