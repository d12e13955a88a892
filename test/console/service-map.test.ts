import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TraceIndex } from '../../local/console/traces/trace-index';
import type { SegmentDocument } from '../../local/xray/trace-store';
import { appendSegments, requestSegments, segmentId, traceIdOf } from '../support/xray-requests';

const T0 = Date.parse('2026-11-30T10:00:00Z');
const RANGE = { from: T0 - 60_000, to: T0 + 60_000 };

let stateDir: string;
let xray: string;
let index: TraceIndex;

beforeEach(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'service-map-'));
  xray = path.join(stateDir, 'xray');
  index = new TraceIndex({ xrayDirectory: xray, logsDirectory: path.join(stateDir, 'logs') });
});

afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('service map', () => {
  it('draws Client → HTTP API → Lambda → function → DynamoDB with one request per trace', async () => {
    // Prepare
    for (let n = 0; n < 4; n += 1) {
      await appendSegments(
        xray,
        requestSegments({ traceId: traceIdOf(T0 + n, n), start: T0 + n, dynamodb: [{ operation: 'Query' }] }),
      );
    }

    // Act
    const map = await index.serviceMap(RANGE);

    // Assess
    expect(map.traceCount).toBe(4);
    expect(map.nodes.map((node) => [node.id, node.name, node.type, node.stats.requests])).toEqual([
      ['client', 'Client', 'client', 4],
      ['api', 'HTTP API', 'AWS::ApiGatewayV2::Api', 4],
      ['lambda:todos', 'todos', 'AWS::Lambda', 4],
      ['function:todos', 'todos', 'AWS::Lambda::Function', 4],
      ['aws:DynamoDB', 'DynamoDB', 'AWS::DynamoDB::Table', 4],
    ]);
    expect(map.edges.map((edge) => edge.id)).toEqual([
      'client->api',
      'api->lambda:todos',
      'lambda:todos->function:todos',
      'function:todos->aws:DynamoDB',
    ]);
    expect(map.nodes.every((node) => node.stats.health === 'ok')).toBe(true);
    expect(map.nodes.find((node) => node.type === 'AWS::Lambda::Function')!.version).toBeUndefined();
  });

  it('draws one function node per version when several versions ran in the range', async () => {
    // Prepare
    await appendSegments(xray, [
      ...requestSegments({
        traceId: traceIdOf(T0, 1),
        start: T0,
        version: '1',
        dynamodb: [{ operation: 'Query' }],
      }),
      ...requestSegments({ traceId: traceIdOf(T0, 2), start: T0 + 5, version: '1' }),
      ...requestSegments({
        traceId: traceIdOf(T0, 3),
        start: T0 + 10,
        version: '2',
        dynamodb: [{ operation: 'Query' }],
      }),
    ]);

    // Act
    const map = await index.serviceMap(RANGE);
    const onlyV2 = await index.serviceMap({ from: T0 + 8, to: T0 + 60_000 });

    // Assess
    const functions = map.nodes.filter((node) => node.type === 'AWS::Lambda::Function');
    expect(functions.map((node) => [node.id, node.version, node.stats.requests])).toEqual([
      ['function:todos@1', '1', 2],
      ['function:todos@2', '2', 1],
    ]);
    expect(map.edges.map((edge) => edge.id)).toEqual(
      expect.arrayContaining([
        'lambda:todos->function:todos@1',
        'lambda:todos->function:todos@2',
        'function:todos@1->aws:DynamoDB',
        'function:todos@2->aws:DynamoDB',
      ]),
    );
    expect(
      onlyV2.nodes.filter((node) => node.type === 'AWS::Lambda::Function').map((node) => node.id),
    ).toEqual(['function:todos']);
  });

  it('counts fault and throttle shares as X-Ray does and colours by the worst', async () => {
    // Prepare: 4 requests: one 500, one with a throttled DynamoDB call, one 404, one fine.
    await appendSegments(xray, [
      ...requestSegments({ traceId: traceIdOf(T0, 1), start: T0, status: 500 }),
      ...requestSegments({
        traceId: traceIdOf(T0, 2),
        start: T0 + 1,
        dynamodb: [{ operation: 'PutItem', throttle: true }, { operation: 'PutItem' }],
      }),
      ...requestSegments({ traceId: traceIdOf(T0, 3), start: T0 + 2, status: 404 }),
      ...requestSegments({ traceId: traceIdOf(T0, 4), start: T0 + 3, dynamodb: [{ operation: 'Query' }] }),
    ]);

    // Act
    const map = await index.serviceMap(RANGE);

    // Assess
    const fn = map.nodes.find((node) => node.id === 'function:todos')!;
    expect(fn.stats).toMatchObject({
      requests: 4,
      faultShare: 0.25,
      errorShare: 0.25,
      throttleShare: 0,
      health: 'fault',
    });
    const dynamodb = map.nodes.find((node) => node.id === 'aws:DynamoDB')!;
    expect(dynamodb.stats).toMatchObject({
      requests: 3,
      throttleShare: 1 / 3,
      faultShare: 0,
      health: 'throttle',
    });
    expect(map.edges.find((edge) => edge.id === 'function:todos->aws:DynamoDB')!.stats.requests).toBe(3);
    const lambda = map.nodes.find((node) => node.id === 'lambda:todos')!;
    expect(lambda.stats.health).toBe('ok');
  });

  it('marks the function faulted on a timeout through the synthesized span', async () => {
    // Prepare
    await appendSegments(xray, requestSegments({ traceId: traceIdOf(T0, 1), start: T0, timedOut: true }));

    // Act
    const map = await index.serviceMap(RANGE);

    // Assess
    expect(map.nodes.find((node) => node.type === 'AWS::Lambda::Function')!.stats).toMatchObject({
      requests: 1,
      faultShare: 1,
      health: 'fault',
    });
  });

  it('gives other AWS services and remote calls nodes of their own', async () => {
    // Prepare
    const traceId = traceIdOf(T0, 1);
    const documents = requestSegments({ traceId, start: T0 });
    const handler = documents.find((document) => document.annotations !== undefined)!;
    const call = (name: string, namespace: string): SegmentDocument => ({
      name,
      id: segmentId(),
      trace_id: traceId,
      type: 'subsegment',
      parent_id: handler.id,
      namespace,
      start_time: (T0 + 10) / 1000,
      end_time: (T0 + 20) / 1000,
    });
    handler.subsegments = [call('SQS', 'aws')];
    await appendSegments(xray, [...documents, call('api.example.com', 'remote')]);

    // Act
    const map = await index.serviceMap(RANGE);

    // Assess
    expect(map.nodes.slice(4).map((node) => [node.id, node.type, node.stats.p50Ms])).toEqual([
      ['remote:api.example.com', 'remote', 10],
      ['aws:SQS', 'remote', 10],
    ]);
    expect(map.edges.map((edge) => edge.id)).toContain('function:todos->remote:api.example.com');
  });

  it('leaves the API node out when the function was invoked directly', async () => {
    // Prepare
    const documents = requestSegments({ traceId: traceIdOf(T0, 1), start: T0 }).map((document) => {
      if (!document.metadata) return document;
      const { metadata, ...rest } = document;
      return { ...rest, metadata: { resource: (metadata as { resource: unknown }).resource } };
    });
    await appendSegments(xray, documents);

    // Act
    const map = await index.serviceMap(RANGE);

    // Assess
    expect(map.edges.map((edge) => edge.id)).toEqual([
      'client->lambda:todos',
      'lambda:todos->function:todos',
    ]);
  });
});
