import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutTraceSegmentsCommand, XRayClient } from '@aws-sdk/client-xray';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startXRayHttpEndpoint, type XRayHttpEndpoint } from '../../local/xray/http-endpoint';
import { newSegmentId, newTraceId } from '../../local/xray/trace-header';
import { readStoredOtlp, readStoredSegments, TraceStore } from '../../local/xray/trace-store';
import { startUdpDaemon, type UdpDaemon } from '../../local/xray/udp-daemon';
import { eventually } from '../support/eventually';

let dir: string;
let store: TraceStore;
let endpoint: XRayHttpEndpoint;
let daemon: UdpDaemon;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'xray-'));
  store = new TraceStore(dir);
  endpoint = await startXRayHttpEndpoint(store, '127.0.0.1', 0);
  daemon = await startUdpDaemon(store, '127.0.0.1', 0);
});

afterEach(async () => {
  await Promise.all([endpoint.close(), daemon.close()]);
  await rm(dir, { recursive: true, force: true });
});

const segment = (overrides: Record<string, unknown> = {}) => ({
  name: 'todos',
  id: newSegmentId(),
  trace_id: newTraceId(),
  start_time: Date.now() / 1000 - 0.2,
  end_time: Date.now() / 1000,
  ...overrides,
});

const client = () =>
  new XRayClient({
    endpoint: endpoint.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

const sendDatagram = (datagram: Buffer) =>
  new Promise<void>((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.send(datagram, daemon.port, '127.0.0.1', (error) => {
      socket.close();
      if (error) reject(error);
      else resolve();
    });
  });

/** UDP gives no acknowledgement: the store is polled until the datagram is in. */
const storedOnce = <T>(read: () => Promise<T[]>) => eventually(read, (items) => items.length > 0);

describe('X-Ray PutTraceSegments endpoint', () => {
  it('stores valid documents sent by the AWS SDK and reports invalid ones as unprocessed', async () => {
    // Prepare
    const good = segment({
      subsegments: [{ id: newSegmentId(), name: 'DynamoDB', namespace: 'aws', start_time: 1, end_time: 2 }],
    });
    const badId = segment({ id: 'not-hex' });

    // Act
    const result = await client().send(
      new PutTraceSegmentsCommand({
        TraceSegmentDocuments: [JSON.stringify(good), JSON.stringify(badId), '{oops'],
      }),
    );

    // Assess
    expect(result.UnprocessedTraceSegments).toEqual([
      { Id: 'not-hex', ErrorCode: 'InvalidSegment', Message: 'id must be 16 hexadecimal digits' },
      { ErrorCode: 'InvalidJson', Message: 'Segment document is not valid JSON' },
    ]);
    const stored = await readStoredSegments(dir);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ source: 'put-trace-segments', document: good });
  });

  it('keeps one document per segment id, the last sent, as X-Ray replaces a segment sent again', async () => {
    // Prepare: an in-progress segment, its completed form under the same id, and another segment
    const inProgress = segment({ in_progress: true, end_time: undefined });
    const completed = { ...inProgress, in_progress: undefined, end_time: inProgress.start_time + 1 };
    const other = segment();

    // Act
    for (const document of [inProgress, other, completed, completed]) {
      await client().send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [JSON.stringify(document)] }));
    }

    // Assess
    const stored = await readStoredSegments(dir);
    expect(stored.map((s) => s.document.id)).toEqual([other.id, inProgress.id]);
    expect(stored[1]!.document).toEqual(JSON.parse(JSON.stringify(completed)));
  });

  it('rejects an unsigned request with 403 as the service does', async () => {
    // Act
    const response = await fetch(`${endpoint.url}/TraceSegments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ TraceSegmentDocuments: [JSON.stringify(segment())] }),
    });

    // Assess
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(await readStoredSegments(dir)).toEqual([]);
  });
});

describe('X-Ray OTLP/HTTP traces endpoint', () => {
  it('stores a protobuf payload raw, with its encoding, and answers an empty export response', async () => {
    // Prepare
    const body = Buffer.from([0x0a, 0x02, 0x08, 0x01]);

    // Act
    const response = await fetch(`${endpoint.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      body,
    });

    // Assess
    expect(response.status).toBe(200);
    const [stored] = await readStoredOtlp(dir);
    expect(stored).toMatchObject({
      source: 'otlp-http',
      contentType: 'application/x-protobuf',
      contentEncoding: 'gzip',
    });
    expect(Buffer.from(stored!.body, 'base64')).toEqual(body);
  });

  it('answers 415 for a content type OTLP does not define', async () => {
    // Act
    const response = await fetch(`${endpoint.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });

    // Assess
    expect(response.status).toBe(415);
  });
});

describe('X-Ray daemon UDP protocol', () => {
  it('stores a segment sent as header line plus document', async () => {
    // Prepare
    const document = segment();

    // Act
    await sendDatagram(Buffer.from(`{"format": "json", "version": 1}\n${JSON.stringify(document)}`));

    // Assess
    const [stored] = await storedOnce(() => readStoredSegments(dir));
    expect(stored).toMatchObject({ source: 'udp', document });
  });

  it('stores an OTLP datagram raw with its sampling prefix', async () => {
    // Prepare
    const payload = Buffer.from([0x0a, 0x00, 0x12, 0x03]);

    // Act
    await sendDatagram(Buffer.concat([Buffer.from('T1U'), payload]));

    // Assess
    const [stored] = await storedOnce(() => readStoredOtlp(dir));
    expect(stored).toMatchObject({ source: 'udp', sampled: false });
    expect(Buffer.from(stored!.body, 'base64')).toEqual(payload);
  });
});
