/**
 * Span load as the handler would send it: OTLP/HTTP JSON `POST /v1/traces`, batches of SERVER
 * and CLIENT spans with X-Ray-compatible trace ids (epoch seconds in the first 8 hex digits).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';

/** One encoded request body and the number of spans in it. */
export interface SpanBatch {
  body: Buffer;
  spans: number;
}

const attribute = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** Encodes `size` spans: one SERVER span and `size − 1` DynamoDB CLIENT children, one trace. */
export function encodeSpanBatch(size: number, nowMs = Date.now()): SpanBatch {
  const traceId = `${Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, '0')}${randomBytes(12).toString('hex')}`;
  const rootId = randomBytes(8).toString('hex');
  const startNs = BigInt(nowMs) * 1_000_000n;
  const spans = [];
  for (let index = 0; index < size; index++) {
    const server = index === 0;
    spans.push({
      traceId,
      spanId: server ? rootId : randomBytes(8).toString('hex'),
      ...(server ? {} : { parentSpanId: rootId }),
      name: server ? 'GET /todos/{id}' : 'DynamoDB.GetItem',
      kind: server ? 2 : 3,
      startTimeUnixNano: String(startNs + BigInt(index) * 100_000n),
      endTimeUnixNano: String(startNs + BigInt(index) * 100_000n + 2_000_000n),
      attributes: server
        ? [
            attribute('http.request.method', 'GET'),
            attribute('http.route', '/todos/{id}'),
            attribute('faas.trigger', 'http'),
          ]
        : [
            attribute('rpc.system', 'aws-api'),
            attribute('rpc.service', 'DynamoDB'),
            attribute('rpc.method', 'GetItem'),
            {
              key: 'aws.dynamodb.table_names',
              value: { arrayValue: { values: [{ stringValue: 'todos' }] } },
            },
          ],
      status: { code: 1 },
    });
  }
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [attribute('service.name', 'todos'), attribute('cloud.provider', 'aws')] },
        scopeSpans: [{ scope: { name: 'bench' }, spans }],
      },
    ],
  };
  return { body: Buffer.from(JSON.stringify(body)), spans: size };
}

/** The outcome of one POST: spans the receiver accepted (a partial success names the rejected). */
export async function postSpans(agent: http.Agent, receiver: string, batch: SpanBatch): Promise<number> {
  const [host, port] = receiver.split(':');
  return new Promise<number>((resolve) => {
    const request = http.request(
      {
        host,
        port: Number(port),
        method: 'POST',
        path: '/v1/traces',
        agent,
        headers: { 'Content-Type': 'application/json', 'Content-Length': batch.body.length },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          if ((response.statusCode ?? 500) >= 300) return resolve(0);
          try {
            const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
              partialSuccess?: { rejectedSpans?: number | string };
            };
            resolve(batch.spans - Number(parsed.partialSuccess?.rejectedSpans ?? 0));
          } catch {
            resolve(batch.spans);
          }
        });
      },
    );
    // A refused or reset connection means nothing was accepted; the load goes on.
    request.on('error', () => resolve(0));
    request.end(batch.body);
  });
}

/**
 * Posts `spans` spans to `receiver` (`host:port`) in requests of `perRequest`, one request at a
 * time, as a single handler's flushes arrive; returns how many the receiver accepted.
 */
export async function postSpanLoad(receiver: string, spans: number, perRequest: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let accepted = 0;
  try {
    for (let sent = 0; sent < spans; sent += perRequest) {
      accepted += await postSpans(agent, receiver, encodeSpanBatch(Math.min(perRequest, spans - sent)));
    }
  } finally {
    agent.destroy();
  }
  return accepted;
}
