export declare function trackListeners(...args: unknown[]): unknown;
export declare function untrackListeners(...args: unknown[]): unknown;
export declare function listeners(...args: unknown[]): unknown;
