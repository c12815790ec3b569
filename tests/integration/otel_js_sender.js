// Sends log records through the OpenTelemetry JavaScript SDK's OTLP exporter, as an instrumented
// Node.js service would: `node otel_js_sender.js URL proto|json COUNT RUN`. Record i has trace id
// <RUN padded>...<i>, span id <i>, severity by i, and typed attributes; the resource names the
// service. Prints "SENT n FAILED k": records the exporter reported exported, and failed.
'use strict';
const { trace, context, TraceFlags } = require('@opentelemetry/api');
const { SeverityNumber } = require('@opentelemetry/api-logs');
const { LoggerProvider, BatchLogRecordProcessor } = require('@opentelemetry/sdk-logs');
const { resourceFromAttributes } = require('@opentelemetry/resources');

const [url, protocol, countText, run] = process.argv.slice(2);
const count = Number(countText);
const { OTLPLogExporter } = require(protocol === 'json'
  ? '@opentelemetry/exporter-logs-otlp-http'
  : '@opentelemetry/exporter-logs-otlp-proto');

const hex = (n, width) => n.toString(16).padStart(width, '0');
const severities = [
  [SeverityNumber.DEBUG, 'DEBUG'], [SeverityNumber.INFO, 'INFO'], [SeverityNumber.WARN, 'WARN'],
  [SeverityNumber.ERROR, 'ERROR'], [SeverityNumber.FATAL, 'FATAL'],
];

async function main() {
  const otlp = new OTLPLogExporter({ url, timeoutMillis: 10000 });
  let sent = 0;
  let failed = 0;
  // The exporter's own results, counted on their way to the processor.
  const exporter = {
    export(records, done) {
      otlp.export(records, (result) => {
        if (result.code === 0) sent += records.length;
        else failed += records.length;
        done(result);
      });
    },
    forceFlush: () => otlp.forceFlush(),
    shutdown: () => otlp.shutdown(),
  };
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({
      'service.name': 'checkout-js',
      'service.version': '3.2.1',
      'deployment.environment': 'test',
    }),
    processors: [
      new BatchLogRecordProcessor({ exporter, maxExportBatchSize: 64, scheduledDelayMillis: 50 }),
    ],
  });
  const logger = provider.getLogger('cart', '1.0.0');
  for (let i = 0; i < count; i++) {
    const spanContext = {
      traceId: hex(Number(run), 16) + hex(i + 1, 16),
      spanId: hex(i + 1, 16),
      traceFlags: TraceFlags.SAMPLED,
    };
    const [severityNumber, severityText] = severities[i % severities.length];
    logger.emit({
      context: trace.setSpanContext(context.active(), spanContext),
      severityNumber,
      severityText,
      body: `order ${i} of run ${run}`,
      attributes: {
        'order.id': i, 'order.total': i + 0.5, 'order.paid': i % 2 === 0, 'user.name': `user${i}`,
      },
    });
  }
  await provider.forceFlush();
  await provider.shutdown();
  console.log(`SENT ${sent} FAILED ${failed}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
