/** A source position: 1-based line and column, `file` an absolute path (`node:…` for Node's own code; for code with no file, such as `node -e` or a REPL line, the name its stack frames print: `[eval]`, `REPL1`). */
export interface ListenerSite {
  file: string;
  line: number;
  column: number;
  functionName: string | null;
  /** The frame is inside a `node_modules` folder (a dependency). */
  nodeModules: boolean;
}

/** One (add call site, event name) of the listener ledger. */
export interface ListenerSiteCount {
  /** Where the listeners were added: the nearest frame of your code (outside `node_modules` when there is one). */
  site: ListenerSite | null;
  /** The event name as passed to `on`/`addEventListener` (a string or a symbol). */
  event: string | symbol;
  /** Listeners added here and still attached to an emitter that is alive (or not yet garbage-collected): `adds - removes`. */
  live: number;
  /** Listeners added here since tracking began. */
  adds: number;
  /** Of those, removed: by `off`/`removeListener`/`removeAllListeners`/`removeEventListener`, a fired `once`, an aborted `signal`, or their emitter being garbage-collected. */
  removes: number;
  /** Distinct emitters currently holding listeners added here. */
  emitters: number;
  /** Change of `live` since the previous `listeners()` call; absent on a site's first appearance. */
  growth?: number;
  /** The user frames of the stack that first reached this site, nearest first. */
  stack: ListenerSite[];
  /**
   * Which books produced the counts: `'exact'` (every add booked: exact mode,
   * or a sampled site escalated because its estimate kept rising) or
   * `'sampled'` (estimates: one add in N booked, counted N times).
   */
  mode: ListenerMode;
  /** Milliseconds since the epoch when a sampled ledger escalated this site: counts exact from then on, estimated before. */
  exactSince?: number;
  /** Only on the "other sites" row (`site` null): how many least-recently-active sites were folded into it (the ledger keeps at most 512 rows). */
  folded?: number;
}

/** The listener ledger's books: `'sampled'` (the default) or `'exact'`. */
export type ListenerMode = 'sampled' | 'exact';

export interface TrackListenersOptions {
  /**
   * `'sampled'` (default): the first 1 000 adds of each second are booked,
   * then one add in 16 chosen at random, counted 16 times; a site whose
   * estimate keeps rising is booked exactly from then on. `'exact'`: every add
   * is booked (exact counts, several times the cost per add).
   */
  mode?: ListenerMode;
  /**
   * Re-check a cached add site with a real stack on average once every this many
   * adds of the same listener key (randomised). `1` captures a stack on every add:
   * exact attribution, microseconds per add. Integer ≥ 1. Default 512.
   */
  sampleEvery?: number;
  /**
   * Budget of real stack captures per second beyond the first one for each new
   * key (re-checks and ambiguous keys). `Infinity` for no limit. Default 50.
   */
  capturesPerSecond?: number;
  /**
   * Also count listeners added with no user frame on the stack (Node adding on
   * its own sockets and requests from the event loop). Default false.
   */
  internal?: boolean;
}

/**
 * Starts the listener ledger (wraps the EventEmitter and EventTarget prototype
 * methods). Returns true when it installed the ledger, false when it was
 * already installed (the second call's options are validated but not
 * applied, and a LEAKGUARD_ALREADY_STARTED warning says so).
 */
export declare function trackListeners(options?: TrackListenersOptions): boolean;

/**
 * Restores the exact prototype functions and drops the ledger and its stats
 * rows. Returns false when the ledger was not installed.
 */
export declare function untrackListeners(): boolean;

/** The ledger's sites, most live listeners first; `[]` when not tracking. */
export declare function listeners(): ListenerSiteCount[];
