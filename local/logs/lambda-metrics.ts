/**
 * The `AWS/Lambda` metrics CloudWatch gets from the Lambda service, recorded from the same
 * platform records the observer sees, into the {@link MetricStore} beside the EMF metrics:
 * `Invocations`, `Errors`, `Throttles`, `Duration` and `ConcurrentExecutions`, with Lambda's
 * dimension sets: `FunctionName`; `FunctionName`+`Resource` (`todos`, `todos:live`, `todos:2`);
 * and, for invocations through an alias, `FunctionName`+`Resource`+`ExecutedVersion`.
 *
 * It also keeps the function's concurrency: an invocation counts from the moment it is admitted
 * until its invoke phase ends (`platform.report`: the runtime and every extension are done), as
 * Lambda counts a busy environment; with a reserved concurrency, one more is throttled.
 */
import type { InvokeOutput, PlatformEvent } from '../environment/types';
import type { MetricStore } from './metric-store';
import { ServiceMetricWriter } from './service-metrics';

const NAMESPACE = 'AWS/Lambda';

/** An invocation as the front door routed it. */
export interface RoutedInvocation {
  readonly requestId: string;
  /** `todos` (unqualified), `todos:live` (alias), `todos:2` (version). */
  readonly resource: string;
  /** The version that runs it. */
  readonly executedVersion: string;
  /** True when the caller named an alias: only then does Lambda add `ExecutedVersion`. */
  readonly viaAlias: boolean;
}

interface InFlight extends RoutedInvocation {
  /** Epoch ms of admission: the time of the invocation's data points. */
  readonly admittedAt: number;
  /** `platform.runtimeDone`'s duration: the function code's time, Lambda's `Duration`. */
  runtimeMs?: number;
}

export interface LambdaMetricsOptions {
  readonly functionName: string;
  readonly store: MetricStore;
  /** Lambda's reserved concurrency: invocations beyond it are throttled; absent: no limit. */
  readonly reservedConcurrency?: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Records the `AWS/Lambda` metrics of one function and keeps its concurrency. */
export class LambdaMetrics {
  private readonly inFlight = new Map<string, InFlight>();
  private readonly writer: ServiceMetricWriter;

  constructor(private readonly options: LambdaMetricsOptions) {
    this.writer = new ServiceMetricWriter(options.store, NAMESPACE);
  }

  /** The function's log group: every datum names it, with the stream of the environment that ran it. */
  private get logGroup(): string {
    return `/aws/lambda/${this.options.functionName}`;
  }

  /**
   * Admits an invocation (counting it in `ConcurrentExecutions`), or records a `Throttles` data
   * point and returns false when the reserved concurrency is used up.
   */
  admit(invocation: RoutedInvocation): boolean {
    const now = Date.now();
    const limit = this.options.reservedConcurrency;
    if (limit !== undefined && this.inFlight.size >= limit) {
      // A throttled invocation runs no version: Lambda files it under no ExecutedVersion.
      this.record(invocation, now, '', [['Throttles', 'Count', 1]], false);
      return false;
    }
    this.inFlight.set(invocation.requestId, { ...invocation, admittedAt: now });
    let sameResource = 0;
    let sameVersion = 0;
    for (const other of this.inFlight.values()) {
      if (other.resource !== invocation.resource) continue;
      sameResource += 1;
      if (other.executedVersion === invocation.executedVersion) sameVersion += 1;
    }
    // Each dimension set counts what runs under it, as Lambda's per-resource figures do.
    const counts = [this.inFlight.size, sameResource, sameVersion];
    this.dimensionSets(invocation).forEach((dimensions, index) => {
      this.writer.record(now, 'ConcurrentExecutions', 'Count', counts[index] ?? 0, [dimensions], {
        logGroup: this.logGroup,
        logStream: '',
      });
    });
    return true;
  }

  /** The sandbox observer's platform events: `runtimeDone` gives `Duration`, `report` ends the invocation. */
  onPlatformEvent(event: PlatformEvent, logStream: string): void {
    if (event.type !== 'platform.runtimeDone' && event.type !== 'platform.report') return;
    const record = isRecord(event.record) ? event.record : {};
    const requestId = typeof record.requestId === 'string' ? record.requestId : undefined;
    const invocation = requestId === undefined ? undefined : this.inFlight.get(requestId);
    if (!invocation) return;
    const metrics = isRecord(record.metrics) ? record.metrics : {};
    const durationMs = typeof metrics.durationMs === 'number' ? metrics.durationMs : undefined;
    if (event.type === 'platform.runtimeDone') {
      invocation.runtimeMs = durationMs;
      return;
    }
    this.finish(invocation, record.status !== 'success', invocation.runtimeMs ?? durationMs, logStream);
  }

  /**
   * The caller's answer. An invocation the environment could not run at all ends without a
   * `platform.report` (`Sandbox.Failure`): it is counted here, so neither its error nor its
   * concurrency slot is lost.
   */
  answered(output: InvokeOutput): void {
    const invocation = this.inFlight.get(output.requestId);
    if (invocation && output.errorType === 'Sandbox.Failure') this.finish(invocation, true, undefined, '');
  }

  /** An invocation that never reached an environment (the sandbox is closing): no data point. */
  abandon(requestId: string): void {
    this.inFlight.delete(requestId);
  }

  private finish(
    invocation: InFlight,
    failed: boolean,
    durationMs: number | undefined,
    logStream: string,
  ): void {
    if (!this.inFlight.delete(invocation.requestId)) return;
    this.record(invocation, invocation.admittedAt, logStream, [
      ['Invocations', 'Count', 1],
      // A data point of 0 for every success, as Lambda sends, so Average is the error rate.
      ['Errors', 'Count', failed ? 1 : 0],
      ...(durationMs === undefined ? [] : [['Duration', 'Milliseconds', durationMs] as const]),
    ]);
  }

  private dimensionSets(invocation: RoutedInvocation, executed = true): Record<string, string>[] {
    const FunctionName = this.options.functionName;
    const sets: Record<string, string>[] = [
      { FunctionName },
      { FunctionName, Resource: invocation.resource },
    ];
    if (invocation.viaAlias && executed) {
      sets.push({ FunctionName, Resource: invocation.resource, ExecutedVersion: invocation.executedVersion });
    }
    return sets;
  }

  private record(
    invocation: RoutedInvocation,
    timestamp: number,
    logStream: string,
    metrics: readonly (readonly [string, string, number])[],
    executed = true,
  ): void {
    const sets = this.dimensionSets(invocation, executed);
    for (const [name, unit, value] of metrics) {
      this.writer.record(timestamp, name, unit, value, sets, { logGroup: this.logGroup, logStream });
    }
  }

  /** Writes the data points not written yet; the store's `flush` then covers them. */
  flush(): Promise<void> {
    return this.writer.flush();
  }
}
