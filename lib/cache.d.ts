export declare class LruCache<K = unknown, V = unknown> {
  constructor(options?: object);
}
