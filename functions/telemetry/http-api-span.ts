/**
 * What the OpenTelemetry HTTP and FaaS semantic conventions say about one API
 * Gateway HTTP API (payload format 2.0) invocation, as span attributes.
 */
import type { Attributes } from '@opentelemetry/api';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';

/** The HTTP response API Gateway makes of a handler's result. */
export interface HttpOutcome {
  readonly statusCode: number;
  /** Response body size in bytes, after base64 decoding. */
  readonly bodyBytes: number;
}

/** Body size in bytes as the client sent it (API Gateway base64-encodes binary bodies). */
export function bodyBytes(body: string | undefined, isBase64Encoded: boolean | undefined): number {
  if (!body) return 0;
  return isBase64Encoded ? Buffer.from(body, 'base64').length : Buffer.byteLength(body);
}

/**
 * The response API Gateway builds from a result: an object with `statusCode`
 * is taken as is; any other value becomes a 200 whose body is that value
 * (JSON-serialized unless it is a string).
 */
export function httpOutcome(result: APIGatewayProxyResultV2 | undefined): HttpOutcome {
  if (result !== null && typeof result === 'object' && typeof result.statusCode === 'number') {
    return { statusCode: result.statusCode, bodyBytes: bodyBytes(result.body, result.isBase64Encoded) };
  }
  const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
  return { statusCode: 200, bodyBytes: Buffer.byteLength(body) };
}

/** `2xx`…`5xx`: bounded, unlike the status code itself, so fit for a metric dimension. */
export const statusClass = (statusCode: number): string => `${Math.floor(statusCode / 100)}xx`;

/** The path template of a route key (`GET /todos/{id}` → `/todos/{id}`); none for `$default`. */
export function routeTemplate(routeKey: string | undefined): string | undefined {
  const space = routeKey?.indexOf(' ') ?? -1;
  return space > 0 ? routeKey!.slice(space + 1) : undefined;
}

/** `cloud.account.id` is the fifth field of `arn:aws:lambda:<region>:<account>:function:<name>[:alias]`. */
function accountIdOf(arn: string | undefined): string | undefined {
  return arn?.split(':')[4] || undefined;
}

/** Attributes known when the invocation starts (so samplers and children see them). */
export function requestAttributes(
  event: APIGatewayProxyEventV2,
  context: Context,
  route: string | undefined,
  coldStart: boolean,
): Attributes {
  const http = event.requestContext?.http;
  const [protocolName, protocolVersion] = (http?.protocol ?? '').split('/');
  const attributes: Attributes = {
    'faas.trigger': 'http',
    'faas.coldstart': coldStart,
    'faas.invocation_id': context.awsRequestId,
    'cloud.resource_id': context.invokedFunctionArn,
    'cloud.account.id': accountIdOf(context.invokedFunctionArn) ?? event.requestContext?.accountId,
    'http.request.method': http?.method ?? 'GET',
    'url.path': event.rawPath ?? http?.path,
    'url.scheme': 'https',
    'http.request.body.size': bodyBytes(event.body, event.isBase64Encoded),
  };
  if (route) attributes['http.route'] = route;
  if (http?.userAgent) attributes['user_agent.original'] = http.userAgent;
  if (http?.sourceIp) attributes['client.address'] = http.sourceIp;
  if (event.requestContext?.domainName) attributes['server.address'] = event.requestContext.domainName;
  if (protocolName?.toUpperCase() === 'HTTP' && protocolVersion) {
    attributes['network.protocol.version'] = protocolVersion;
  }
  if (event.requestContext?.requestId)
    attributes['aws.api_gateway.request_id'] = event.requestContext.requestId;
  return attributes;
}
