// Types for LruCache (lib/cache/index.js). `LruCache<K, V>` implements `Map<K, V>`:
// a `Map` type annotation accepts it unchanged.

/**
 * Why an entry left the cache (or its value was replaced). 'fetch': a stale
 * value dropped because its refresh failed or was aborted by its signal.
 */
export type LruCacheDisposeReason = 'evict' | 'expire' | 'set' | 'delete' | 'clear' | 'fetch';

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
  /** A successful `get` (or `fetch` hit) restarts the entry's ttl. Default false. */
  updateAgeOnGet?: boolean;
  /** A `has` that finds a live entry restarts its ttl. Default false. */
  updateAgeOnHas?: boolean;
  /** `get`, `peek` and `fetch` return an expired (or refreshing) entry's stale value instead of undefined. Default false. */
  allowStale?: boolean;
  /** `get`/`has` of an expired entry leave it in place (it goes on purge, eviction or set). Default false. */
  noDeleteOnStaleGet?: boolean;
  /**
   * Loads a value for `fetch`: `key`, the stale value being refreshed (or
   * undefined) and `{ signal, options, context }`. Return the value (or a
   * promise of it); undefined stores nothing. A throw or rejection rejects the fetch.
   */
  fetchMethod?: LruCacheFetchMethod<K, V>;
  /** A failed refresh keeps the stale value and resolves the fetch with it. Default false. */
  allowStaleOnFetchRejection?: boolean;
  /** Drop expired entries proactively from one shared, unref'd timer. Default false. */
  ttlAutopurge?: boolean;
  /** Time source for ttls, in milliseconds. Default: performance.now(), read at most every 1 ms / 64 reads. */
  clock?: LruCacheClock;
  /** Called after an entry left (or its value was replaced); a throw becomes a process warning. */
  dispose?: (value: V, key: K, reason: LruCacheDisposeReason) => void;
  /** A name for reports and stats. */
  name?: string;
}

export type LruCacheFetchMethod<K, V> = (
  key: K,
  staleValue: V | undefined,
  options: LruCacheFetcherOptions,
) => V | undefined | PromiseLike<V | undefined>;

export interface LruCacheFetcherOptions {
  /** Aborted when the load's slot is evicted, deleted, replaced or cleared, or the starting caller's signal aborts. */
  signal: AbortSignal;
  /** The ttl and read options the load was started with. */
  options: { ttl: number; allowStale: boolean; forceRefresh: boolean };
  /** The `context` given to the fetch that started the load. */
  context: unknown;
}

export interface LruCacheFetchOptions {
  /** Aborts the load this call starts (a call that joins a load in flight cannot abort it). */
  signal?: AbortSignal;
  /** Passed to `fetchMethod` as `options.context`. */
  context?: unknown;
  /** Load even when a fresh value is cached. Default false. */
  forceRefresh?: boolean;
  /** This call's `allowStale`. Default: the cache's. */
  allowStale?: boolean;
  /** ttl of the loaded value in ms (integer ≥ 0). Default: the cache's `ttl`. */
  ttl?: number;
}

export interface LruCacheEntryInfo<V> {
  value: V;
  /** Milliseconds left (entries with a ttl). */
  ttl?: number;
  /** Date.now() time `ttl` counts from (entries with a ttl). */
  start?: number;
  /** Milliseconds since the entry's ttl started (entries with a ttl). */
  age?: number;
  /** The entry's size (caches with `maxSize`). */
  size?: number;
}

export interface LruCacheDumpEntry<V> {
  value: V;
  /** The entry's whole ttl in ms; 0 = never expires; absent = the loading cache's default. */
  ttl?: number;
  /** Date.now() time the ttl started. */
  start?: number;
  size?: number;
}

export interface LruCacheSetOptions {
  /** This entry's ttl in milliseconds (integer ≥ 0; 0 = never expires). Default: the cache's `ttl`. */
  ttl?: number;
  /** This entry's size (positive, ≤ `maxSize`). Default: `sizeCalculation(value, key)`. */
  size?: number;
}

export interface LruCacheStats {
  name: string | null;
  /** Loads in flight (each holds a slot that counts toward `max`). */
  inflight: number;
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
  /** Milliseconds until `key` expires: Infinity when never, 0 when absent, expired or loading. */
  getRemainingTTL(key: K): number;
  /** Alias of `getRemainingTTL`. */
  ttlOf(key: K): number;
  /** The value without touching recency, ttl or counters (stale only with allowStale). */
  peek(key: K, options?: { allowStale?: boolean }): V | undefined;
  /**
   * The value, loaded with `fetchMethod` when absent, expired or `forceRefresh`;
   * concurrent calls for one key share one load. Without a `fetchMethod`: `get`.
   */
  fetch(key: K, options?: LruCacheFetchOptions): Promise<V | undefined>;
  /** The entry's value, remaining ttl, start, age and size; undefined when absent, expired or loading. */
  info(key: K): LruCacheEntryInfo<V> | undefined;
  /** Live entries, least recently used first, for `load`. */
  dump(): Array<[K, LruCacheDumpEntry<V>]>;
  /** Clears the cache and stores a `dump()` (expired entries skipped); all-or-nothing validation. */
  load(entries: Iterable<readonly [K, LruCacheDumpEntry<V>]>): void;
  /** Counters since creation. */
  stats(): LruCacheStats;
}
