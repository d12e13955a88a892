/**
 * Handler telemetry for any Node.js Lambda function behind an API Gateway
 * HTTP API: a SERVER span per invocation, CLIENT spans for AWS SDK calls, and
 * payload-size EMF metrics, all sent to the telemetry extension after the
 * response is formed and never awaited by it.
 *
 * Nothing happens at import or construction time: the environment is read,
 * the tracer built and the metrics instance created at the first invocation.
 */
import {
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { toXRayTraceId } from '../../contracts/lambda-trace-header';
import { addAwsClientMiddleware, type InstrumentableAwsClient } from './aws-client';
import { invocationTraceHeader, readTelemetryConfig, type TelemetryConfig } from './config';
import { bodyBytes, httpOutcome, requestAttributes, routeTemplate, statusClass } from './http-api-span';
import { encodeOtlpJson } from './otlp-json';
import { PayloadMetrics, type PayloadMetricsOptions } from './payload-metrics';
import { type DeliveryCounters, type LineSink, ReceiverClient } from './receiver-client';
import { createTracing, type Tracing } from './tracing';
import { remoteParent } from './xray-ids';

/** An API Gateway HTTP API (payload format 2.0) handler. */
export type HttpApiHandler<
  TEvent extends APIGatewayProxyEventV2 = APIGatewayProxyEventV2,
  TResult extends APIGatewayProxyResultV2 = APIGatewayProxyResultV2,
> = (event: TEvent, context: Context) => Promise<TResult>;

/** Options of {@link Telemetry.instrumentHandler}. */
export interface InstrumentHandlerOptions<TEvent extends APIGatewayProxyEventV2 = APIGatewayProxyEventV2> {
  /**
   * The route label of an event, for metric dimensions. Must be bounded.
   * @default the event's `routeKey` (`GET /todos/{id}`; `$default` for unmatched paths)
   */
  readonly route?: (event: TEvent) => string;
  /** Payload-size and request-outcome metrics; none when omitted. */
  readonly metrics?: PayloadMetricsOptions;
}

/** Where telemetry takes its settings and sends to; every field is for tests or unusual hosts. */
export interface TelemetryOptions {
  /** Settings; read from `process.env` at the first invocation when omitted. */
  readonly config?: TelemetryConfig;
  /** The per-invocation Lambda trace header; `_X_AMZN_TRACE_ID` when omitted. */
  readonly traceHeader?: () => string | undefined;
  /** Where EMF goes when the extension does not take it; process stdout when omitted. */
  readonly stdout?: LineSink;
}

interface Ready {
  readonly config: TelemetryConfig;
  readonly tracing: Tracing;
  readonly receiver: ReceiverClient;
}

/** What a function does with its telemetry; {@link Telemetry} and the TELEMETRY=off stand-in both provide it. */
export interface HandlerTelemetry {
  instrumentHandler<TEvent extends APIGatewayProxyEventV2, TResult extends APIGatewayProxyResultV2>(
    handler: HttpApiHandler<TEvent, TResult>,
    options?: InstrumentHandlerOptions<TEvent>,
  ): HttpApiHandler<TEvent, TResult>;
  instrumentAwsClient<T extends InstrumentableAwsClient>(client: T): T;
  readonly counters: Readonly<DeliveryCounters>;
  settled(): Promise<void>;
}

/** Delivery counters of a telemetry that has sent nothing. */
export const EMPTY_COUNTERS: Readonly<DeliveryCounters> = Object.freeze({
  spansSent: 0,
  spansDropped: 0,
  emfSent: 0,
  emfToStdout: 0,
  emfUnconfirmed: 0,
  sendFailures: 0,
});

/** One function's telemetry: create one per process, at module scope (it does nothing until used). */
export class Telemetry implements HandlerTelemetry {
  #ready?: Ready;
  #failed = false;
  readonly #scheduled = new Set<Promise<void>>();

  constructor(private readonly options: TelemetryOptions = {}) {}

  /**
   * Wraps an HTTP API handler: the result is returned unchanged, errors are
   * rethrown unchanged, and telemetry failures are swallowed.
   *
   * @example
   * ```ts
   * const telemetry = new Telemetry();
   * export const handler = telemetry.instrumentHandler(createHandler(deps), { metrics: { … } });
   * ```
   */
  instrumentHandler<TEvent extends APIGatewayProxyEventV2, TResult extends APIGatewayProxyResultV2>(
    handler: HttpApiHandler<TEvent, TResult>,
    options: InstrumentHandlerOptions<TEvent> = {},
  ): HttpApiHandler<TEvent, TResult> {
    let coldStart = true;
    let metrics: PayloadMetrics | undefined;
    return async (event, lambdaContext) => {
      const ready = this.#setUp();
      if (!ready) return handler(event, lambdaContext);
      const isColdStart = coldStart && ready.config.initializationType !== 'provisioned-concurrency';
      coldStart = false;
      if (options.metrics && !metrics) {
        metrics = new PayloadMetrics(options.metrics, {
          namespace: ready.config.metricsNamespace,
          service: ready.config.metricsService,
          disabled: ready.config.metricsDisabled,
        });
      }
      const span = this.#startServerSpan(ready.tracing.tracer, event, lambdaContext, isColdStart);
      const finish = (statusCode: number, responseBytes: number | undefined, error?: unknown) => {
        try {
          if (span) endServerSpan(span, statusCode, responseBytes, error);
          const spanContext = span?.spanContext();
          const sample = metrics && {
            route: options.route?.(event) ?? event.routeKey ?? '$default',
            statusClass: statusClass(statusCode),
            functionVersion: ready.config.functionVersion ?? '$LATEST',
            requestBytes: bodyBytes(event.body, event.isBase64Encoded),
            responseBytes,
            coldStart: isColdStart,
            traceId:
              spanContext && trace.isSpanContextValid(spanContext)
                ? toXRayTraceId(spanContext.traceId)
                : undefined,
            requestId: lambdaContext.awsRequestId,
            functionName: ready.config.functionName,
          };
          this.#deliver(ready, () => {
            const spans = ready.tracing.pending.drain();
            if (spans.length > 0) ready.receiver.sendSpans(encodeOtlpJson(spans), spans.length);
            if (metrics && sample) ready.receiver.sendEmf(metrics.documents(sample));
          });
        } catch {
          // Telemetry never breaks the work it observes.
        }
      };
      let result: TResult;
      try {
        const active = span ? trace.setSpan(context.active(), span) : context.active();
        result = await context.with(active, () => handler(event, lambdaContext));
      } catch (error) {
        // API Gateway answers 502 to the caller when the function fails.
        finish(502, undefined, error);
        throw error;
      }
      let outcome: { statusCode: number; bodyBytes: number } | undefined;
      try {
        outcome = httpOutcome(result);
      } catch {
        outcome = undefined;
      }
      finish(outcome?.statusCode ?? 200, outcome?.bodyBytes);
      return result;
    };
  }

  /**
   * Adds CLIENT spans to every call `client` makes (AWS SDK v3), with
   * `X-Amzn-Trace-Id` propagation. Returns the same client.
   */
  instrumentAwsClient<T extends InstrumentableAwsClient>(client: T): T {
    return addAwsClientMiddleware(client, () => this.#setUp()?.tracing.tracer);
  }

  /** What was sent, dropped and written to stdout so far. */
  get counters(): Readonly<DeliveryCounters> {
    return this.#ready?.receiver.counters ?? EMPTY_COUNTERS;
  }

  /** Resolves when every send started so far has finished (tests, shutdown hooks; never the handler). */
  async settled(): Promise<void> {
    while (this.#scheduled.size > 0) await Promise.all([...this.#scheduled]);
    await this.#ready?.receiver.settled();
  }

  /**
   * Runs `send` in the next check phase: after the handler's promise has
   * settled and the runtime has started posting the response, but before it
   * asks for the next event (the Node runtime schedules that with
   * setImmediate too, behind this). Encoding spans and EMF, and on the first
   * invocation loading the HTTP client, so never sit on the response path.
   */
  #deliver(ready: Ready, send: () => void): void {
    const done = new Promise<void>((resolve) => {
      setImmediate(() => {
        try {
          send();
        } catch {
          ready.receiver.counters.sendFailures += 1;
        } finally {
          this.#scheduled.delete(done);
          resolve();
        }
      });
    });
    this.#scheduled.add(done);
  }

  #setUp(): Ready | undefined {
    if (this.#ready || this.#failed) return this.#ready;
    try {
      const config = this.options.config ?? readTelemetryConfig();
      const receiver = new ReceiverClient(config.receiverAddress, { stdout: this.options.stdout });
      const tracing = createTracing(config, (count) => {
        receiver.counters.spansDropped += count;
      });
      this.#ready = { config, tracing, receiver };
    } catch (error) {
      // A misconfigured variable disables telemetry with one line naming it;
      // the function itself keeps serving.
      this.#failed = true;
      process.stderr.write(`telemetry disabled: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    return this.#ready;
  }

  #startServerSpan(
    tracer: Tracer,
    event: APIGatewayProxyEventV2,
    lambdaContext: Context,
    coldStart: boolean,
  ): Span | undefined {
    try {
      const remote = remoteParent((this.options.traceHeader ?? invocationTraceHeader)());
      const parent = remote ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT;
      const route = routeTemplate(event.routeKey);
      const method = event.requestContext?.http?.method ?? 'GET';
      return tracer.startSpan(
        route ? `${method} ${route}` : method,
        { kind: SpanKind.SERVER, attributes: requestAttributes(event, lambdaContext, route, coldStart) },
        parent,
      );
    } catch {
      return undefined;
    }
  }
}

function endServerSpan(
  span: Span,
  statusCode: number,
  responseBytes: number | undefined,
  error: unknown,
): void {
  // A thrown error formed no response: API Gateway's 502 is its own, not this span's.
  if (error === undefined) span.setAttribute('http.response.status_code', statusCode);
  if (responseBytes !== undefined) span.setAttribute('http.response.body.size', responseBytes);
  if (error !== undefined) {
    if (error instanceof Error) span.recordException(error);
    span.setAttribute('error.type', error instanceof Error ? error.name : 'Error');
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
  } else if (statusCode >= 500) {
    // HTTP semantic conventions: on a SERVER span only 5xx is an error; 4xx is the client's.
    span.setAttribute('error.type', String(statusCode));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
