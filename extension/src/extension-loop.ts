import { toXRayTraceId } from '../../contracts/lambda-trace-header';
import { type ExtensionConfig, readConfig } from './config';
import { CircuitBreaker } from './exporters/circuit-breaker';
import { preloadHttps } from './exporters/http-post';
import { OtlpJsonExporter } from './exporters/otlp-json-exporter';
import { XRayApiExporter } from './exporters/xray-api-exporter';
import { XRayTraceIdWindow } from './exporters/xray-trace-id-window';
import { XRayUdpExporter } from './exporters/xray-udp-exporter';
import type { ExtensionsApiClient } from './extensions-api';
import { FaultSpanSynthesizer } from './fault-spans';
import {
  AdaptiveFlushPolicy,
  type FlushPolicy,
  type FlushPolicyDependencies,
  PerInvocationFlushPolicy,
  PeriodicFlushPolicy,
} from './flush-policy';
import { InvocationTracker } from './invocation-tracker';
import { describeError, logEvent } from './log';
import { MetricsPipeline } from './metrics-pipeline';
import { OtlpReceiver, type SpanSink } from './otlp-receiver';
import { PipelineCounters } from './pipeline-counters';
import { SpanBuffer } from './span-buffer';
import type { SpanExporter } from './span-exporter';
import { subscribeTelemetry, TelemetryListener } from './telemetry-api';

/** The running extension's parts, exposed for the event loop and for tests. */
interface ExtensionParts {
  readonly config: ExtensionConfig;
  readonly counters: PipelineCounters;
  readonly receiver: OtlpReceiver;
  readonly buffer: SpanBuffer | undefined;
  readonly metrics: MetricsPipeline;
  readonly tracker: InvocationTracker;
  readonly policy: FlushPolicy;
  close(): Promise<void>;
}

/**
 * Runs the extension after registration: reads the configuration, starts the receiver and the
 * Telemetry API listener (both during Init, before the first `next`, as the APIs require), then
 * serves INVOKE and SHUTDOWN until SHUTDOWN. Resolves when the extension should exit 0.
 */
export async function runExtension(api: ExtensionsApiClient): Promise<void> {
  let config: ExtensionConfig;
  try {
    config = readConfig();
  } catch (error) {
    await api.initError('Extension.ConfigError', error as Error).catch(() => undefined);
    throw error;
  }
  let parts: ExtensionParts;
  try {
    parts = await startExtension(config, api);
  } catch (error) {
    await api.initError('Extension.StartFailed', error as Error).catch(() => undefined);
    throw error;
  }
  // Telemetry never breaks the work it observes: a bug in a callback is logged, not fatal
  // (an extension that dies makes Lambda reset the whole environment).
  process.on('uncaughtException', (error) =>
    logEvent('error', 'unexpected error', { error: describeError(error) }),
  );
  process.on('unhandledRejection', (error) =>
    logEvent('error', 'unexpected rejection', { error: describeError(error) }),
  );

  for (;;) {
    const event = await api.next();
    if (event.eventType === 'SHUTDOWN') {
      await parts.policy.shutdown(event.deadlineMs);
      const until = event.deadlineMs - config.flush.shutdownMarginMs;
      await parts.buffer?.shutdown(until);
      await parts.metrics.flush(until, true);
      await parts.close();
      return;
    }
    const invocation = parts.tracker.begin(event);
    const result = await parts.policy.afterInvoke(invocation);
    if (result.runtimeDone || result.beforeRuntimeDone) {
      const endedAt = Date.now();
      parts.metrics.recordPostRuntime({
        requestId: invocation.requestId,
        durationMs: result.beforeRuntimeDone ? 0 : endedAt - result.startedAt,
        endedAt,
        ...(invocation.traceId ? { traceId: toXRayTraceId(invocation.traceId) } : {}),
      });
    }
  }
}

/** Builds and starts every part. */
async function startExtension(config: ExtensionConfig, api: ExtensionsApiClient): Promise<ExtensionParts> {
  const counters = new PipelineCounters();
  const exporter = createExporter(config);
  const buffer = exporter
    ? new SpanBuffer(exporter, counters, {
        ...config.buffer,
        ...config.flush,
        breaker: new CircuitBreaker({
          failureThreshold: config.flush.circuitFailures,
          cooldownMs: config.flush.circuitCooldownMs,
        }),
      })
    : undefined;
  const sink: SpanSink = buffer ?? {
    add: (spans) => {
      counters.spansReceived += spans.length;
      return 0;
    },
  };
  const metrics = new MetricsPipeline(
    counters,
    {
      namespace: config.metrics.namespace,
      functionName: api.registration.functionName ?? config.functionName ?? 'unknown',
      functionVersion: api.registration.functionVersion ?? config.functionVersion ?? '$LATEST',
    },
    config,
  );
  const receiver = new OtlpReceiver({
    address: config.receiverAddress,
    maxBodyBytes: config.receiver.maxBodyBytes,
    spans: sink,
    emf: metrics.intake,
    counters,
  });
  const tracker = new InvocationTracker(receiver);
  const faults = new FaultSpanSynthesizer({
    functionName: api.registration.functionName ?? config.functionName ?? 'unknown',
    functionVersion: api.registration.functionVersion ?? config.functionVersion ?? '$LATEST',
    region: config.region,
  });
  receiver.onSpans((spans) => {
    tracker.observeSpans(spans);
    faults.observeSpans(spans);
  });
  await receiver.listen();

  const listener = new TelemetryListener(config.listenerAddress, (events) => {
    tracker.observePlatform(events);
    metrics.onPlatformEvents(events);
    // Timed-out or crashed invocations whose handler span never came (see fault-spans.ts).
    const faultSpans = faults.observePlatform(events);
    if (faultSpans.length > 0) sink.add(faultSpans);
  });
  let telemetryAvailable = true;
  try {
    const port = await listener.listen();
    // The launcher subscribed this port before Node started; a second subscription would only
    // replace the first.
    if (config.launcher?.subscribedPort === undefined) {
      await subscribeTelemetry(config.runtimeApi, api.identifier, port);
    }
  } catch (error) {
    // Without runtimeDone the extension still works: it flushes at each INVOKE instead.
    telemetryAvailable = false;
    logEvent('warn', 'Telemetry API unavailable; flushing at each invoke instead', {
      error: describeError(error),
    });
  }

  // Warm what the first export needs while Init still runs, so the first post-runtime phase does
  // not pay for loading TLS and node:crypto, each a large module to load and initialise.
  if (config.credentials) void import('node:crypto');
  if (exporterUsesHttps(config)) void preloadHttps();

  const deps: FlushPolicyDependencies = {
    telemetryAvailable,
    waitForRuntimeDone: (requestId, until) => tracker.runtimeDone(requestId, until),
    runtimeDoneAt: (requestId) => tracker.runtimeDoneAt(requestId),
    waitForSpans: (invocation, until) => tracker.waitForSpans(invocation, until),
    flush: async (until, signal) => {
      await buffer?.flush(until, signal);
      await metrics.flush(until, false, signal);
    },
    backlog: () =>
      buffer ? Math.max(buffer.size / config.buffer.maxSpans, buffer.byteSize / config.buffer.maxBytes) : 0,
  };
  const policy =
    config.flush.mode === 'invocation'
      ? new PerInvocationFlushPolicy(deps, config.flush)
      : config.flush.mode === 'periodic'
        ? new PeriodicFlushPolicy(deps, config.flush)
        : new AdaptiveFlushPolicy(deps, config.flush);
  return {
    config,
    counters,
    receiver,
    buffer,
    metrics,
    tracker,
    policy,
    async close() {
      await Promise.all([receiver.close(), listener.close()]);
    },
  };
}

function exporterUsesHttps(config: ExtensionConfig): boolean {
  const { traces } = config;
  if (traces.exporter === 'otlp') return traces.otlpEndpoint.startsWith('https:');
  return traces.exporter === 'xray' && traces.xrayMode === 'api' && traces.xrayEndpoint.startsWith('https:');
}

function createExporter(config: ExtensionConfig): SpanExporter | undefined {
  const { traces } = config;
  if (traces.exporter === 'none') return undefined;
  if (traces.exporter === 'otlp') {
    return new OtlpJsonExporter({
      endpoint: traces.otlpEndpoint,
      headers: traces.otlpHeaders,
      credentials: config.credentials,
    });
  }
  return new XRayTraceIdWindow(
    traces.xrayMode === 'udp'
      ? new XRayUdpExporter(traces.xrayDaemonAddress, config.region)
      : new XRayApiExporter({
          endpoint: traces.xrayEndpoint,
          region: config.region,
          credentials: config.credentials,
        }),
  );
}
