// Types of lib/export/html-report.js: the self-contained HTML leak report.

/** Options of `writeHtmlReport()`. */
export interface HtmlReportOptions {
  /** The page heading and title. The default value is "leakguard report". */
  title?: string;
  /** A line under the heading (for example the command that was run). */
  subtitle?: string;
}

/**
 * Writes the current leak report of this process (timeline, event-loop lag,
 * ranked suspects) as one self-contained HTML file at `path`, synchronously
 * (usable from an 'exit' handler), and returns the absolute path written.
 */
export declare function writeHtmlReport(path: string, options?: HtmlReportOptions): string;
