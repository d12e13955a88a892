import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HookConfigurationError, loadHookConfig } from '../../functions/deploy-hook/config';
import {
  buildHttpApiEvent,
  type Invoke,
  type InvokeOutcome,
  parseInvokeResult,
  requestTime,
  runSmokeTest,
  SMOKE_TEST_OWNER,
  smokeTodoId,
} from '../../functions/deploy-hook/smoke-test';
import { ROUTES } from '../../functions/todos/routes';
import { startTodoApi, type TodoApi } from '../support/todo-api';

const route = (operation: (typeof ROUTES)[number]['operation']) =>
  ROUTES.find((r) => r.operation === operation)!;
const NOW = new Date(Date.UTC(2020, 2, 12, 19, 3, 58));

describe('pre-traffic hook events', () => {
  it('builds an HTTP API 2.0 event as API Gateway sends it for a route with a path parameter', () => {
    // Act
    const event = buildHttpApiEvent({
      route: route('getTodo'),
      pathParameters: { id: 'smoke-1' },
      headers: { 'If-Match': '"1"' },
      requestId: 'req-1',
      now: NOW,
    });

    // Assess
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /todos/{id}',
      rawPath: '/todos/smoke-1',
      rawQueryString: '',
      pathParameters: { id: 'smoke-1' },
      isBase64Encoded: false,
      requestContext: {
        requestId: 'req-1',
        routeKey: 'GET /todos/{id}',
        stage: '$default',
        time: '12/Mar/2020:19:03:58 +0000',
        timeEpoch: NOW.getTime(),
        http: { method: 'GET', path: '/todos/smoke-1', protocol: 'HTTP/1.1' },
        authorizer: { jwt: { claims: { sub: SMOKE_TEST_OWNER }, scopes: null } },
      },
    });
    expect(event.headers['if-match']).toBe('"1"');
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(event.body).toBeUndefined();
  });

  it('carries the body with its length and no path parameters on the collection route', () => {
    // Act
    const event = buildHttpApiEvent({
      route: route('createTodo'),
      headers: { 'content-type': 'application/json' },
      body: '{"text":"é"}',
      requestId: 'req-2',
      now: NOW,
    });

    // Assess
    expect(event.routeKey).toBe('POST /todos');
    expect(event.pathParameters).toBeUndefined();
    expect(event.body).toBe('{"text":"é"}');
    expect(event.headers['content-length']).toBe('13');
  });

  it('formats the request time with a two-digit day and the English month', () => {
    // Act
    const formatted = requestTime(new Date(Date.UTC(2026, 0, 5, 4, 7, 9)));

    // Assess
    expect(formatted).toBe('05/Jan/2026:04:07:09 +0000');
  });

  it('makes a todo id within the API id rules from any execution id', () => {
    // Act
    const ids = [smokeTodoId('a1b2c3-d4'), smokeTodoId('x'.repeat(200)), smokeTodoId('!!!')];

    // Assess
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(ids[0]).toBe('smoke-a1b2c3-d4');
  });
});

describe('pre-traffic hook invoke results', () => {
  it('reads an HTTP API response, lower-casing header names and decoding base64 bodies', () => {
    // Act
    const outcome = parseInvokeResult({
      payload: JSON.stringify({
        statusCode: 200,
        headers: { ETag: '"3"' },
        body: Buffer.from('{"ok":true}').toString('base64'),
        isBase64Encoded: true,
      }),
    });

    // Assess
    expect(outcome).toEqual({
      kind: 'response',
      statusCode: 200,
      headers: { etag: '"3"' },
      body: '{"ok":true}',
    });
  });

  it('treats a function error, a non-JSON payload and a payload without statusCode as failures', () => {
    // Act
    const crashed = parseInvokeResult({
      functionError: 'Unhandled',
      payload: '{"errorType":"Runtime.ExitError"}',
    });
    const garbage = parseInvokeResult({ payload: 'not json' });
    const bare = parseInvokeResult({ payload: '{"id":"x"}' });

    // Assess
    expect(crashed).toMatchObject({ kind: 'failure', reason: expect.stringContaining('Runtime.ExitError') });
    expect(garbage).toMatchObject({ kind: 'failure', reason: expect.stringContaining('not JSON') });
    expect(bare).toMatchObject({ kind: 'failure', reason: expect.stringContaining('no statusCode') });
  });
});

describe('pre-traffic hook configuration', () => {
  it('fails naming TARGET_VERSION_ARN when it is missing or not version-qualified', () => {
    // Act / Assess
    expect(() => loadHookConfig({})).toThrow(HookConfigurationError);
    expect(() => loadHookConfig({})).toThrow(/TARGET_VERSION_ARN/);
    expect(() =>
      loadHookConfig({ TARGET_VERSION_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:todos' }),
    ).toThrow(/version-qualified/);
  });

  it('accepts a version ARN', () => {
    // Act
    const config = loadHookConfig({
      TARGET_VERSION_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:todos:7',
    });

    // Assess
    expect(config.targetVersionArn).toBe('arn:aws:lambda:eu-west-1:123456789012:function:todos:7');
  });
});

// The hook's Lambda Invoke and CodeDeploy calls cannot run here (no AWS account); the smoke test
// is driven against the real todo handler on an embedded DynamoDB instead, with the handler's
// return value serialised as Lambda's Invoke API returns it.
describe('pre-traffic smoke test against the todo handler', () => {
  let api: TodoApi;
  const invokeHandler: Invoke = async (event) =>
    parseInvokeResult({ payload: JSON.stringify(await api.handler(event)) });
  beforeAll(async () => {
    api = await startTodoApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('passes create, read and delete against a healthy version and leaves no todo behind', async () => {
    // Act
    const result = await runSmokeTest({ executionId: 'exec-healthy', invoke: invokeHandler });
    const left = await invokeHandler(
      buildHttpApiEvent({
        route: route('getTodo'),
        pathParameters: { id: smokeTodoId('exec-healthy') },
        requestId: 'check',
        now: NOW,
      }),
    );

    // Assess
    expect(result.steps.map((step) => [step.name, step.passed])).toEqual([
      ['create', true],
      ['read', true],
      ['delete', true],
    ]);
    expect(result.passed).toBe(true);
    expect(left).toMatchObject({ kind: 'response', statusCode: 404 });
  });

  it('fails when the version answers a step with the wrong status, and still deletes its todo', async () => {
    // Prepare: a version whose reads are broken (5xx), writes fine.
    const brokenReads: Invoke = async (event) =>
      event.routeKey === 'GET /todos/{id}'
        ? { kind: 'response', statusCode: 500, headers: {}, body: '{"status":500}' }
        : invokeHandler(event);

    // Act
    const result = await runSmokeTest({ executionId: 'exec-broken', invoke: brokenReads });
    const left = await invokeHandler(
      buildHttpApiEvent({
        route: route('getTodo'),
        pathParameters: { id: smokeTodoId('exec-broken') },
        requestId: 'check',
        now: NOW,
      }),
    );

    // Assess
    expect(result.passed).toBe(false);
    expect(result.steps.map((step) => [step.name, step.passed])).toEqual([
      ['create', true],
      ['read', false],
      ['delete', true],
    ]);
    expect(left).toMatchObject({ kind: 'response', statusCode: 404 });
  });

  it('fails at once without further calls when the version crashes on create', async () => {
    // Prepare
    const calls: string[] = [];
    const crashing: Invoke = async (event): Promise<InvokeOutcome> => {
      calls.push(event.routeKey);
      return parseInvokeResult({ functionError: 'Unhandled', payload: '{"errorMessage":"boom"}' });
    };

    // Act
    const result = await runSmokeTest({ executionId: 'exec-crash', invoke: crashing });

    // Assess
    expect(result.passed).toBe(false);
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]?.detail).toContain('boom');
    expect(calls).toEqual(['POST /todos']);
  });
});
