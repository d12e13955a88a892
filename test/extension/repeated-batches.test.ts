import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BATCH_ID_LENGTH, RECEIVER_HEADERS } from '../../contracts/telemetry-receiver';
import type { TelemetrySpan } from '../../extension/src/otlp/span';
import { OtlpReceiver } from '../../extension/src/otlp-receiver';
import { PipelineCounters } from '../../extension/src/pipeline-counters';
import { RecentBatches } from '../../extension/src/recent-batches';

// The receiver takes a batch once per batch id (the contract's Idempotency-Key): a repeat gets
// the first answer and reaches no sink. Real HTTP on loopback; the sinks are in-memory.

let receiver: OtlpReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function startReceiver(options: { recentBatches?: RecentBatches } = {}) {
  const spans: TelemetrySpan[] = [];
  const lines: string[] = [];
  const counters = new PipelineCounters();
  receiver = new OtlpReceiver({
    address: { host: '127.0.0.1', port: 0 },
    maxBodyBytes: 64 * 1024,
    spans: { add: (batch) => spans.push(...batch) && 0 },
    emf: { add: (line) => lines.push(line) > 0 },
    counters,
    recentBatches: options.recentBatches,
  });
  const { port } = await receiver.listen();
  return {
    base: `http://127.0.0.1:${port}`,
    spans,
    lines,
    counters,
  };
}

const SPANS_JSON = JSON.stringify({
  resourceSpans: [
    {
      scopeSpans: [
        {
          spans: [
            {
              traceId: '5759e988bd862e3fe1be46a994272793',
              spanId: '53995c3f42cd8ad8',
              name: 'GET /todos',
              kind: 2,
              startTimeUnixNano: '1700000000000000000',
              endTimeUnixNano: '1700000000001000000',
            },
          ],
        },
      ],
    },
  ],
});

const post = (url: string, contentType: string, body: string, batchId?: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(batchId ? { [RECEIVER_HEADERS.batchId]: batchId } : {}) },
    body,
  });

describe('repeated batches at the receiver', () => {
  it('answers a repeated EMF batch as the first time and hands its documents over once', async () => {
    // Prepare
    const { base, lines, counters } = await startReceiver();
    const body = '{"_aws":{"a":1}}\n{"_aws":{"a":2}}\n';

    // Act
    const first = await post(`${base}/emf`, 'application/x-ndjson', body, '"p-1"');
    const repeat = await post(`${base}/emf`, 'application/x-ndjson', body, '"p-1"');
    const other = await post(`${base}/emf`, 'application/x-ndjson', body, '"p-2"');

    // Assess
    expect([first.status, repeat.status, other.status]).toEqual([200, 200, 200]);
    expect(await repeat.json()).toEqual(await first.json());
    expect(lines).toHaveLength(4);
    expect(counters.batchesRepeated).toBe(1);
  });

  it('answers a repeated span batch with the first export response and decodes it once', async () => {
    // Prepare
    const { base, spans } = await startReceiver();

    // Act
    const first = await post(`${base}/v1/traces`, 'application/json', SPANS_JSON, 'bare-token-7');
    const repeat = await post(`${base}/v1/traces`, 'application/json', SPANS_JSON, 'bare-token-7');

    // Assess
    expect(repeat.headers.get('content-type')).toBe('application/json');
    expect(await repeat.text()).toBe(await first.text());
    expect(spans).toHaveLength(1);
  });

  it('takes every request without a batch id, as any OTLP client sends them', async () => {
    // Prepare
    const { base, spans } = await startReceiver();

    // Act
    await post(`${base}/v1/traces`, 'application/json', SPANS_JSON);
    await post(`${base}/v1/traces`, 'application/json', SPANS_JSON);

    // Assess
    expect(spans).toHaveLength(2);
  });

  it('does not remember a batch it refused, so a repeat is taken afresh', async () => {
    // Prepare
    const recent = new RecentBatches();
    const { base, spans } = await startReceiver({ recentBatches: recent });

    // Act
    const refused = await post(`${base}/v1/traces`, 'text/plain', SPANS_JSON, '"p-9"');
    const remembered = recent.answerOf('p-9');
    const taken = await post(`${base}/v1/traces`, 'application/json', SPANS_JSON, '"p-9"');

    // Assess
    expect([refused.status, taken.status]).toEqual([415, 200]);
    expect(remembered).toBeUndefined();
    expect(recent.answerOf('p-9')?.status).toBe(200);
    expect(spans).toHaveLength(1);
  });

  it(`refuses a batch id longer than ${MAX_BATCH_ID_LENGTH} characters with 400 and takes nothing`, async () => {
    // Prepare
    const { base, lines } = await startReceiver();

    // Act
    const res = await post(
      `${base}/emf`,
      'application/x-ndjson',
      '{}\n',
      'x'.repeat(MAX_BATCH_ID_LENGTH + 1),
    );

    // Assess
    expect(res.status).toBe(400);
    expect(lines).toEqual([]);
  });

  it('forgets the oldest batch id beyond its capacity, so memory stays bounded', () => {
    // Prepare
    const recent = new RecentBatches(2);
    const answer = { status: 200, contentType: 'application/json', body: Buffer.from('{}') };

    // Act
    recent.remember('a', answer);
    recent.remember('b', answer);
    recent.remember('c', answer);

    // Assess
    expect(recent.size).toBe(2);
    expect(recent.answerOf('a')).toBeUndefined();
    expect(recent.answerOf('c')).toBe(answer);
  });
});
