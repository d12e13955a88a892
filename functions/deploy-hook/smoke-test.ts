import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { ROUTES, type Route, routeKey } from '../todos/routes';

/** The `sub` the smoke test's todos are stored under, apart from every real caller's. */
export const SMOKE_TEST_OWNER = 'deployment-smoke-test';

/** What the handler answered (an HTTP API payload 2.0 response), or how the invocation failed. */
export type InvokeOutcome =
  | {
      readonly kind: 'response';
      readonly statusCode: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: string;
    }
  | { readonly kind: 'failure'; readonly reason: string };

/** Sends one HTTP API v2 event to the version under test. */
export type Invoke = (event: APIGatewayProxyEventV2WithJWTAuthorizer) => Promise<InvokeOutcome>;

/** One request of the smoke test and its verdict. */
interface StepResult {
  readonly name: string;
  readonly passed: boolean;
  readonly detail: string;
}

/** The smoke test's verdict: passed only when every step passed. */
export interface SmokeTestResult {
  readonly passed: boolean;
  readonly steps: readonly StepResult[];
}

/** A request to build an event for. */
export interface SmokeRequest {
  readonly route: Route;
  /** Values for the route's `{name}` path parameters. */
  readonly pathParameters?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly requestId: string;
  readonly now: Date;
}

const routeOf = (operation: Route['operation']): Route => {
  const route = ROUTES.find((candidate) => candidate.operation === operation);
  if (route === undefined) throw new Error(`route table has no operation ${operation}`);
  return route;
};

const pad = (value: number): string => String(value).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's `requestContext.time` format, e.g. `12/Mar/2020:19:03:58 +0000`. */
export const requestTime = (now: Date): string =>
  `${pad(now.getUTCDate())}/${MONTHS[now.getUTCMonth()]}/${now.getUTCFullYear()}:` +
  `${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())} +0000`;

/**
 * Builds the HTTP API payload 2.0 event API Gateway would send for `request`: lower-cased header
 * names, the route key of the route table, the concrete path, path parameters, and a JWT
 * authorizer context whose `sub` keeps the smoke test's data apart from real callers'.
 */
export const buildHttpApiEvent = (request: SmokeRequest): APIGatewayProxyEventV2WithJWTAuthorizer => {
  const path = request.route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = request.pathParameters?.[name];
    if (value === undefined) throw new Error(`missing path parameter ${name} for ${request.route.path}`);
    return encodeURIComponent(value);
  });
  const headers: Record<string, string> = {
    host: 'deployment-hook.internal',
    'user-agent': 'todo-deployment-smoke-test',
    accept: 'application/json',
  };
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
  const key = routeKey(request.route);
  const event: APIGatewayProxyEventV2WithJWTAuthorizer = {
    version: '2.0',
    routeKey: key,
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: 'deployment-hook',
      apiId: 'deployment-hook',
      domainName: headers.host ?? 'deployment-hook.internal',
      domainPrefix: 'deployment-hook',
      http: {
        method: request.route.method,
        path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: request.requestId,
      routeKey: key,
      stage: '$default',
      time: requestTime(request.now),
      timeEpoch: request.now.getTime(),
      // What API Gateway adds with a JWT authorizer; without one the handler serves the single
      // tenant and ignores it.
      authorizer: { jwt: { claims: { sub: SMOKE_TEST_OWNER }, scopes: null } },
    },
    isBase64Encoded: false,
  };
  if (request.pathParameters !== undefined) event.pathParameters = { ...request.pathParameters };
  if (request.body !== undefined) event.body = request.body;
  return event;
};

/**
 * Reads a Lambda `Invoke` result of the todo function: a function error (crash, timeout, init
 * failure) or a payload that is not an HTTP API response is a failure.
 */
export const parseInvokeResult = (result: {
  readonly functionError?: string;
  readonly payload?: string;
}): InvokeOutcome => {
  if (result.functionError !== undefined) {
    return {
      kind: 'failure',
      reason: `function error ${result.functionError}: ${truncate(result.payload ?? '')}`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.payload ?? '');
  } catch {
    return { kind: 'failure', reason: `response is not JSON: ${truncate(result.payload ?? '')}` };
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    typeof (parsed as { statusCode?: unknown }).statusCode !== 'number'
  ) {
    return { kind: 'failure', reason: `response has no statusCode: ${truncate(result.payload ?? '')}` };
  }
  const response = parsed as {
    statusCode: number;
    headers?: Record<string, unknown>;
    body?: unknown;
    isBase64Encoded?: boolean;
  };
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  const rawBody = typeof response.body === 'string' ? response.body : '';
  const body = response.isBase64Encoded === true ? Buffer.from(rawBody, 'base64').toString('utf8') : rawBody;
  return { kind: 'response', statusCode: response.statusCode, headers, body };
};

// Log lines and CodeDeploy show the start of a bad answer, never a whole 6 MB payload.
const truncate = (text: string): string => (text.length > 300 ? `${text.slice(0, 300)}…` : text);

const describe = (outcome: InvokeOutcome): string =>
  outcome.kind === 'failure' ? outcome.reason : `${outcome.statusCode} ${truncate(outcome.body)}`;

const jsonField = (body: string, field: string): unknown => {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)[field]
      : undefined;
  } catch {
    return undefined;
  }
};

/** A todo id (1–64 of `[A-Za-z0-9_-]`) unique to one hook execution. */
export const smokeTodoId = (executionId: string): string =>
  `smoke-${executionId.replace(/[^A-Za-z0-9_-]/g, '').slice(-58) || 'run'}`;

/** Options of one smoke-test run. */
export interface SmokeTestOptions {
  /** The CodeDeploy lifecycle hook execution id; names the todo. */
  readonly executionId: string;
  readonly invoke: Invoke;
  /** @default () => new Date() */
  readonly clock?: () => Date;
  /** @default crypto.randomUUID */
  readonly newRequestId?: () => string;
}

/**
 * Creates, reads and deletes a todo through the version under test, as API Gateway would call
 * it. Every step must give the status the API promises (201, 200, 204); when create succeeded
 * and a later step failed, the todo is still deleted so no smoke data stays behind.
 */
export const runSmokeTest = async (options: SmokeTestOptions): Promise<SmokeTestResult> => {
  const clock = options.clock ?? (() => new Date());
  const newRequestId = options.newRequestId ?? (() => crypto.randomUUID());
  const id = smokeTodoId(options.executionId);
  const text = `deployment smoke test ${options.executionId}`;
  const steps: StepResult[] = [];
  const send = (request: Omit<SmokeRequest, 'requestId' | 'now'>) =>
    options.invoke(buildHttpApiEvent({ ...request, requestId: newRequestId(), now: clock() }));

  const created = await send({
    route: routeOf('createTodo'),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id, text }),
  });
  const createPassed =
    created.kind === 'response' && created.statusCode === 201 && jsonField(created.body, 'id') === id;
  steps.push({ name: 'create', passed: createPassed, detail: describe(created) });
  if (!createPassed) return { passed: false, steps };

  const read = await send({ route: routeOf('getTodo'), pathParameters: { id } });
  const readPassed =
    read.kind === 'response' && read.statusCode === 200 && jsonField(read.body, 'text') === text;
  steps.push({ name: 'read', passed: readPassed, detail: describe(read) });

  const etag = read.kind === 'response' ? read.headers.etag : undefined;
  const deleted = await send({
    route: routeOf('deleteTodo'),
    pathParameters: { id },
    headers: readPassed && etag !== undefined ? { 'if-match': etag } : {},
  });
  const deletePassed = deleted.kind === 'response' && deleted.statusCode === 204;
  steps.push({ name: 'delete', passed: deletePassed, detail: describe(deleted) });

  return { passed: steps.every((step) => step.passed), steps };
};
