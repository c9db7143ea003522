/// <reference types="node" />

/** A key an OffHeapCache can hold: `1` and `'1'` are different keys. */
export type OffHeapKey = string | number;
/** A value an OffHeapCache can hold; it is copied into Rust memory. */
export type OffHeapValue = string | Buffer | Uint8Array;

export interface OffHeapCacheOptions {
  /**
   * Bound on the bytes the entries really take in Rust memory: key bytes +
   * value bytes + `OffHeapCache.entryOverhead` per entry (a string costs one
   * byte per character when every character is below U+0100, else two).
   * Required; a positive integer.
   */
  maxSize: number;
  /** Default time to live of an entry after its last `set`, in milliseconds (integer ≥ 0, as LruCache's); 0 (the default) = forever. `set(k, v, { ttl })` overrides it per entry. */
  ttl?: number;
  /**
   * Share the store with every OffHeapCache of this name in the process (any
   * worker thread). A second opener must give the same `maxSize` and `ttl`.
   */
  name?: string;
  /**
   * Clock for `ttl`, in milliseconds (tests). The default is a monotonic clock
   * shared by all threads. `now()` must return a finite number >= 0: checked
   * once at construction (ERR_LEAKGUARD_INVALID_OPTION), and a later bad
   * reading or throw makes the operation throw ERR_LEAKGUARD_INVALID_CLOCK
   * before the store is touched.
   */
  clock?: { now(): number };
  /**
   * Called with a copy of each entry this handle's calls remove, once the call
   * is complete; a throw becomes a process warning. In a store shared by name,
   * the handle whose call removed the entry is called back.
   */
  dispose?: (value: OffHeapValue, key: OffHeapKey, reason: OffHeapDisposeReason) => void;
  /** Like `dispose`, called after every `dispose` of the same call. */
  disposeAfter?: (value: OffHeapValue, key: OffHeapKey, reason: OffHeapDisposeReason) => void;
  /** Drop expired entries from the thread's one shared, unref'd timer. Default false. */
  ttlAutopurge?: boolean;
}

/** Why an entry left the store. */
export type OffHeapDisposeReason = 'evict' | 'expire' | 'delete' | 'set' | 'clear';

export interface OffHeapSetOptions {
  /** This entry's time to live in whole milliseconds; 0 = never expires. Default: the cache's `ttl`. */
  ttl?: number;
}

export interface OffHeapCacheStats {
  /** `get` hits through this handle. */
  hits: number;
  /** `get` misses through this handle. */
  misses: number;
  /** `set` calls through this handle. */
  sets: number;
  /** `delete` calls through this handle that removed a live entry. */
  deletes: number;
  /** Entries evicted from the store (by any handle) to stay within `maxSize`. */
  evictions: number;
  /** Expired entries removed from the store (by any handle). */
  expirations: number;
  /** Entries in the store, including expired ones not yet removed. */
  size: number;
  /** Bytes the store's entries take (what `maxSize` bounds). */
  calculatedSize: number;
  maxSize: number;
  ttl: number;
  name: string | null;
}

/** A stored value comes back as the type it was stored as (a fresh copy). */
export type OffHeapStored<V> = V extends string ? string : V extends Buffer ? Buffer : V extends Uint8Array ? Uint8Array : V;

/**
 * A byte-bounded LRU cache whose keys and values live in Rust memory, outside
 * the V8 heap, optionally shared by name across worker threads.
 */
export declare class OffHeapCache<K extends OffHeapKey = OffHeapKey, V extends OffHeapValue = OffHeapValue> {
  constructor(options: OffHeapCacheOptions, entries?: Iterable<readonly [K, V]> | null);
  /** The value (a copy), marking the entry most recently used; undefined when absent or expired. */
  get(key: K): OffHeapStored<V> | undefined;
  /** The value without marking it used or counting a hit. */
  peek(key: K): OffHeapStored<V> | undefined;
  /** Stores a copy of `value`; evicts least-recently-used entries to stay within `maxSize`. */
  set(key: K, value: V, options?: OffHeapSetOptions): this;
  /** Milliseconds until the store's first expiry (0: one is due), Infinity when none. */
  nextExpiry(): number;
  has(key: K): boolean;
  delete(key: K): boolean;
  clear(): void;
  /** Live entries (expired ones are removed first). */
  readonly size: number;
  /** Removes expired entries now; true when there were some. */
  purgeStale(): boolean;
  /** Keys, least recently used first (a snapshot taken when iteration starts). */
  keys(): Generator<K, void, undefined>;
  values(): Generator<OffHeapStored<V>, void, undefined>;
  entries(): Generator<[K, OffHeapStored<V>], void, undefined>;
  [Symbol.iterator](): Generator<[K, OffHeapStored<V>], void, undefined>;
  forEach(callback: (value: OffHeapStored<V>, key: K, cache: this) => void, thisArg?: unknown): void;
  stats(): OffHeapCacheStats;
  /** Lets go of the store now; later calls throw `ERR_LEAKGUARD_NATIVE`. Idempotent. */
  close(): void;
  readonly [Symbol.toStringTag]: 'OffHeapCache';
  /** Bytes charged per entry on top of its key and value bytes. */
  static readonly entryOverhead: number;
  /** Every OffHeapCache store of the process. */
  static processUsage(): { stores: number; entries: number; bytes: number };
}
