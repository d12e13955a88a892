/**
 * The one host object `startLambdaApiServer` serves, made of an environment's three API hosts:
 * each request goes to the host of its API.
 */
import type { LambdaApiHost } from '../apis/lambda-api-server';
import type { EnvironmentExtensionsApi } from './extensions-api-host';
import type { EnvironmentRuntimeApi } from './runtime-api-host';
import type { EnvironmentTelemetryApi } from './telemetry-api-host';

/** One object serving the three APIs, as `startLambdaApiServer` takes them. */
export function lambdaApiHost(
  runtime: EnvironmentRuntimeApi,
  extensions: EnvironmentExtensionsApi,
  telemetry: EnvironmentTelemetryApi,
): LambdaApiHost {
  return {
    nextInvocation: (signal) => runtime.nextInvocation(signal),
    checkResponse: (requestId) => runtime.checkResponse(requestId),
    postResponse: (requestId, body, first, last) => runtime.postResponse(requestId, body, first, last),
    responseTooLarge: (requestId, size) => runtime.responseTooLarge(requestId, size),
    postInvocationError: (requestId, report) => runtime.postInvocationError(requestId, report),
    postInitError: (report) => runtime.postInitError(report),
    register: (name, events, acceptAccountId) => extensions.register(name, events, acceptAccountId),
    checkIdentifier: (identifier) => extensions.checkIdentifier(identifier),
    nextEvent: (identifier, signal) => extensions.nextEvent(identifier, signal),
    reportError: (identifier, phase, errorType, body) =>
      extensions.reportError(identifier, phase, errorType, body),
    subscribe: (identifier, request) => telemetry.subscribe(identifier, request),
  };
}
