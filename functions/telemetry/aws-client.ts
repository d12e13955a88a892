/**
 * A CLIENT span per AWS SDK v3 call, from two small middlewares instead of an
 * auto-instrumentation package: one at `initialize` (once per call, so the
 * span covers every retry) and one at `build` (propagates `X-Amzn-Trace-Id`,
 * as X-Ray's own SDK does, so a downstream AWS service continues the trace).
 * Attributes follow the OpenTelemetry AWS SDK and DynamoDB conventions.
 */
import {
  type Attributes,
  context as otelContext,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type {
  BuildHandlerArguments,
  BuildHandlerOutput,
  HandlerExecutionContext,
  InitializeHandlerArguments,
  InitializeHandlerOutput,
  MetadataBearer,
  MiddlewareStack,
} from '@smithy/types';
import type { TracerSource } from './tracing';
import { downstreamTraceHeader } from './xray-ids';

/** Anything with an AWS SDK v3 middleware stack, e.g. a `DynamoDBClient`. */
export interface InstrumentableAwsClient {
  // biome-ignore lint/suspicious/noExplicitAny: every SDK client's stack is generic over its own input and output unions.
  readonly middlewareStack: MiddlewareStack<any, any>;
  readonly config?: { readonly region?: unknown };
}

// Error names AWS services use for throttling (DynamoDB answers 400, not 429).
const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
]);

const SPAN_KEY = Symbol('telemetry.awsClientSpan');
const INITIALIZE_NAME = 'telemetryClientSpan';
const BUILD_NAME = 'telemetryTraceHeader';

type ContextWithSpan = HandlerExecutionContext & { [SPAN_KEY]?: Span };

interface ServiceError {
  readonly name?: string;
  readonly message?: string;
  readonly $fault?: 'client' | 'server';
  readonly $metadata?: MetadataBearer['$metadata'];
  readonly $retryable?: { readonly throttling?: boolean };
}

/** Table names a DynamoDB request touches (single-table, batch and transaction shapes). */
function tableNamesOf(input: unknown): string[] {
  if (input === null || typeof input !== 'object') return [];
  const request = input as {
    TableName?: unknown;
    RequestItems?: Record<string, unknown>;
    TransactItems?: readonly Record<string, { TableName?: unknown } | undefined>[];
  };
  const names = new Set<string>();
  if (typeof request.TableName === 'string') names.add(request.TableName);
  for (const name of Object.keys(request.RequestItems ?? {})) names.add(name);
  for (const item of request.TransactItems ?? []) {
    for (const operation of Object.values(item ?? {})) {
      if (typeof operation?.TableName === 'string') names.add(operation.TableName);
    }
  }
  return [...names];
}

function metadataAttributes(metadata: MetadataBearer['$metadata'] | undefined): Attributes {
  const attributes: Attributes = {};
  if (metadata?.httpStatusCode !== undefined)
    attributes['http.response.status_code'] = metadata.httpStatusCode;
  if (metadata?.requestId) attributes['aws.request_id'] = metadata.requestId;
  // `attempts` counts the first try; X-Ray's `aws.retries` counts retries only.
  if (metadata?.attempts !== undefined) attributes['aws.retries'] = Math.max(0, metadata.attempts - 1);
  return attributes;
}

async function regionOf(client: InstrumentableAwsClient): Promise<string | undefined> {
  const region = client.config?.region;
  const value = typeof region === 'function' ? await (region as () => Promise<unknown>)() : region;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Adds the span and trace-header middlewares to `client` (once; calling again
 * replaces them). `tracerSource` yields the tracer, or undefined while
 * telemetry is unavailable, in which case calls pass through untouched.
 */
export function addAwsClientMiddleware<T extends InstrumentableAwsClient>(
  client: T,
  tracerSource: TracerSource,
): T {
  client.middlewareStack.add(
    (next, handlerContext: ContextWithSpan) =>
      async (args: InitializeHandlerArguments<object>): Promise<InitializeHandlerOutput<object>> => {
        let span: Span | undefined;
        try {
          const tracer = tracerSource();
          if (tracer) {
            const service = (handlerContext.clientName ?? 'AWS').replace(/Client$/, '');
            const method = (handlerContext.commandName ?? 'Unknown').replace(/Command$/, '');
            const attributes: Attributes = {
              'rpc.system': 'aws-api',
              'rpc.service': service,
              'rpc.method': method,
            };
            const tables = tableNamesOf(args.input);
            if (tables.length > 0) attributes['aws.dynamodb.table_names'] = tables;
            const region = await regionOf(client).catch(() => undefined);
            if (region) attributes['cloud.region'] = region;
            span = tracer.startSpan(`${service}.${method}`, { kind: SpanKind.CLIENT, attributes });
            handlerContext[SPAN_KEY] = span;
          }
        } catch {
          span = undefined;
        }
        if (!span) return next(args);
        const active = span;
        try {
          const output = await otelContext.with(trace.setSpan(otelContext.active(), active), () =>
            next(args),
          );
          try {
            active.setAttributes(metadataAttributes((output.output as MetadataBearer).$metadata));
          } catch {
            // The call succeeded; a span that misses attributes is no reason to fail it.
          }
          return output;
        } catch (error) {
          try {
            const failure = (error ?? {}) as ServiceError;
            const name = failure.name ?? 'Error';
            active.setAttributes(metadataAttributes(failure.$metadata));
            active.setAttribute('error.type', name);
            if (
              THROTTLING_ERRORS.has(name) ||
              failure.$retryable?.throttling ||
              failure.$metadata?.httpStatusCode === 429
            ) {
              active.setAttribute('aws.throttle', true);
            }
            if (error instanceof Error) active.recordException(error);
            active.setStatus({
              code: SpanStatusCode.ERROR,
              message: `${name}: ${failure.message ?? ''}`.slice(0, 256),
            });
          } catch {
            // Recording the failure must not replace it.
          }
          throw error;
        } finally {
          active.end();
        }
      },
    { step: 'initialize', name: INITIALIZE_NAME, override: true },
  );
  client.middlewareStack.add(
    (next, handlerContext: ContextWithSpan) =>
      async (args: BuildHandlerArguments<object>): Promise<BuildHandlerOutput<object>> => {
        try {
          const span = handlerContext[SPAN_KEY];
          const request = args.request as { headers?: Record<string, string> } | undefined;
          if (span && request?.headers)
            request.headers['X-Amzn-Trace-Id'] = downstreamTraceHeader(span.spanContext());
        } catch {
          // Propagation is best effort.
        }
        return next(args);
      },
    { step: 'build', name: BUILD_NAME, override: true },
  );
  return client;
}
