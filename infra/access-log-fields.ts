/**
 * The HTTP API's access-log format, one JSON object per request: the stack configures it and the
 * sandbox's front door writes its access log with it. No CDK import, so the sandbox can load it
 * without loading aws-cdk-lib.
 */
/** Access-log fields, one JSON object per request (CloudWatch Logs Insights parses it). */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  traceId: '$context.integration.traceId',
};
