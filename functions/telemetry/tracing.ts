/**
 * The tracer, built on first use: the SDK's provider with X-Ray-compatible
 * ids, a parent-based sampler (the Lambda trace header decides; `Sampled=0`
 * yields non-recording spans, so nothing is recorded or sent) and the
 * bounded span buffer the handler drains after each response.
 */
import { context, type Tracer, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, ParentBasedSampler } from '@opentelemetry/sdk-trace-base';
import type { TelemetryConfig } from './config';
import { AsyncLocalStorageContextManager } from './context-manager';
import { PendingSpans } from './span-buffer';
import { XRayIdGenerator } from './xray-ids';

/** Instrumentation scope of every span this module makes. */
const INSTRUMENTATION_SCOPE = 'functions-telemetry';

/** Yields the tracer, or undefined when telemetry could not be set up. */
export type TracerSource = () => Tracer | undefined;

/** A tracer and the buffer its finished spans wait in. */
export interface Tracing {
  readonly tracer: Tracer;
  readonly pending: PendingSpans;
}

let contextManagerRegistered = false;

/** Resource attributes of a Lambda function per the FaaS and cloud conventions. */
function lambdaResource(config: TelemetryConfig) {
  const attributes: Record<string, string | number> = { ...config.resourceAttributes };
  attributes['service.name'] = config.serviceName;
  attributes['cloud.provider'] = 'aws';
  attributes['cloud.platform'] = 'aws_lambda';
  if (config.region) attributes['cloud.region'] = config.region;
  if (config.functionName) attributes['faas.name'] = config.functionName;
  if (config.functionVersion) attributes['faas.version'] = config.functionVersion;
  if (config.logStreamName) attributes['faas.instance'] = config.logStreamName;
  if (config.memorySizeMb) attributes['faas.max_memory'] = config.memorySizeMb * 1024 * 1024;
  return resourceFromAttributes(attributes);
}

/**
 * Builds the tracer. Registers an AsyncLocalStorage context manager and the
 * provider globally unless the function already registered its own, so spans
 * the function makes with `trace.getTracer()` join the invocation's trace.
 */
export function createTracing(config: TelemetryConfig, onDrop: (count: number) => void): Tracing {
  if (!contextManagerRegistered) {
    contextManagerRegistered = true;
    context.setGlobalContextManager(new AsyncLocalStorageContextManager());
  }
  const pending = new PendingSpans(onDrop);
  const provider = new BasicTracerProvider({
    resource: lambdaResource(config),
    idGenerator: new XRayIdGenerator(),
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [pending],
  });
  trace.setGlobalTracerProvider(provider);
  return { tracer: provider.getTracer(INSTRUMENTATION_SCOPE), pending };
}
