/**
 * A fault-injecting HTTP proxy in front of a DynamoDB-compatible server
 * (dynalite here). Point a client's `AWS_ENDPOINT_URL_DYNAMODB` at it, then
 * switch faults on and off while requests are in flight:
 *
 * - `pass`: requests and responses go through untouched.
 * - `down`: `reset` accepts and resets every connection (the SDK sees ECONNRESET /
 *   socket hang up); `refuse` stops listening, so connects fail with ECONNREFUSED.
 * - `slow`: the upstream's answer is held back `delayMs` before it is relayed. The
 *   request itself reaches the server at once, so a write may be applied although its
 *   caller gave up waiting: the ambiguous outcome real timeouts have.
 * - `throttle`: answered by the proxy, as DynamoDB answers a throttled call: status 400,
 *   JSON 1.0 body with `__type` `com.amazonaws.dynamodb.v20120810#<exception>` and a
 *   message, `x-amzn-RequestId` and `x-amz-crc32` headers. The server never sees it.
 * - `error`: answered by the proxy the same way with another DynamoDB error: by default its own
 *   failure, status 500 `InternalServerError` (what the `SystemErrors` metric counts); any
 *   other `exception` and `status`, e.g. 400 `ValidationException` for a request DynamoDB
 *   refuses.
 *
 * Every fault may be limited to the next `times` requests, after which the proxy passes
 * again: the shape of a brief outage that the SDK's own retries ride out.
 *
 * @example
 * const proxy = await startDynamoDBFaultProxy({ upstream: dynamodb.endpoint });
 * proxy.setFault({ mode: 'throttle', exception: 'ThrottlingException', times: 1 });
 * // ... AWS_ENDPOINT_URL_DYNAMODB=proxy.endpoint ...
 * await proxy.close();
 */
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { crc32 } from 'node:zlib';

/** The two throttling errors DynamoDB answers with (the second for provisioned tables). */
type ThrottleException = 'ThrottlingException' | 'ProvisionedThroughputExceededException';

/** A fault to inject; `times` limits it to that many requests, unlimited when omitted. */
export type Fault =
  | { readonly mode: 'pass' }
  | { readonly mode: 'down'; readonly how: 'reset'; readonly times?: number }
  /** Refused connections never reach the proxy, so they are neither limited nor counted. */
  | { readonly mode: 'down'; readonly how: 'refuse' }
  | { readonly mode: 'slow'; readonly delayMs: number; readonly times?: number }
  | { readonly mode: 'throttle'; readonly exception: ThrottleException; readonly times?: number }
  | {
      readonly mode: 'error';
      /** @default 'InternalServerError' */
      readonly exception?: string;
      /** @default 500 */
      readonly status?: number;
      readonly times?: number;
    };

/** Requests the proxy has seen, by what it did with them. */
interface FaultProxyCounts {
  readonly passed: number;
  readonly reset: number;
  readonly delayed: number;
  readonly throttled: number;
  readonly failed: number;
}

/** A running proxy. */
export interface DynamoDBFaultProxy {
  /** `http://127.0.0.1:<port>`, fixed for the proxy's life (also across `refuse`). */
  readonly endpoint: string;
  /** Switches the fault; connections open under the previous fault are closed, so kept-alive sockets see it too. */
  setFault(fault: Fault): Promise<void>;
  readonly counts: () => FaultProxyCounts;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** The real server, e.g. dynalite's `http://127.0.0.1:<port>`. */
  readonly upstream: string;
  /** @default 0 (a free port) */
  readonly port?: number;
}

/** DynamoDB's own messages for the two throttling errors. */
const THROTTLE_MESSAGES: Readonly<Record<ThrottleException, string>> = {
  ThrottlingException: 'Rate of requests exceeds the allowed throughput.',
  ProvisionedThroughputExceededException:
    'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
};

/** Starts the proxy in `pass` mode. */
export async function startDynamoDBFaultProxy(options: FaultProxyOptions): Promise<DynamoDBFaultProxy> {
  const upstream = new URL(options.upstream);
  let fault: Fault = { mode: 'pass' };
  let remaining = Number.POSITIVE_INFINITY;
  const counts = { passed: 0, reset: 0, delayed: 0, throttled: 0, failed: 0 };
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  /** The fault for the next request, counting down a limited one. */
  function nextFault(): Fault {
    if (fault.mode === 'pass') return fault;
    if (remaining <= 0) return { mode: 'pass' };
    remaining -= 1;
    return fault;
  }

  function forward(request: IncomingMessage, response: ServerResponse, delayMs: number): void {
    const outgoing = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const relay = () => {
            if (response.destroyed) return;
            response.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
            response.end(Buffer.concat(chunks));
          };
          if (delayMs <= 0) return relay();
          const timer = setTimeout(() => {
            timers.delete(timer);
            relay();
          }, delayMs);
          timers.add(timer);
        });
      },
    );
    // The upstream going away mid-request is, to the client, a dropped connection.
    outgoing.on('error', () => response.destroy());
    request.pipe(outgoing);
  }

  /** Answers as DynamoDB answers an error of its own: the server never sees the request. */
  function answerError(
    request: IncomingMessage,
    response: ServerResponse,
    status: number,
    exception: string,
    message: string,
  ): void {
    request.resume();
    request.on('end', () => {
      const body = Buffer.from(
        JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${exception}`, message }),
      );
      response.writeHead(status, {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': String(body.length),
        'x-amzn-requestid': randomBytes(26).toString('base64url').slice(0, 52).toUpperCase(),
        'x-amz-crc32': String(crc32(body)),
      });
      response.end(body);
    });
  }

  const server = createServer((request, response) => {
    const current = nextFault();
    switch (current.mode) {
      case 'pass':
        counts.passed += 1;
        return forward(request, response, 0);
      case 'slow':
        counts.delayed += 1;
        return forward(request, response, current.delayMs);
      case 'throttle':
        counts.throttled += 1;
        return answerError(request, response, 400, current.exception, THROTTLE_MESSAGES[current.exception]);
      case 'error':
        counts.failed += 1;
        return answerError(
          request,
          response,
          current.status ?? 500,
          current.exception ?? 'InternalServerError',
          current.exception === undefined
            ? 'Internal server error'
            : `The proxy answered ${current.exception}`,
        );
      case 'down':
        counts.reset += 1;
        request.socket.resetAndDestroy();
        return;
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A reset socket may report errors after the fact; they are the fault, not the proxy's.
  server.on('clientError', (_error, socket) => socket.destroy());

  let port = options.port ?? 0;
  let listening = false;
  async function listen(): Promise<void> {
    if (listening) return;
    listening = true;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    port = (server.address() as AddressInfo).port;
  }
  async function stopListening(): Promise<void> {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    dropConnections();
    await closed;
  }
  function dropConnections(): void {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  }

  await listen();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async setFault(next) {
      fault = next;
      remaining = 'times' in next && next.times !== undefined ? next.times : Number.POSITIVE_INFINITY;
      if (next.mode === 'down' && next.how === 'refuse') {
        await stopListening();
      } else {
        dropConnections();
        await listen();
      }
    },
    counts: () => ({ ...counts }),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await stopListening();
    },
  };
}
