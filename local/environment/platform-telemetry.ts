/**
 * The Telemetry API stream of one execution environment: every platform event goes to the
 * sandbox's observer and to the subscribers of the `platform` category, every line of the
 * function and the extensions to the observer and the subscribers of its category. The record
 * shapes are the Telemetry API's (`platform.initStart`, `platform.report`, ...).
 */
import type { ExtensionEventType } from '../apis/extensions-api';
import type { TelemetryDelivery, TelemetryEvent, TelemetryType } from '../apis/telemetry-api';
import { functionVersion } from './environment-variables';
import { type Invocation, roundMs } from './invocation';
import type { InitPhase } from './lifecycle';
import type { InvocationTrace } from './trace-header';
import type { FunctionDefinition, InvokeStatus, SandboxObserver } from './types';

/** Init events kept for extensions that subscribe later during Init; bounds memory. */
const INIT_EVENT_LIMIT = 2_000;
const RUNTIME_VERSION = 'nodejs:24.v0';

interface Recorded {
  readonly category: TelemetryType;
  readonly event: TelemetryEvent;
}

/** Measurements of a `platform.report`. */
export interface ReportMetrics {
  readonly durationMs: number;
  readonly maxMemoryUsedMB: number;
  /** Only on the first invoke of an environment. */
  readonly initDurationMs?: number;
}

function tracing(trace: InvocationTrace) {
  return { spanId: trace.functionSegmentId, type: 'X-Amzn-Trace-Id', value: trace.header };
}

export class PlatformTelemetry {
  private initEvents: Recorded[] | undefined;

  constructor(
    private readonly environmentId: string,
    private readonly def: FunctionDefinition,
    private readonly observer: SandboxObserver,
    /** The subscriptions of the extensions registered now. */
    private readonly subscribers: () => Iterable<TelemetryDelivery>,
  ) {}

  /** Keeps this Init's events, so that an extension subscribing later in Init receives them too. */
  beginInit(): void {
    this.initEvents = [];
  }

  endInit(): void {
    this.initEvents = undefined;
  }

  /** Gives a new subscription the events of this Init that happened before it. */
  replayInit(delivery: TelemetryDelivery): void {
    for (const { category, event } of this.initEvents ?? []) {
      if (delivery.accepts(category)) delivery.push(event);
    }
  }

  /** One line a process printed: to the observer, then to the subscribers of its stream. */
  log(stream: 'function' | 'extension', line: string, source?: string): void {
    const time = new Date();
    try {
      this.observer.onLog({
        environmentId: this.environmentId,
        stream,
        line,
        time,
        ...(source ? { source } : {}),
      });
    } catch {
      // The observer must not break the environment.
    }
    this.dispatch(stream, { time: time.toISOString(), type: stream, record: line });
  }

  emit(type: string, record: Record<string, unknown>): void {
    const event: TelemetryEvent = { time: new Date().toISOString(), type, record };
    try {
      this.observer.onPlatformEvent(this.environmentId, event);
    } catch {
      // The observer must not break the environment.
    }
    this.dispatch('platform', event);
  }

  initStart(phase: InitPhase): void {
    this.emit('platform.initStart', {
      initializationType: 'on-demand',
      phase,
      runtimeVersion: RUNTIME_VERSION,
      runtimeVersionArn: `arn:aws:lambda:${this.def.region}::runtime:local-${RUNTIME_VERSION}`,
      functionName: this.def.name,
      functionVersion: functionVersion(this.def),
    });
  }

  initRuntimeDone(phase: InitPhase, status: InvokeStatus, errorType?: string): void {
    this.emit('platform.initRuntimeDone', {
      initializationType: 'on-demand',
      phase,
      status,
      ...(errorType ? { errorType } : {}),
    });
  }

  initReport(
    phase: InitPhase,
    status: InvokeStatus,
    errorType: string | undefined,
    durationMs: number,
  ): void {
    this.emit('platform.initReport', {
      initializationType: 'on-demand',
      phase,
      status,
      ...(errorType ? { errorType } : {}),
      metrics: { durationMs: roundMs(durationMs) },
    });
  }

  extension(name: string, events: ExtensionEventType[]): void {
    this.emit('platform.extension', { name, state: 'Ready', events });
  }

  telemetrySubscription(name: string, types: readonly TelemetryType[]): void {
    this.emit('platform.telemetrySubscription', { name, state: 'Subscribed', types });
  }

  start(requestId: string, trace: InvocationTrace): void {
    this.emit('platform.start', { requestId, version: functionVersion(this.def), tracing: tracing(trace) });
  }

  runtimeDone(invocation: Invocation, status: InvokeStatus, errorType: string | undefined): void {
    this.emit('platform.runtimeDone', {
      requestId: invocation.requestId,
      status,
      ...(errorType ? { errorType } : {}),
      metrics: {
        durationMs: roundMs(performance.now() - invocation.startedAt),
        producedBytes: invocation.producedBytes,
      },
      spans: invocation.spans,
      tracing: tracing(invocation.trace),
    });
  }

  report(
    requestId: string,
    trace: InvocationTrace,
    status: InvokeStatus,
    errorType: string | undefined,
    metrics: ReportMetrics,
  ): void {
    this.emit('platform.report', {
      requestId,
      status,
      ...(errorType ? { errorType } : {}),
      metrics: {
        durationMs: roundMs(metrics.durationMs),
        billedDurationMs: Math.ceil(metrics.durationMs),
        memorySizeMB: this.def.memoryMb,
        maxMemoryUsedMB: metrics.maxMemoryUsedMB,
        ...(metrics.initDurationMs !== undefined ? { initDurationMs: roundMs(metrics.initDurationMs) } : {}),
      },
      tracing: tracing(trace),
    });
  }

  private dispatch(category: TelemetryType, event: TelemetryEvent): void {
    if (this.initEvents && this.initEvents.length < INIT_EVENT_LIMIT)
      this.initEvents.push({ category, event });
    for (const delivery of this.subscribers()) {
      if (delivery.accepts(category)) delivery.push(event);
    }
  }
}
