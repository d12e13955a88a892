import { describe, expect, it } from 'vitest';
import { MAX_DOCUMENT_BYTES, spanToSegment } from '../../extension/src/exporters/xray-segments';
import { FUNCTION_SEGMENT_ID, span } from './span-fixtures';

const context = { region: 'eu-west-1' };

describe('span to X-Ray segment translation', () => {
  it('hangs the handler SERVER span under the Lambda function segment with http, annotations and metadata', () => {
    // Prepare
    const server = span({
      name: 'GET /todos/{id}',
      kind: 2,
      attributes: {
        'http.request.method': 'GET',
        'url.path': '/todos/42',
        'url.scheme': 'https',
        'server.address': 'api.example.com',
        'user_agent.original': 'curl/8',
        'client.address': '203.0.113.9',
        'http.route': '/todos/{id}',
        'http.response.status_code': 200,
        'http.response.body.size': 321,
        'faas.coldstart': true,
        'faas.invocation_id': 'req-1',
        'request.bytes': 12_345_678_901_234_567_890n,
      },
    });

    // Act
    const doc = spanToSegment(server, context);

    // Assess
    expect(doc).toMatchObject({
      type: 'subsegment',
      parent_id: FUNCTION_SEGMENT_ID,
      trace_id: '1-5bef4de7-ad49b0e87f6ef6c87fc2e700',
      id: '53995c3f42cd8ad8',
      name: 'GET /todos/id',
      start_time: 1542409191.123456,
      end_time: 1542409191.223456,
      http: {
        request: {
          method: 'GET',
          url: 'https://api.example.com/todos/42',
          user_agent: 'curl/8',
          client_ip: '203.0.113.9',
        },
        response: { status: 200, content_length: 321 },
      },
      annotations: { route: '/todos/{id}', cold_start: true },
      metadata: {
        default: { 'faas.invocation_id': 'req-1', 'request.bytes': '12345678901234567890' },
        resource: { 'service.name': 'todos' },
      },
    });
    expect(doc.namespace).toBeUndefined();
    expect(doc.fault ?? doc.error ?? doc.throttle).toBeUndefined();
  });

  it('makes a DynamoDB client span an aws-namespace node with operation, table, request id, region and its exception as cause', () => {
    // Prepare
    const client = span({
      name: 'DynamoDB.PutItem',
      kind: 3,
      parentSpanId: '1111111111111111',
      attributes: {
        'rpc.system': 'aws-api',
        'rpc.service': 'DynamoDB',
        'rpc.method': 'PutItem',
        'aws.dynamodb.table_names': ['todos'],
        'aws.request_id': 'ABC123',
        'http.response.status_code': 500,
      },
      events: [
        {
          name: 'exception',
          timeUnixNano: 1n,
          attributes: {
            'exception.type': 'InternalServerError',
            'exception.message': 'Internal error',
            'exception.stacktrace':
              'InternalServerError: Internal error\n    at deserialize (/var/task/index.mjs:10:20)\n    at /var/task/index.mjs:30:5',
          },
        },
      ],
      status: { code: 2, message: 'Internal error' },
    });

    // Act
    const doc = spanToSegment(client, context);

    // Assess
    expect(doc).toMatchObject({
      name: 'DynamoDB',
      namespace: 'aws',
      type: 'subsegment',
      parent_id: '1111111111111111',
      aws: { operation: 'PutItem', table_name: 'todos', request_id: 'ABC123', region: 'eu-west-1' },
      fault: true,
      cause: {
        exceptions: [
          {
            type: 'InternalServerError',
            message: 'Internal error',
            remote: true,
            stack: [
              { label: 'deserialize', path: '/var/task/index.mjs', line: 10 },
              { label: '<anonymous>', path: '/var/task/index.mjs', line: 30 },
            ],
          },
        ],
      },
    });
    expect(doc.cause?.exceptions[0]?.id).toMatch(/^[0-9a-f]{16}$/);
    expect(doc.error).toBeUndefined();
  });

  it('marks DynamoDB throttling as throttle and error, not fault', () => {
    // Prepare
    const throttled = span({
      kind: 3,
      attributes: {
        'rpc.system': 'aws-api',
        'rpc.service': 'DynamoDB',
        'rpc.method': 'Query',
        'aws.dynamodb.table_names': ['a', 'b'],
        'http.response.status_code': 400,
        'aws.throttle': true,
        'aws.retries': 2,
      },
      status: { code: 2, message: 'Rate exceeded' },
    });

    // Act
    const doc = spanToSegment(throttled, context);

    // Assess
    expect(doc).toMatchObject({
      throttle: true,
      error: true,
      aws: { operation: 'Query', table_names: ['a', 'b'] },
    });
    expect(doc.fault).toBeUndefined();
    expect(doc.cause?.exceptions[0]?.message).toBe('Rate exceeded');
  });

  it('maps HTTP 429 to throttle, other 4xx to error, an ERROR status without HTTP to fault', () => {
    // Act
    const tooMany = spanToSegment(span({ attributes: { 'http.response.status_code': 429 } }), context);
    const notFound = spanToSegment(span({ attributes: { 'http.status_code': 404 } }), context);
    const failed = spanToSegment(span({ status: { code: 2, message: undefined } }), context);

    // Assess
    expect([tooMany.throttle, tooMany.error, tooMany.fault]).toEqual([true, true, undefined]);
    expect([notFound.throttle, notFound.error, notFound.fault]).toEqual([undefined, true, undefined]);
    expect([failed.throttle, failed.error, failed.fault]).toEqual([undefined, undefined, true]);
  });

  it('names other client calls after their peer in the remote namespace', () => {
    // Act
    const doc = spanToSegment(
      span({
        kind: 3,
        name: 'GET',
        attributes: {
          'url.full': 'https://payments.example.com/v1/charge?x=1',
          'http.request.method': 'GET',
        },
      }),
      context,
    );

    // Assess
    expect(doc).toMatchObject({
      name: 'payments.example.com',
      namespace: 'remote',
      http: { request: { method: 'GET', url: 'https://payments.example.com/v1/charge?x=1' } },
    });
  });

  it('writes a span without parent as a segment of its own and an unfinished span as in progress', () => {
    // Act
    const doc = spanToSegment(span({ parentSpanId: undefined, endTimeUnixNano: 0n, name: 'job' }), context);

    // Assess
    expect(doc.type).toBeUndefined();
    expect(doc.parent_id).toBeUndefined();
    expect(doc.in_progress).toBe(true);
    expect(doc.end_time).toBeUndefined();
    expect(doc.metadata?.resource).toEqual({ 'service.name': 'todos' });
  });

  it('sheds metadata to keep a document within the 64 kB limit', () => {
    // Act
    const doc = spanToSegment(
      span({ attributes: { big: 'x'.repeat(70_000), 'http.route': '/todos' } }),
      context,
    );

    // Assess
    expect(Buffer.byteLength(JSON.stringify(doc))).toBeLessThanOrEqual(MAX_DOCUMENT_BYTES);
    expect(doc.metadata).toBeUndefined();
    expect(doc.annotations).toEqual({ route: '/todos' });
  });
});
