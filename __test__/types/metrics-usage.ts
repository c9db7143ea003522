// Compiled with `tsc --noEmit` by `npm test`: the metrics, HTML report and
// their options must accept what the README shows.
import { Registry, collectDefaultMetrics } from 'prom-client';
import { metrics as otelApi } from '@opentelemetry/api';
import leakguard, { metrics, writeHtmlReport, type MetricsOptions, type MetricsRegistration } from 'leakguard';

const text: string = metrics.prometheus();
const text2: string = leakguard.metrics.prometheus({ topSites: 5, topCaches: 10, standardNames: false });
const type: string = metrics.contentType;

const registry = new Registry();
collectDefaultMetrics({ register: registry });
const registration: MetricsRegistration = metrics.register(registry, { topSites: 20 });
const names: string[] = registration.names;
registration.unregister();

const meter = otelApi.getMeter('my-service');
const viaOtel = metrics.otel(meter, { topSites: 3 });
viaOtel.unregister();

const options: MetricsOptions = { standardNames: true };
const written: string = writeHtmlReport('/tmp/leakguard-report.html', { title: 'checkout service' });
const written2: string = leakguard.writeHtmlReport('report.html');
void [text, text2, type, names, options, written, written2];
