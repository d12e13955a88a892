/**
 * Handler telemetry for Node.js Lambda functions behind an API Gateway HTTP
 * API: OpenTelemetry spans (X-Ray compatible) and EMF payload-size metrics,
 * handed to the telemetry extension at `TELEMETRY_RECEIVER_ADDRESS` without
 * delaying the response.
 *
 * @example
 * ```ts
 * import { instrumentAwsClient, instrumentHandler } from '../telemetry';
 * const dynamodb = instrumentAwsClient(new DynamoDBClient({}));
 * export const handler = instrumentHandler(createHandler({ dynamodb }), {
 *   metrics: { defaultNamespace: 'Shop', defaultService: 'orders', requestSizeMetric: 'RequestSize',
 *     responseSizeMetric: 'ResponseSize', dimensionSets: ({ route }) => [{ route }] },
 * });
 * ```
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import type { InstrumentableAwsClient } from './aws-client';
import {
  type HandlerTelemetry,
  type HttpApiHandler,
  type InstrumentHandlerOptions,
  Telemetry,
  type TelemetryOptions,
} from './telemetry';

export type { InstrumentableAwsClient } from './aws-client';
export type { TelemetryConfig } from './config';
export { readTelemetryConfig } from './config';
export { TelemetryConfigError, TelemetryError } from './errors';
export type { PayloadLabels, PayloadMetricsOptions } from './payload-metrics';
export type { DeliveryCounters } from './receiver-client';
export type {
  HandlerTelemetry,
  HttpApiHandler,
  InstrumentHandlerOptions,
  TelemetryOptions,
} from './telemetry';

/**
 * Creates a function's telemetry (does nothing until the first invocation).
 * A bundle built with `TELEMETRY=off` gets the do-nothing `disabled.ts` instead.
 */
export function createTelemetry(options?: TelemetryOptions): HandlerTelemetry {
  return new Telemetry(options);
}

let defaultTelemetry: HandlerTelemetry | undefined;

/** The process's telemetry, configured from its environment. */
export function telemetry(): HandlerTelemetry {
  defaultTelemetry ??= createTelemetry();
  return defaultTelemetry;
}

/** {@link Telemetry.instrumentHandler} of the process's telemetry. */
export function instrumentHandler<
  TEvent extends APIGatewayProxyEventV2,
  TResult extends APIGatewayProxyResultV2,
>(
  handler: HttpApiHandler<TEvent, TResult>,
  options?: InstrumentHandlerOptions<TEvent>,
): HttpApiHandler<TEvent, TResult> {
  return telemetry().instrumentHandler(handler, options);
}

/** {@link Telemetry.instrumentAwsClient} of the process's telemetry. */
export function instrumentAwsClient<T extends InstrumentableAwsClient>(client: T): T {
  return telemetry().instrumentAwsClient(client);
}
