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
