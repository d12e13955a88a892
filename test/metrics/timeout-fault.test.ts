import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXTENSION_METRICS } from '../../extension/src/metric-names';
import { startEmbeddedDynamoDB } from '../../local/dynamodb';
import { type DynamoDBFaultProxy, startDynamoDBFaultProxy } from '../../local/faults/dynamodb-fault-proxy';
import type { StoredMetric } from '../../local/logs/metric-store';
import { readStoredSegments, type StoredSegment } from '../../local/xray/trace-store';
import {
  dataPoints,
  type RecordingSandbox,
  recordsOf,
  sampledTraceHeader,
  startRecordingSandbox,
} from './support/recording-sandbox';

// The built todo handler and extension layer in the sandbox, DynamoDB behind the fault proxy.
// With DynamoDB answering after 10 s, the handler's SDK (2 s request timeout, 3 attempts) is
// still waiting when the 2 s function timeout ends the invocation: the runtime is stopped before
// the handler can send its span, and the extension gets the timeout only from the Telemetry API.
const FUNCTION_TIMEOUT_SEC = 2;

let dynamodb: { endpoint: string; close(): Promise<void> };
let proxy: DynamoDBFaultProxy;
let recording: RecordingSandbox;
let warm: { root: string; status: number };
let timedOut: { root: string; status: number };
let segments: StoredSegment[];
let stored: StoredMetric[];

beforeAll(async () => {
  dynamodb = await startEmbeddedDynamoDB({ tables: ['todos'] });
  proxy = await startDynamoDBFaultProxy({ upstream: dynamodb.endpoint });
  recording = await startRecordingSandbox({
    concurrency: 1,
    timeoutSec: FUNCTION_TIMEOUT_SEC,
    dynamodbEndpoint: proxy.endpoint,
  });
  const call = async (tag: string) => {
    const { root, header } = sampledTraceHeader(tag);
    const response = await fetch(`${recording.sandbox.apiUrl}/todos`, {
      headers: { 'x-amzn-trace-id': header },
    });
    await response.arrayBuffer();
    return { root, status: response.status };
  };
  try {
    warm = await call('b0');
    await proxy.setFault({ mode: 'slow', delayMs: 10_000 });
    timedOut = await call('b1');
  } finally {
    await recording.sandbox.close();
  }
  segments = await readStoredSegments(recording.sandbox.paths.xray);
  stored = await recording.sandbox.metrics.query({ namespace: EXTENSION_METRICS.defaultNamespace });
}, 120_000);

afterAll(async () => {
  await recording?.close();
  await proxy?.close();
  await dynamodb?.close();
});

const ofTrace = (root: string) => segments.filter((s) => s.document.trace_id === root);

describe('an invocation that times out', () => {
  it('is reported by the platform as a timeout', () => {
    // Assess
    expect(warm.status).toBe(200);
    expect(timedOut.status).toBeGreaterThanOrEqual(500);
    expect(recordsOf<{ status: string }>(recording.platform, 'platform.report').map((r) => r.status)).toEqual(
      ['success', 'timeout'],
    );
  });

  it('gets a synthesized span under its function segment, a fault with the timeout as cause', () => {
    // Prepare
    const trace = ofTrace(timedOut.root);
    const functionSegment = trace.find((s) => s.document.origin === 'AWS::Lambda::Function')!.document;

    // Act
    const exported = trace.filter((s) => s.source === 'put-trace-segments').map((s) => s.document);

    // Assess
    expect(exported).toHaveLength(1);
    expect(exported[0]).toMatchObject({
      type: 'subsegment',
      parent_id: functionSegment.id,
      name: 'todos',
      fault: true,
      cause: { exceptions: [{ message: expect.stringMatching(/^Task timed out after 2\.\d\d seconds$/) }] },
    });
  });

  it('leaves the invocation that succeeded with its own handler span and no synthesized one', () => {
    // Prepare
    const trace = ofTrace(warm.root);
    const functionSegment = trace.find((s) => s.document.origin === 'AWS::Lambda::Function')!.document;

    // Act
    const entries = trace.filter(
      (s) => s.source === 'put-trace-segments' && s.document.parent_id === functionSegment.id,
    );

    // Assess
    expect(entries).toHaveLength(1);
    expect(entries[0]!.document.name).toBe('GET /todos');
    expect(entries[0]!.document.fault).toBeUndefined();
  });

  it('counts one timeout and no crash among the invocations', () => {
    // Act
    const timeouts = dataPoints(stored.filter((m) => m.metricName === EXTENSION_METRICS.timeouts));
    const crashes = dataPoints(stored.filter((m) => m.metricName === EXTENSION_METRICS.crashes));

    // Assess
    expect(timeouts).toEqual([0, 1]);
    expect(crashes).toEqual([0, 0]);
  });

  it('records the timed-out invocation duration from its platform.report', () => {
    // Prepare
    const reports = recordsOf<{ metrics: { durationMs: number } }>(recording.platform, 'platform.report');

    // Act
    const durations = dataPoints(stored.filter((m) => m.metricName === EXTENSION_METRICS.duration));

    // Assess
    expect(durations).toEqual(reports.map((r) => r.metrics.durationMs).sort((a, b) => a - b));
  });
});
