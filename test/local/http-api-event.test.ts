import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/todos/routes';
import { buildHttpApiEvent, formatRequestTime, type HttpRequestSnapshot } from '../../local/http-api/event';
import { selectRoute } from '../../local/http-api/routes';

const request = (overrides: Partial<HttpRequestSnapshot> = {}): HttpRequestSnapshot => ({
  method: 'GET',
  target: '/todos',
  rawHeaders: ['Host', '127.0.0.1:3000', 'User-Agent', 'curl/8.5.0'],
  body: Buffer.alloc(0),
  sourceIp: '127.0.0.1',
  protocol: 'HTTP/1.1',
  port: 3000,
  ...overrides,
});

const context = (method: string, path: string) => {
  const route = selectRoute(ROUTES, method, path);
  if (!route) throw new Error(`no route for ${method} ${path}`);
  return {
    route,
    requestId: 'JKJaXmPLvHcESHA=',
    time: new Date(Date.UTC(2020, 2, 12, 19, 3, 58, 123)),
    traceHeader: 'Root=1-5e6a8b2e-0123456789abcdef01234567;Sampled=1',
    apiId: 'abcdef1234',
    accountId: '123456789012',
  };
};

describe('HTTP API route selection', () => {
  it('selects the templated route and decodes its path parameter', () => {
    // Act
    const route = selectRoute(ROUTES, 'PATCH', '/todos/a%20b');

    // Assess
    expect(route).toEqual({ routeKey: 'PATCH /todos/{id}', pathParameters: { id: 'a b' } });
  });

  it('prefers a literal segment over a parameter and a method over ANY', () => {
    // Prepare
    const routes = [
      { method: 'ANY', path: '/items/{id}' },
      { method: 'GET', path: '/items/{id}' },
      { method: 'GET', path: '/items/special' },
      { method: 'GET', path: '/{proxy+}' },
    ];

    // Act
    const special = selectRoute(routes, 'GET', '/items/special');
    const byId = selectRoute(routes, 'GET', '/items/7');
    const other = selectRoute(routes, 'DELETE', '/items/7');
    const greedy = selectRoute(routes, 'GET', '/a/b/c');

    // Assess
    expect(special?.routeKey).toBe('GET /items/special');
    expect(byId?.routeKey).toBe('GET /items/{id}');
    expect(other?.routeKey).toBe('ANY /items/{id}');
    expect(greedy).toEqual({ routeKey: 'GET /{proxy+}', pathParameters: { proxy: 'a/b/c' } });
  });

  it('selects nothing for an unknown path, a trailing slash or an undefined method', () => {
    // Act and assess
    expect(selectRoute(ROUTES, 'GET', '/nothing')).toBeUndefined();
    expect(selectRoute(ROUTES, 'GET', '/todos/')).toBeUndefined();
    expect(selectRoute(ROUTES, 'POST', '/todos/1')).toBeUndefined();
  });
});

describe('HTTP API payload 2.0 event', () => {
  it('lower-cases header names, comma-joins repeats and moves cookies to cookies', () => {
    // Prepare
    const rawHeaders = [
      'Host',
      'api.local',
      'X-Custom',
      'one',
      'x-custom',
      'two',
      'Cookie',
      'a=1; b=2',
      'cookie',
      'c=3',
      'Connection',
      'keep-alive',
    ];

    // Act
    const event = buildHttpApiEvent(request({ rawHeaders }), context('GET', '/todos'));

    // Assess
    expect(event.headers['x-custom']).toBe('one,two');
    expect(event.headers.host).toBe('api.local');
    expect(event.headers).not.toHaveProperty('cookie');
    expect(event.headers).not.toHaveProperty('connection');
    expect(event.cookies).toEqual(['a=1', 'b=2', 'c=3']);
  });

  it('keeps the raw query string and comma-joins repeated parameters, decoded', () => {
    // Act
    const event = buildHttpApiEvent(
      request({ target: '/todos?limit=5&tag=a&tag=b%20c&q=x+y' }),
      context('GET', '/todos'),
    );

    // Assess
    expect(event.rawPath).toBe('/todos');
    expect(event.rawQueryString).toBe('limit=5&tag=a&tag=b%20c&q=x+y');
    expect(event.queryStringParameters).toEqual({ limit: '5', tag: 'a,b c', q: 'x y' });
  });

  it('carries the route key, path parameters, request id and the request time in both forms', () => {
    // Act
    const event = buildHttpApiEvent(
      request({ method: 'DELETE', target: '/todos/42' }),
      context('DELETE', '/todos/42'),
    );

    // Assess
    expect(event.version).toBe('2.0');
    expect(event.routeKey).toBe('DELETE /todos/{id}');
    expect(event.pathParameters).toEqual({ id: '42' });
    expect(event.requestContext).toMatchObject({
      routeKey: 'DELETE /todos/{id}',
      requestId: 'JKJaXmPLvHcESHA=',
      stage: '$default',
      time: '12/Mar/2020:19:03:58 +0000',
      timeEpoch: Date.UTC(2020, 2, 12, 19, 3, 58, 123),
      http: {
        method: 'DELETE',
        path: '/todos/42',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'curl/8.5.0',
      },
    });
    expect(event.headers['x-amzn-trace-id']).toBe('Root=1-5e6a8b2e-0123456789abcdef01234567;Sampled=1');
    expect(event.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('passes a JSON body as text and a binary body as base64', () => {
    // Prepare
    const json = Buffer.from('{"text":"milk ✓"}');
    const binary = Buffer.from([0xff, 0x00, 0x10, 0x80]);

    // Act
    const textEvent = buildHttpApiEvent(
      request({
        method: 'POST',
        body: json,
        rawHeaders: ['Content-Type', 'application/json; charset=utf-8'],
      }),
      context('POST', '/todos'),
    );
    const binaryEvent = buildHttpApiEvent(
      request({ method: 'POST', body: binary, rawHeaders: ['Content-Type', 'application/octet-stream'] }),
      context('POST', '/todos'),
    );

    // Assess
    expect(textEvent).toMatchObject({ body: '{"text":"milk ✓"}', isBase64Encoded: false });
    expect(binaryEvent).toMatchObject({ body: binary.toString('base64'), isBase64Encoded: true });
    expect(binaryEvent.headers['content-length']).toBe('4');
  });

  it('omits body, cookies, query and path parameters when the request has none', () => {
    // Act
    const event = buildHttpApiEvent(request(), context('GET', '/todos'));

    // Assess
    expect(event).not.toHaveProperty('body');
    expect(event).not.toHaveProperty('cookies');
    expect(event).not.toHaveProperty('queryStringParameters');
    expect(event).not.toHaveProperty('pathParameters');
    expect(event.isBase64Encoded).toBe(false);
  });

  it('formats the request time as API Gateway does, zero-padded in UTC', () => {
    // Act and assess
    expect(formatRequestTime(new Date(Date.UTC(2026, 0, 5, 3, 4, 5)))).toBe('05/Jan/2026:03:04:05 +0000');
  });
});
