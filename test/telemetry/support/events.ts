/** API Gateway HTTP API (payload 2.0) events and Lambda contexts as the platform makes them. */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

export const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:orders:live';

export function httpApiEvent(
  method: string,
  routePath: string,
  rawPath: string,
  body?: string,
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} ${routePath}`,
    rawPath,
    rawQueryString: '',
    headers: { 'user-agent': 'test-agent/1.0', 'content-type': 'application/json' },
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api1',
      domainName: 'api1.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'api1',
      requestId: 'apigw-request-1',
      routeKey: `${method} ${routePath}`,
      stage: '$default',
      time: '27/Nov/2026:20:00:00 +0000',
      timeEpoch: Date.now(),
      http: {
        method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.9',
        userAgent: 'test-agent/1.0',
      },
    },
  };
}

let invocation = 0;

export function lambdaContext(): Context {
  invocation += 1;
  const requestId = `00000000-0000-4000-8000-${String(invocation).padStart(12, '0')}`;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'orders',
    functionVersion: '7',
    invokedFunctionArn: FUNCTION_ARN,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/orders',
    logStreamName: '2026/11/27/[7]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => 3_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
