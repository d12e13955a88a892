/**
 * The two segments the Lambda service writes for every sampled invocation with active tracing:
 * `AWS::Lambda` (the service receiving the invoke) and `AWS::Lambda::Function` (the execution
 * environment, with `Initialization`, `Invocation` and `Overhead` subsegments), built from the
 * Telemetry API platform events of the invocation with their real times.
 *
 * Ids: the caller's trace header gives the Root and the caller's segment (the `AWS::Lambda`
 * segment's parent). The header handed to the pool carries `Parent=<AWS::Lambda segment id>`;
 * the environment then makes the function segment id, hands it to the runtime as its `Parent`
 * and reports it as `spanId` in `platform.start`. So the function's own subsegments hang under
 * the `AWS::Lambda::Function` segment, as in X-Ray.
 */
import type { InvokeOutput, PlatformEvent } from '../environment/types';
import { formatTraceHeader, newSegmentId, newTraceId, parseTraceHeader } from './trace-header';
import type { SegmentDocument, TraceStore } from './trace-store';

/** The account the sandbox pretends to be, as in every local ARN. */
export const LOCAL_ACCOUNT_ID = '123456789012';

/** Seconds since the epoch as X-Ray writes times. */
const seconds = (ms: number): number => ms / 1000;

/** An invocation a front door started; completed with {@link LambdaSegmentWriter.complete}. */
export interface TracedInvocation {
  /** The header to pass to the pool: the caller's Root and decision, `Parent` = the `AWS::Lambda` segment. */
  readonly traceHeader: string;
  readonly sampled: boolean;
  readonly root: string;
  /** Id of the `AWS::Lambda` segment. */
  readonly serviceSegmentId: string;
  readonly callerParent?: string;
  readonly startedAt: number;
}

interface InvocationEvents {
  environmentId: string;
  firstSeen: number;
  start?: PlatformEvent;
  runtimeDone?: PlatformEvent;
  report?: PlatformEvent;
  init?: { start: number; end: number; status: string };
  invocation?: TracedInvocation & { completedAt: number; output: InvokeOutput };
}

interface EnvironmentInit {
  start?: number;
  end?: number;
  status?: string;
}

// Events of invocations nobody completes (another caller's, or unsampled) are forgotten after this.
const EVENT_TTL_MS = 15 * 60 * 1000;
// If `platform.report` never arrives (an environment killed mid-invoke), segments are still
// written this long after the caller got its answer, from what is known.
const REPORT_GRACE_MS = 5_000;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;
const timeOf = (event: PlatformEvent | undefined): number | undefined => {
  const time = event ? Date.parse(event.time) : Number.NaN;
  return Number.isNaN(time) ? undefined : time;
};

/** Writes the Lambda service's segments into the trace store. Never throws into the invoke path. */
export class LambdaSegmentWriter {
  private readonly byRequest = new Map<string, InvocationEvents>();
  private readonly initByEnvironment = new Map<string, EnvironmentInit>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly store: TraceStore,
    private readonly functionName: string,
    private readonly region: string,
  ) {}

  private get functionArn(): string {
    return `arn:aws:lambda:${this.region}:${LOCAL_ACCOUNT_ID}:function:${this.functionName}`;
  }

  /**
   * Starts an invocation: with a caller header its Root and sampling decision are kept;
   * without one a new trace is started, sampled (the sandbox samples every request).
   */
  begin(callerHeader: string | undefined, now: number = Date.now()): TracedInvocation {
    const caller = parseTraceHeader(callerHeader);
    const root = caller?.root ?? newTraceId(now);
    const sampled = caller?.sampled ?? true;
    const serviceSegmentId = newSegmentId();
    const traceHeader = formatTraceHeader({
      root,
      parent: serviceSegmentId,
      sampled,
      extra: caller?.extra ?? [],
    });
    return {
      traceHeader,
      sampled,
      root,
      serviceSegmentId,
      ...(caller?.parent ? { callerParent: caller.parent } : {}),
      startedAt: now,
    };
  }

  /** Records the caller's answer; segments are written once `platform.report` is in too. */
  complete(invocation: TracedInvocation, output: InvokeOutput, now: number = Date.now()): void {
    if (!invocation.sampled) return;
    const events = this.eventsFor(output.requestId, output.environmentId);
    events.invocation = { ...invocation, completedAt: now, output };
    if (events.report) {
      this.write(output.requestId);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.write(output.requestId);
    }, REPORT_GRACE_MS);
    timer.unref();
    this.timers.add(timer);
  }

  /** The platform-event half of the sandbox observer. */
  onPlatformEvent(environmentId: string, event: PlatformEvent): void {
    const record = isRecord(event.record) ? event.record : {};
    const time = timeOf(event);
    switch (event.type) {
      case 'platform.initStart':
        this.initByEnvironment.set(environmentId, { ...(time === undefined ? {} : { start: time }) });
        return;
      case 'platform.initReport': {
        const init = this.initByEnvironment.get(environmentId) ?? {};
        const metrics = isRecord(record.metrics) ? record.metrics : {};
        const duration = typeof metrics.durationMs === 'number' ? metrics.durationMs : undefined;
        if (init.start === undefined && time !== undefined && duration !== undefined)
          init.start = time - duration;
        init.end = init.start !== undefined && duration !== undefined ? init.start + duration : time;
        init.status = typeof record.status === 'string' ? record.status : 'success';
        this.initByEnvironment.set(environmentId, init);
        return;
      }
      case 'platform.start':
      case 'platform.runtimeDone':
      case 'platform.report': {
        const requestId = typeof record.requestId === 'string' ? record.requestId : undefined;
        if (!requestId) return;
        const events = this.eventsFor(requestId, environmentId);
        if (event.type === 'platform.start') {
          events.start = event;
          const init = this.initByEnvironment.get(environmentId);
          if (init?.start !== undefined && init.end !== undefined) {
            events.init = { start: init.start, end: init.end, status: init.status ?? 'success' };
          }
          this.initByEnvironment.delete(environmentId);
        } else if (event.type === 'platform.runtimeDone') {
          events.runtimeDone = event;
        } else {
          events.report = event;
          if (events.invocation) this.write(requestId);
        }
        return;
      }
      default:
        return;
    }
  }

  /** Writes what is pending and stops the timers. */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const [requestId, events] of this.byRequest) if (events.invocation) this.write(requestId);
  }

  private eventsFor(requestId: string, environmentId: string): InvocationEvents {
    const now = Date.now();
    let events = this.byRequest.get(requestId);
    if (!events) {
      for (const [id, old] of this.byRequest)
        if (now - old.firstSeen > EVENT_TTL_MS) this.byRequest.delete(id);
      events = { environmentId, firstSeen: now };
      this.byRequest.set(requestId, events);
    }
    return events;
  }

  private write(requestId: string): void {
    const events = this.byRequest.get(requestId);
    if (!events?.invocation) return;
    this.byRequest.delete(requestId);
    try {
      this.store.addSegments('lambda-service', this.segments(requestId, events)).catch(() => undefined);
    } catch {
      // Telemetry never breaks the invocation it describes.
    }
  }

  /** The `AWS::Lambda` and `AWS::Lambda::Function` documents of one invocation. */
  private segments(requestId: string, events: InvocationEvents): SegmentDocument[] {
    const invocation = events.invocation!;
    const { output } = invocation;
    const startRecord = isRecord(events.start?.record) ? events.start.record : {};
    const tracing = isRecord(startRecord.tracing) ? startRecord.tracing : {};
    const spanId = typeof tracing.spanId === 'string' ? tracing.spanId : undefined;
    const runtimeParent = parseTraceHeader(
      typeof tracing.value === 'string' ? tracing.value : undefined,
    )?.parent;
    const functionSegmentId =
      spanId ??
      (runtimeParent && runtimeParent !== invocation.serviceSegmentId ? runtimeParent : newSegmentId());

    const invokeStart = timeOf(events.start) ?? invocation.startedAt;
    const runtimeEnd = timeOf(events.runtimeDone) ?? invocation.completedAt;
    const phaseEnd = Math.max(timeOf(events.report) ?? invocation.completedAt, runtimeEnd);
    const functionStart = Math.min(events.init?.start ?? invokeStart, invokeStart);
    const failed = output.status !== 'success';
    const cause = failed
      ? {
          exceptions: [
            { id: newSegmentId(), type: output.errorType ?? output.status, message: errorMessage(output) },
          ],
        }
      : undefined;

    const subsegment = (name: string, start: number, end: number, extra: Partial<SegmentDocument> = {}) => ({
      id: newSegmentId(),
      name,
      start_time: seconds(start),
      end_time: seconds(Math.max(start, end)),
      ...extra,
    });
    const subsegments: SegmentDocument[] = [];
    if (events.init) {
      subsegments.push(
        subsegment(
          'Initialization',
          events.init.start,
          events.init.end,
          events.init.status === 'success' ? {} : { fault: true },
        ),
      );
    }
    subsegments.push(
      subsegment(
        'Invocation',
        invokeStart,
        runtimeEnd,
        failed ? { fault: true, ...(cause ? { cause } : {}) } : {},
      ),
    );
    if (events.report) subsegments.push(subsegment('Overhead', runtimeEnd, phaseEnd));

    const aws = {
      account_id: LOCAL_ACCOUNT_ID,
      function_arn: this.functionArn,
      resource_names: [this.functionName],
    };
    const service: SegmentDocument = {
      name: this.functionName,
      id: invocation.serviceSegmentId,
      trace_id: invocation.root,
      ...(invocation.callerParent ? { parent_id: invocation.callerParent } : {}),
      start_time: seconds(invocation.startedAt),
      end_time: seconds(Math.max(invocation.completedAt, invocation.startedAt)),
      origin: 'AWS::Lambda',
      resource_arn: this.functionArn,
      http: { response: { status: 200 } },
      aws: { ...aws, request_id: requestId },
      ...(output.status === 'failure' ? { fault: true } : {}),
    };
    const fn: SegmentDocument = {
      name: this.functionName,
      id: functionSegmentId,
      trace_id: invocation.root,
      parent_id: invocation.serviceSegmentId,
      start_time: seconds(functionStart),
      end_time: seconds(Math.max(phaseEnd, functionStart)),
      origin: 'AWS::Lambda::Function',
      resource_arn: this.functionArn,
      aws,
      ...(failed ? { fault: true, ...(cause ? { cause } : {}) } : {}),
      subsegments,
    };
    return [service, fn];
  }
}

function errorMessage(output: InvokeOutput): string {
  try {
    const body = JSON.parse(output.payload.toString('utf8')) as { errorMessage?: unknown };
    if (typeof body.errorMessage === 'string') return body.errorMessage;
  } catch {
    // Not JSON: the status says enough.
  }
  return output.status;
}
