import { describe, expect, it } from 'vitest';
import { mapLambdaResult } from '../../local/http-api/response';

const success = (value: unknown) => ({
  status: 'success' as const,
  payload: Buffer.from(JSON.stringify(value)),
});

describe('HTTP API response mapping (payload 2.0)', () => {
  it('maps a structured result: status, lower-cased headers, one set-cookie per cookie, body', () => {
    // Act
    const response = mapLambdaResult(
      success({
        statusCode: 201,
        headers: { 'Content-Type': 'application/json', 'X-Count': 3 },
        cookies: ['a=1', 'b=2'],
        body: '{"id":"1"}',
      }),
    );

    // Assess
    expect(response.statusCode).toBe(201);
    expect(response.headers).toEqual([
      ['content-type', 'application/json'],
      ['x-count', '3'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ]);
    expect(response.body.toString()).toBe('{"id":"1"}');
  });

  it('decodes a base64 body', () => {
    // Act
    const response = mapLambdaResult(
      success({ statusCode: 200, body: Buffer.from([1, 2, 255]).toString('base64'), isBase64Encoded: true }),
    );

    // Assess
    expect([...response.body]).toEqual([1, 2, 255]);
  });

  it('answers a JSON value without statusCode as a 200 application/json response of that value', () => {
    // Act
    const response = mapLambdaResult(success({ todos: [] }));
    const text = mapLambdaResult(success('hello'));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual([['content-type', 'application/json']]);
    expect(JSON.parse(response.body.toString())).toEqual({ todos: [] });
    expect(text.body.toString()).toBe('"hello"');
  });

  it.each([
    ['a function error', { status: 'error' as const, payload: Buffer.from('{"errorMessage":"boom"}') }],
    ['a timeout', { status: 'timeout' as const, payload: Buffer.from('{}') }],
    ['output that is not JSON', { status: 'success' as const, payload: Buffer.from('not json') }],
    ['a status code out of range', success({ statusCode: 99 })],
    ['a body that is not a string', success({ statusCode: 200, body: { a: 1 } })],
    ['a header value that is an object', success({ statusCode: 200, headers: { a: { b: 1 } } })],
  ])('answers 502 Internal Server Error for %s', (_case, output) => {
    // Act
    const response = mapLambdaResult(output);

    // Assess
    expect(response.statusCode).toBe(502);
    expect(JSON.parse(response.body.toString())).toEqual({ message: 'Internal Server Error' });
  });
});
