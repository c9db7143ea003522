export declare class OffHeapCache<K = unknown, V = unknown> {
  constructor(options?: object);
}
