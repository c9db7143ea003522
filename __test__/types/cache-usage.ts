// Compiled by `npm run test:types`: LruCache must be usable wherever a Map is.
import { LruCache, type LruCacheOptions, type LruCacheDisposeReason } from 'leakguard';

const m: Map<string, number> = new LruCache<string, number>({ max: 10 });
m.set('a', 1).set('b', 2);
const n: number | undefined = m.get('a');

const cache = new LruCache<string, { id: number }>({ max: 10, ttl: 1000 }, [['x', { id: 1 }]]);
cache.set('y', { id: 2 }, { ttl: 50 });
const ks: MapIterator<string> = cache.keys();
const vs: MapIterator<{ id: number }> = cache.values();
const es: MapIterator<[string, { id: number }]> = cache.entries();
const it: MapIterator<[string, { id: number }]> = cache[Symbol.iterator]();
for (const [k, v] of cache) void [k.length, v.id];
cache.forEach((value, key, map) => void [value.id, key.length, map.size]);

const copy = new Map(cache);
const plain: Record<string, { id: number }> = Object.fromEntries(cache);

function takesMap(map: Map<number, string>): number {
  return map.size;
}
takesMap(new LruCache<number, string>({ maxSize: 100, sizeCalculation: (v) => v.length }));

const reasons: LruCacheDisposeReason[] = ['evict', 'expire', 'set', 'delete', 'clear'];
const opts: LruCacheOptions<string, number> = {
  max: 5,
  dispose: (value: number, key: string, reason: LruCacheDisposeReason) => void [value, key, reason],
  clock: { now: () => 0 },
};
const s = new LruCache(opts).stats();
const hits: number = s.hits;
cache.resize(20);

// @ts-expect-error a bound is required: the options argument cannot be omitted
new LruCache<string, number>();
// @ts-expect-error set options take ttl and size only
cache.set('z', { id: 3 }, { maxAge: 5 });

void [n, ks, vs, es, it, copy, plain, reasons, hits];

// lru-cache-style additions.
async function lruCacheStyle(): Promise<void> {
  const users = new LruCache<string, { id: string }>({
    max: 100,
    ttl: 60_000,
    allowStale: true,
    updateAgeOnHas: true,
    noDeleteOnStaleGet: false,
    allowStaleOnFetchRejection: true,
    fetchMethod: async (key, stale, { signal, context }) => {
      void [stale?.id, signal.aborted, context];
      return { id: key };
    },
  });
  const ac = new AbortController();
  const u: { id: string } | undefined = await users.fetch('u1', { signal: ac.signal, context: 1, forceRefresh: true, ttl: 10 });
  const p: { id: string } | undefined = users.peek('u1', { allowStale: true });
  const left: number = users.getRemainingTTL('u1') + users.ttlOf('u1');
  const info = users.info('u1');
  const age: number | undefined = info?.age;
  const dump = users.dump();
  users.load(dump);
  const inflight: number = users.stats().inflight;
  const fetchReason: LruCacheDisposeReason = 'fetch';
  // @ts-expect-error fetch options are signal, context, forceRefresh, allowStale, ttl
  void users.fetch('u1', { refresh: true });
  void [u, p, left, age, inflight, fetchReason];
}
void lruCacheStyle;
