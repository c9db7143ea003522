export declare function patchTimers(...args: unknown[]): unknown;
export declare function unpatchTimers(...args: unknown[]): unknown;
export declare function timers(...args: unknown[]): unknown;
