/**
 * Variant (c): OpenTelemetry set up the way the OpenTelemetry Lambda layer does it. The layer
 * ships this as a minified CommonJS bundle (import-in-the-middle left outside, since its ESM
 * hook must be a file of its own) and starts it from `NODE_OPTIONS=--import`, before the
 * runtime loads the handler: the NodeSDK with every default auto-instrumentation, Lambda
 * resource detection and the OTLP exporter (its BatchSpanProcessor, flushed at the end of each
 * invocation by the Lambda instrumentation). The collector the layer pairs it with is not run;
 * spans go to whatever OTLP endpoint `OTEL_EXPORTER_OTLP_ENDPOINT` names.
 */
import { getNodeAutoInstrumentations } from '@opentelemetry/auto-instrumentations-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { awsLambdaDetector } from '@opentelemetry/resource-detector-aws';
import { envDetector, processDetector } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';

/** Starts the SDK and registers the instrumentations; call before the handler is imported. */
export function startOpenTelemetry(): NodeSDK {
  const sdk = new NodeSDK({
    traceExporter: new OTLPTraceExporter(),
    // fs instrumentation is off by default in the layer too: it would trace every module read.
    instrumentations: [
      getNodeAutoInstrumentations({ '@opentelemetry/instrumentation-fs': { enabled: false } }),
    ],
    resourceDetectors: [awsLambdaDetector, envDetector, processDetector],
  });
  sdk.start();
  return sdk;
}
