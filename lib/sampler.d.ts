export declare function start(...args: unknown[]): unknown;
export declare function stop(...args: unknown[]): unknown;
export declare function report(...args: unknown[]): unknown;
export declare function formatReport(...args: unknown[]): unknown;
