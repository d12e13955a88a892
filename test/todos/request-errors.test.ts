import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpApiEvent, newTraceHeader } from '../support/http-api-event';
import { parseResult, startTodoApi, type TodoApi } from '../support/todo-api';

describe('request errors and response headers', () => {
  let api: TodoApi;
  beforeAll(async () => {
    api = await startTodoApi();
  });
  afterAll(async () => {
    await api.close();
  });

  const json = { 'content-type': 'application/json' };

  it('runs no operation for a request API Gateway sent to $default, though the router knows its path', async () => {
    // Prepare: $default carries what matched no route, without the authorizer; a path both
    // matchers read alike never gets here, so this is a request the two read differently.
    const event = {
      ...httpApiEvent({ method: 'POST', path: '/todos', body: { text: 'x' } }),
      routeKey: '$default',
    };

    // Act
    const created = parseResult(await api.handler(event), event.requestContext.requestId, undefined);
    const listed = await api.invoke({ method: 'GET', path: '/todos' });

    // Assess: for the API the path has no such route, so the answer is the 405 of its methods.
    expect(created.status).toBe(405);
    expect(created.headers.allow).toBe('GET, POST');
    expect(created.headers['content-type']).toBe('application/problem+json');
    expect(listed.json).toEqual([]);
  });

  it('answers malformed JSON with a 400 problem carrying the request id', async () => {
    // Act
    const result = await api.invoke({ method: 'POST', path: '/todos', headers: json, body: '{"text": "x",' });

    // Assess
    expect(result.status).toBe(400);
    expect(result.headers['content-type']).toBe('application/problem+json');
    expect(result.json).toEqual({
      type: 'urn:todos:problem:validation-error',
      title: 'Request is not valid',
      status: 400,
      detail: 'body: is not valid JSON',
      instance: result.requestId,
      errors: [{ field: 'body', message: 'is not valid JSON' }],
    });
  });

  it.each([
    ['an array', '[]'],
    ['a string', '"text"'],
    ['null', 'null'],
    ['an empty body', ''],
  ])('returns 400 when the body is %s', async (_, body) => {
    // Act
    const result = await api.invoke({ method: 'POST', path: '/todos', headers: json, body });

    // Assess
    expect(result.status).toBe(400);
    expect(result.json).toMatchObject({ errors: [{ field: 'body' }] });
  });

  it('returns 400, not 415, when a PUT has no body and no Content-Type', async () => {
    // Prepare
    await api.invoke({ method: 'POST', path: '/todos', body: { id: 'no-body', text: 'x' } });

    // Act
    const result = await api.invoke({ method: 'PUT', path: '/todos/no-body' });

    // Assess
    expect(result.status).toBe(400);
    expect(result.json).toMatchObject({
      errors: [{ field: 'body', message: expect.stringContaining('required') }],
    });
  });

  it('reads header names case-insensitively when an event source does not lower-case them', async () => {
    // Prepare
    const created = await api.invoke({
      method: 'POST',
      path: '/todos',
      body: { id: 'mixed-case', text: 'x' },
    });
    const event = httpApiEvent({ method: 'GET', path: '/todos/mixed-case' });
    event.headers = { 'If-None-Match': created.headers.etag! };

    // Act
    const result = await api.handler(event);

    // Assess
    expect(result.statusCode).toBe(304);
  });

  it('lists every field of the wrong type', async () => {
    // Act
    const result = await api.invoke({
      method: 'POST',
      path: '/todos',
      body: { text: 42, done: 'yes', id: 7 },
    });

    // Assess
    expect(result.status).toBe(400);
    expect(result.json).toMatchObject({
      errors: [
        { field: 'text', message: 'must be a string' },
        { field: 'done', message: 'must be true or false' },
        { field: 'id', message: expect.any(String) },
      ],
    });
  });

  it('rejects unknown fields by name', async () => {
    // Act
    const result = await api.invoke({
      method: 'POST',
      path: '/todos',
      body: { text: 'x', priority: 1, version: 9 },
    });

    // Assess
    expect(result.status).toBe(400);
    const fields = (result.json as { errors: { field: string }[] }).errors.map((error) => error.field);
    expect(fields).toEqual(['priority', 'version']);
  });

  it.each([
    ['empty', ''],
    ['only whitespace', ' \t\n'],
  ])('rejects text that is %s', async (_, text) => {
    // Act
    const result = await api.invoke({ method: 'POST', path: '/todos', body: { text } });

    // Assess
    expect(result.status).toBe(400);
    expect(result.json).toMatchObject({ errors: [{ field: 'text', message: 'must not be empty' }] });
  });

  it('counts text in code points: 1,000 emoji pass, 1,001 characters do not', async () => {
    // Prepare: each emoji is two UTF-16 units, so 1,000 of them are 2,000 units long.
    const emoji = '\u{1F600}'.repeat(1000);

    // Act
    const fits = await api.invoke({ method: 'POST', path: '/todos', body: { text: emoji } });
    const tooLong = await api.invoke({ method: 'POST', path: '/todos', body: { text: 'a'.repeat(1001) } });

    // Assess
    expect(fits.status).toBe(201);
    expect((fits.json as { text: string }).text).toBe(emoji);
    expect(tooLong.status).toBe(400);
    expect(tooLong.json).toMatchObject({
      errors: [{ field: 'text', message: 'must be at most 1000 characters' }],
    });
  });

  it('rejects text with an unpaired surrogate', async () => {
    // Act
    const result = await api.invoke({
      method: 'POST',
      path: '/todos',
      headers: json,
      body: '{"text":"\\ud800x"}',
    });

    // Assess
    expect(result.status).toBe(400);
    expect(result.json).toMatchObject({ errors: [{ field: 'text' }] });
  });

  it('returns 413 for a body over 64 KiB, plain or base64-encoded', async () => {
    // Prepare
    const body = JSON.stringify({ text: 'x', padding: ' '.repeat(64 * 1024) });

    // Act
    const plain = await api.invoke({ method: 'POST', path: '/todos', headers: json, body });
    const encoded = await api.invoke({ method: 'POST', path: '/todos', headers: json, body, base64: true });

    // Assess
    for (const result of [plain, encoded]) {
      expect(result.status).toBe(413);
      expect(result.json).toMatchObject({ status: 413, instance: result.requestId });
    }
  });

  it('accepts a base64-encoded body as API Gateway sends binary media types', async () => {
    // Act
    const result = await api.invoke({
      method: 'POST',
      path: '/todos',
      body: { text: 'sent as base64: é ✓' },
      base64: true,
    });

    // Assess
    expect(result.status).toBe(201);
    expect(result.json).toMatchObject({ text: 'sent as base64: é ✓' });
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['a non-UTF-8 charset', 'application/json; charset=iso-8859-1'],
    ['merge patch on POST', 'application/merge-patch+json'],
  ])('returns 415 for %s', async (_, contentType) => {
    // Act
    const result = await api.invoke({
      method: 'POST',
      path: '/todos',
      headers: { 'content-type': contentType },
      body: '{"text":"x"}',
    });

    // Assess
    expect(result.status).toBe(415);
    expect(result.json).toMatchObject({ status: 415, title: 'Unsupported media type' });
  });

  it('accepts application/json with a UTF-8 charset parameter', async () => {
    // Act
    const result = await api.invoke({
      method: 'POST',
      path: '/todos',
      headers: { 'Content-Type': 'Application/JSON; charset="UTF-8"' },
      body: '{"text":"x"}',
    });

    // Assess
    expect(result.status).toBe(201);
  });

  it('returns 415 with Accept-Patch when a PATCH has no Content-Type', async () => {
    // Prepare
    await api.invoke({ method: 'POST', path: '/todos', body: { id: 'patch-415', text: 'x' } });

    // Act
    const result = await api.invoke({ method: 'PATCH', path: '/todos/patch-415', body: '{"done":true}' });

    // Assess
    expect(result.status).toBe(415);
    expect(result.headers['accept-patch']).toBe('application/merge-patch+json, application/json');
  });

  it.each(['/', '/todo', '/todos/a/b', '/todos/'])(
    'returns 404 problem for the unknown route %s',
    async (path) => {
      // Act
      const result = await api.invoke({ method: 'GET', path });

      // Assess
      expect(result.status).toBe(404);
      expect(result.json).toMatchObject({ status: 404, instance: result.requestId });
    },
  );

  it.each([
    ['DELETE', '/todos', 'GET, POST'],
    ['POST', '/todos/abc', 'GET, PUT, PATCH, DELETE'],
    ['OPTIONS', '/todos', 'GET, POST'],
  ])('returns 405 with Allow for %s %s', async (method, path, allow) => {
    // Act
    const result = await api.invoke({ method, path });

    // Assess
    expect(result.status).toBe(405);
    expect(result.headers.allow).toBe(allow);
    expect(result.json).toMatchObject({ status: 405, title: 'Method not allowed' });
  });

  it('sends x-request-id and echoes x-amzn-trace-id on success and on error', async () => {
    // Prepare
    const traceHeader = newTraceHeader();

    // Act
    const ok = await api.invoke({ method: 'GET', path: '/todos', traceHeader });
    const failed = await api.invoke({ method: 'GET', path: '/nowhere', traceHeader });

    // Assess
    for (const result of [ok, failed]) {
      expect(result.headers['x-request-id']).toBe(result.requestId);
      expect(result.headers['x-amzn-trace-id']).toBe(traceHeader);
    }
  });

  it('sends no x-amzn-trace-id when the request is not traced', async () => {
    // Act
    const result = await api.invoke({ method: 'GET', path: '/todos', traceHeader: null });

    // Assess
    expect(result.headers['x-request-id']).toBe(result.requestId);
    expect(result.headers['x-amzn-trace-id']).toBeUndefined();
  });
});
