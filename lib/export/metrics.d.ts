// Types of lib/export/metrics.js: leakguard's figures for Prometheus and OpenTelemetry.

/** Options shared by `metrics.prometheus()`, `metrics.register()` and `metrics.otel()`. */
export interface MetricsOptions {
  /**
   * Live timers and live listeners are labelled by call site for the top
   * `topSites` sites (ranked by live count); the rest are summed under
   * `site="_other"`. Integer from 1 to 1000. The default value is 10.
   */
  topSites?: number;
  /**
   * Per-cache families are labelled by cache name for the `topCaches` largest
   * caches (by live entries); the rest are summed under `cache="_other"`.
   * Integer from 1 to 1000. The default value is 20.
   */
  topCaches?: number;
  /**
   * Use prom-client's default-metrics names for the figures that have one
   * (`nodejs_heap_size_used_bytes`, `nodejs_heap_size_total_bytes`,
   * `process_resident_memory_bytes`, `nodejs_external_memory_bytes`,
   * `nodejs_eventloop_lag_{p50,p99,max}_seconds`) instead of `leakguard_*`.
   * Leave it off when prom-client's `collectDefaultMetrics()` runs in the same
   * registry. Refused by `otel()`, which always uses semantic-convention names.
   * The default value is false.
   */
  standardNames?: boolean;
}

/** What `register()` and `otel()` return. */
export interface MetricsRegistration {
  /** The metric (Prometheus) or instrument (OpenTelemetry) names registered. */
  readonly names: string[];
  /** Removes what was registered. Idempotent. */
  unregister(): void;
}

/** The subset of a prom-client `Registry` leakguard uses. */
export interface PromClientRegistryLike {
  registerMetric(metric: unknown): void;
  removeSingleMetric(name: string): void;
  getSingleMetric(name: string): unknown;
}

/** The subset of an OpenTelemetry `Meter` (@opentelemetry/api >= 1.3) leakguard uses. */
export interface OtelMeterLike {
  createObservableGauge(name: string, options?: { description?: string; unit?: string }): unknown;
  createObservableCounter(name: string, options?: { description?: string; unit?: string }): unknown;
  createObservableUpDownCounter(name: string, options?: { description?: string; unit?: string }): unknown;
  addBatchObservableCallback(callback: (result: unknown) => void, observables: unknown[]): void;
  removeBatchObservableCallback(callback: (result: unknown) => void, observables: unknown[]): void;
}

/** leakguard's figures for fleet monitoring. */
export declare const metrics: Readonly<{
  /** The Prometheus text exposition (format 0.0.4) of every leakguard metric family. */
  prometheus(options?: MetricsOptions): string;
  /**
   * Adds leakguard's collectors to a prom-client registry. Without one: the
   * global registry of the prom-client the application itself resolves (from
   * its main module's folder, then the working directory); when the
   * application resolves none, throws a TypeError with
   * `code: 'ERR_LEAKGUARD_NO_REGISTRY'` saying to pass the registry its
   * /metrics endpoint serves. Requires the optional peer dependency
   * `prom-client` (throws with `code: 'MODULE_NOT_FOUND'` when no copy is
   * installed). Registering twice on one registry returns the first
   * registration.
   */
  register(registry?: PromClientRegistryLike, options?: MetricsOptions): MetricsRegistration;
  /** Registers observable instruments on an OpenTelemetry Meter, fed by one batch callback. */
  otel(meter: OtelMeterLike, options?: Omit<MetricsOptions, 'standardNames'>): MetricsRegistration;
  /** The Content-Type to serve `prometheus()` with. */
  contentType: 'text/plain; version=0.0.4; charset=utf-8';
}>;
