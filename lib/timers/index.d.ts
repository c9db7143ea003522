/** A source position: 1-based line and column, `file` an absolute path (for code with no file, such as `node -e` or a REPL line, the name its stack frames print: `[eval]`, `REPL1`). */
export interface TimerSite {
  file: string;
  line: number;
  column: number;
  functionName: string | null;
}

/** A frame of the stack that first reached a timer site (nearest first). */
export interface TimerStackFrame extends TimerSite {
  /** The frame is inside a `node_modules` folder (a dependency). */
  nodeModules: boolean;
}

/** Live timers of one (creation call site, kind), as `timers()` returns them. */
export interface TimerSiteCount {
  /**
   * The nearest frame of your code (outside `node_modules` when there is one) of
   * the first stack seen at the line that called `setTimeout`/`setInterval`;
   * `null` when that stack holds no user frame (Node's own code, e.g. `fetch`),
   * and for the unclassified entry (lazy mode: a timer whose line could not be
   * told from its callback).
   */
  site: TimerSite | null;
  kind: 'timeout' | 'interval';
  /** Timers created here that have neither fired (one-shot) nor been cleared. */
  live: number;
  /**
   * Timers counted here since the patch was first installed (a re-armed fired
   * one-shot counts again): every one created while eager and, in lazy mode
   * (fresh closures at a high rate), those still live when classified.
   */
  created: number;
  /** Age of the oldest live timer here, in milliseconds (creation times have a 500 ms resolution). */
  oldestAgeMs: number;
  /** The delay in milliseconds when every timer created here had the same one; absent otherwise. */
  delay?: number;
  /** The user frames of the first stack seen here, nearest first. */
  stack: TimerStackFrame[];
  /**
   * Present (true) on the entry that counts the timers of lines past the bound
   * of site rows (1 024 a thread) when no idle row could make room; its `site` is `null`.
   */
  otherSites?: true;
}

/**
 * What the patched `setTimeout`/`setInterval` return: Node's `Timeout` API on a
 * small object that drops the real timer (and its AsyncLocalStorage context)
 * the moment the timer fires (one-shot) or is cleared, and its callback and
 * arguments when cleared. (Type only: TypeScript sees the global timer
 * functions as returning `NodeJS.Timeout`, which this object stands in for.)
 */
export interface LeakguardTimeout {
  ref(): this;
  unref(): this;
  hasRef(): boolean;
  /** Restarts the countdown; re-arms a fired one-shot (in the caller's async context). Does nothing after a clear. */
  refresh(): this;
  /** Same as `clearTimeout(this)`. */
  close(): this;
  [Symbol.toPrimitive](): number;
  [Symbol.dispose](): void;
  /** @deprecated Node's legacy field: the callback (`null` once cleared); assigning `null` cancels, a function replaces it. See docs/timers.md. */
  _onTimeout: ((...args: never[]) => unknown) | null;
  /** @deprecated Node's legacy field: `true` once fired (one-shot), stopped or cleared; assigning `true` stops the timer. */
  _destroyed: boolean;
  /** @deprecated Node's legacy field: the delay (`-1` once cleared or unenrolled); `-1` also stops an interval repeating. */
  _idleTimeout: number;
  /** @deprecated Node's legacy field: an interval's delay, else `null`; a number makes a live timeout repeat, `null` stops a live interval. */
  _repeat: number | null;
}

/**
 * Installs leakguard's `setTimeout`, `setInterval`, `clearTimeout` and
 * `clearInterval` on `globalThis` and `require('timers')` (ESM named exports
 * included). `setImmediate` and `timers/promises` are left alone. Idempotent:
 * returns `true` when this call installed the patch, `false` when it already was.
 */
export declare function patchTimers(): boolean;

/**
 * Puts back the exact functions `patchTimers()` replaced. Idempotent: returns
 * `true` when this call removed the patch. Handles already handed out keep
 * working, and Node's own `clearTimeout` clears them.
 */
export declare function unpatchTimers(): boolean;

/** Live timers created through the patch, grouped by (call site, kind), most live first. */
export declare function timers(): TimerSiteCount[];
