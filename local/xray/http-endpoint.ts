/**
 * The X-Ray HTTP endpoint (`AWS_ENDPOINT_URL_XRAY`): the `PutTraceSegments` API as the AWS
 * SDK calls it, and an OTLP/HTTP traces endpoint (`POST /v1/traces`) that keeps payloads raw.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listen } from '../http-listen';
import { parseSegmentDocument } from './segment-document';
import type { SegmentDocument, TraceStore } from './trace-store';

/** X-Ray's OTLP endpoint accepts at most 5 MB a request; the same bound guards PutTraceSegments. */
const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** A SigV4 `Authorization` header scoped to the `xray` service. */
const SIGV4_XRAY = /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/xray\/aws4_request,/;

export interface XRayHttpEndpoint {
  /** `http://127.0.0.1:<port>`: the value for `AWS_ENDPOINT_URL_XRAY`. */
  readonly url: string;
  readonly port: number;
  readonly close: () => Promise<void>;
}

class BodyTooLarge extends Error {}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Writes an error the way AWS JSON services do: `x-amzn-ErrorType` plus a `message` body. */
function sendAwsError(response: ServerResponse, status: number, type: string, message: string): void {
  const requestId = randomUUID();
  response.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-errortype': type,
    'x-amzn-requestid': requestId,
  });
  response.end(JSON.stringify({ message }));
}

async function putTraceSegments(
  store: TraceStore,
  request: IncomingMessage,
  response: ServerResponse,
  now: () => number,
) {
  if (!SIGV4_XRAY.test(request.headers.authorization ?? '')) {
    sendAwsError(response, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    return;
  }
  let input: { TraceSegmentDocuments?: unknown };
  try {
    input = JSON.parse((await readBody(request)).toString('utf8')) as typeof input;
  } catch (error) {
    if (error instanceof BodyTooLarge) {
      sendAwsError(response, 413, 'RequestEntityTooLargeException', 'Request entity too large');
    } else {
      sendAwsError(response, 400, 'InvalidRequestException', 'Request body is not valid JSON');
    }
    return;
  }
  const documents = input?.TraceSegmentDocuments;
  if (!Array.isArray(documents) || documents.some((document) => typeof document !== 'string')) {
    sendAwsError(response, 400, 'InvalidRequestException', 'TraceSegmentDocuments must be a list of strings');
    return;
  }
  const accepted: SegmentDocument[] = [];
  const unprocessed: { Id?: string; ErrorCode: string; Message: string }[] = [];
  const receivedAt = now();
  for (const text of documents as string[]) {
    // Refused documents (a trace id outside X-Ray's window among them) are listed, not stored.
    const parsed = parseSegmentDocument(text, receivedAt);
    if (parsed.ok) accepted.push(parsed.document);
    else
      unprocessed.push({
        ...(parsed.id ? { Id: parsed.id } : {}),
        ErrorCode: parsed.errorCode,
        Message: parsed.message,
      });
  }
  await store.addSegments('put-trace-segments', accepted);
  response.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() });
  response.end(JSON.stringify({ UnprocessedTraceSegments: unprocessed }));
}

// X-Ray's OTLP endpoint takes W3C trace ids as they are: no trace id window here.
async function otlpTraces(store: TraceStore, request: IncomingMessage, response: ServerResponse) {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const json = contentType === 'application/json';
  if (!json && contentType !== 'application/x-protobuf') {
    response.writeHead(415, { 'content-type': 'text/plain' });
    response.end('Unsupported content type: use application/x-protobuf or application/json');
    return;
  }
  let body: Buffer;
  try {
    body = await readBody(request);
  } catch {
    response.writeHead(413, { 'content-type': 'text/plain' });
    response.end('Request entity too large');
    return;
  }
  const contentEncoding = request.headers['content-encoding'];
  await store.addOtlp({
    source: 'otlp-http',
    contentType,
    ...(contentEncoding ? { contentEncoding } : {}),
    body: body.toString('base64'),
  });
  // An empty ExportTraceServiceResponse: `{}` in JSON, zero bytes in protobuf.
  response.writeHead(200, { 'content-type': contentType });
  response.end(json ? '{}' : Buffer.alloc(0));
}

/**
 * Starts the endpoint on `host:port` (0 picks a free port). `now` is the clock X-Ray's trace id
 * window is read against.
 */
export async function startXRayHttpEndpoint(
  store: TraceStore,
  host: string,
  port: number,
  now: () => number = Date.now,
): Promise<XRayHttpEndpoint> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const handle =
      request.method === 'POST' && path === '/TraceSegments'
        ? putTraceSegments
        : request.method === 'POST' && path === '/v1/traces'
          ? otlpTraces
          : undefined;
    if (!handle) {
      request.resume();
      sendAwsError(response, 404, 'UnknownOperationException', `No operation at ${request.method} ${path}`);
      return;
    }
    handle(store, request, response, now).catch(() => {
      if (!response.headersSent)
        sendAwsError(response, 500, 'InternalFailure', 'The trace store could not write');
      else response.destroy();
    });
  });
  return listen(server, port, host);
}
