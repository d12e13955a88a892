import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, loadConfig, type TodoConfig } from '../../functions/todos/config';
import { createHandler } from '../../functions/todos/handler';
import { httpApiEvent } from '../support/http-api-event';
import { startTodoApi } from '../support/todo-api';

/** Short limits so that failing calls give up in well under a second. */
const fastFailing = (attempts: number) => (config: TodoConfig) => ({
  ...config,
  dynamoDB: { connectionTimeoutMs: 200, requestTimeoutMs: 200, maxAttempts: attempts },
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('DynamoDB failures', () => {
  let servers: Server[] = [];
  beforeAll(() => {
    // The handler logs 5xx causes; keep them out of the test output but readable by the tests.
    vi.spyOn(console, 'warn').mockImplementation(() => {});
  });
  afterEach(async () => {
    await Promise.all(servers.map(stop));
    servers = [];
    vi.mocked(console.warn).mockClear();
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });

  it('returns 503 with Retry-After when DynamoDB cannot be reached', async () => {
    // Prepare: a port that was just free and now has no listener refuses connections.
    const closed = createServer();
    const endpoint = await listen(closed);
    await stop(closed);
    const api = await startTodoApi({ endpoint, config: fastFailing(2) });

    // Act
    const result = await api.invoke({ method: 'POST', path: '/todos', body: { text: 'x' } });
    await api.close();

    // Assess
    expect(result.status).toBe(503);
    expect(result.headers['retry-after']).toBe('5');
    expect(result.json).toMatchObject({ status: 503, instance: result.requestId });
    expect(result.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    const logged = vi
      .mocked(console.warn)
      .mock.calls.map((call) => String(call[0]))
      .join('\n');
    expect(logged).toContain(result.requestId);
    expect(logged).toContain('ECONNREFUSED');
  });

  it('returns 503 when DynamoDB does not answer within the request timeout', async () => {
    // Prepare: a server that accepts requests and never answers them.
    const silent = createServer(() => {});
    servers.push(silent);
    const api = await startTodoApi({ endpoint: await listen(silent), config: fastFailing(2) });

    // Act
    const result = await api.invoke({ method: 'GET', path: '/todos' });
    await api.close();

    // Assess
    expect(result.status).toBe(503);
    expect(result.headers['retry-after']).toBe('5');
  });

  it.each(['ThrottlingException', 'ProvisionedThroughputExceededException'])(
    'returns 503 with Retry-After: 1 when DynamoDB answers %s',
    async (errorType) => {
      // Prepare: dynalite never throttles, so a real HTTP server answers as DynamoDB does when it throttles
      // (JSON 1.0 protocol, status 400, the error type in `__type`).
      const throttling = createServer((request, response) => {
        request.resume();
        request.on('end', () => {
          response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
          response.end(
            JSON.stringify({
              __type: `com.amazonaws.dynamodb.v20120810#${errorType}`,
              message: 'Rate exceeded',
            }),
          );
        });
      });
      servers.push(throttling);
      const api = await startTodoApi({ endpoint: await listen(throttling), config: fastFailing(1) });

      // Act
      const result = await api.invoke({ method: 'GET', path: '/todos/abc' });
      await api.close();

      // Assess
      expect(result.status).toBe(503);
      expect(result.headers['retry-after']).toBe('1');
    },
  );

  it('returns a generic 500 with only the request id for an unexpected error, and logs the details', async () => {
    // Prepare: a table that does not exist makes DynamoDB answer ResourceNotFoundException.
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const api = await startTodoApi({ config: (config) => ({ ...config, tableName: 'no-such-table' }) });

    // Act
    const result = await api.invoke({ method: 'GET', path: '/todos/abc' });
    await api.close();

    // Assess
    expect(result.status).toBe(500);
    expect(result.json).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: `An unexpected error occurred; quote ${result.requestId} when reporting it`,
      instance: result.requestId,
    });
    const line = JSON.parse(String(errors.mock.calls.at(-1)?.[0])) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'ERROR',
      requestId: result.requestId,
      error: { name: 'ResourceNotFoundException' },
    });
    errors.mockRestore();
  });

  it('reports errors to onError and answers normally even when onError throws', async () => {
    // Prepare
    const seen: [string, number][] = [];
    const handler = createHandler({
      config: () => loadConfig({ TABLE_NAME: 'unused' }),
      onError: (error, status) => {
        seen.push([(error as Error).name, status]);
        throw new Error('observer failure');
      },
    });

    // Act
    const result = await handler(httpApiEvent({ method: 'DELETE', path: '/todos' }));

    // Assess
    expect(result.statusCode).toBe(405);
    expect(seen).toEqual([['MethodNotAllowedError', 405]]);
  });

  it('fails the invocation naming TABLE_NAME when it is not set', async () => {
    // Prepare
    const handler = createHandler({ config: () => loadConfig({}) });

    // Act
    const invocation = handler(httpApiEvent({ method: 'GET', path: '/todos' }));

    // Assess
    await expect(invocation).rejects.toThrow(ConfigurationError);
    await expect(handler(httpApiEvent({ method: 'GET', path: '/todos' }))).rejects.toThrow(/TABLE_NAME/);
  });
});
