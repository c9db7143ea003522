// Types for LruCache (lib/cache/index.js). `LruCache<K, V>` implements `Map<K, V>`:
// a `Map` type annotation accepts it unchanged.

/** Why an entry left the cache (or its value was replaced). */
export type LruCacheDisposeReason = 'evict' | 'expire' | 'set' | 'delete' | 'clear';

/**
 * A clock in milliseconds; must never go backwards. `now()` must return a
 * finite number >= 0: it is called once when the cache is made (anything else
 * is refused with ERR_LEAKGUARD_INVALID_OPTION), and a later bad reading or a
 * throw makes the operation throw ERR_LEAKGUARD_INVALID_CLOCK, cache unchanged.
 */
export interface LruCacheClock {
  now(): number;
}

export interface LruCacheOptions<K, V> {
  /** Most entries kept (integer ≥ 1). At least one of `max`/`maxSize` is required. */
  max?: number;
  /** Most total size kept (integer ≥ 1), in the units of `sizeCalculation` / per-set `size`. */
  maxSize?: number;
  /** Size of an entry: a positive finite number ≤ `maxSize`. Needs `maxSize`. */
  sizeCalculation?: (value: V, key: K) => number;
  /** Default time to live in milliseconds (integer ≥ 0; 0 = never expires). Default 0. */
  ttl?: number;
  /** A successful `get` restarts the entry's ttl. Default false. */
  updateAgeOnGet?: boolean;
  /** Drop expired entries proactively from one shared, unref'd timer. Default false. */
  ttlAutopurge?: boolean;
  /** Time source for ttls, in milliseconds. Default: performance.now(), read at most every 1 ms / 64 reads. */
  clock?: LruCacheClock;
  /** Called after an entry left (or its value was replaced); a throw becomes a process warning. */
  dispose?: (value: V, key: K, reason: LruCacheDisposeReason) => void;
  /** A name for reports and stats. */
  name?: string;
}

export interface LruCacheSetOptions {
  /** This entry's ttl in milliseconds (integer ≥ 0; 0 = never expires). Default: the cache's `ttl`. */
  ttl?: number;
  /** This entry's size (positive, ≤ `maxSize`). Default: `sizeCalculation(value, key)`. */
  size?: number;
}

export interface LruCacheStats {
  name: string | null;
  hits: number;
  misses: number;
  sets: number;
  deletes: number;
  evictions: number;
  expirations: number;
  size: number;
  calculatedSize: number;
  max: number;
  maxSize: number;
}

export interface LruCacheSite {
  file: string;
  line: number;
  column: number;
  functionName: string | null;
  nodeModules: boolean;
}

/**
 * A bounded least-recently-used cache with the Map interface. Iterates
 * least-recently-used first; expired entries are never returned.
 *
 * `new LruCache(options, entries?)`: options first (a bound is required),
 * then optional initial entries as for `new Map(entries)`.
 */
export declare class LruCache<K = unknown, V = unknown> implements Map<K, V> {
  constructor(options: LruCacheOptions<K, V>, entries?: Iterable<readonly [K, V]> | null);
  get(key: K): V | undefined;
  set(key: K, value: V, options?: LruCacheSetOptions): this;
  has(key: K): boolean;
  delete(key: K): boolean;
  clear(): void;
  /** Live entries (expired ones are dropped first). */
  readonly size: number;
  forEach(callbackfn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void;
  keys(): MapIterator<K>;
  values(): MapIterator<V>;
  entries(): MapIterator<[K, V]>;
  [Symbol.iterator](): MapIterator<[K, V]>;
  readonly [Symbol.toStringTag]: string;

  /** The entry bound (Infinity when only `maxSize` bounds the cache). */
  readonly max: number;
  /** The size bound (Infinity when only `max` bounds the cache). */
  readonly maxSize: number;
  /** Sum of the stored entries' sizes. */
  readonly calculatedSize: number;
  readonly name: string | undefined;
  /** Where the cache was created, or null when no user frame was found. */
  readonly site: LruCacheSite | null;
  /** Changes the entry bound at run time (integer ≥ 1); evicts expired, then LRU entries down to it. */
  resize(max: number): void;
  /** Drops every expired entry now; true when any was dropped. */
  purgeStale(): boolean;
  /** Milliseconds until `key` expires: Infinity when never, 0 when absent or expired. */
  ttlOf(key: K): number;
  /** Counters since creation. */
  stats(): LruCacheStats;
}
