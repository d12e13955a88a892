/**
 * A measurement-only Extensions API endpoint: just enough of `register`, `event/next` and the
 * Telemetry API subscription for an extension to complete its init, timestamping each step on
 * the bench's clock. It runs no function; it exists so an extension process can be timed with
 * nothing else competing for the CPU. The bench drives the lifecycle by hand: INVOKE events,
 * Telemetry API deliveries to the subscribed listener, and SHUTDOWN with Lambda's 2,000 ms
 * deadline.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { withTimeout } from '../../common/deadline';

/** What the probe saw of one extension's init, in `performance.now()` milliseconds. */
export interface ProbeObservation {
  name: string;
  registeredAt: number;
  firstNextAt: number;
  subscribedToTelemetry: boolean;
  /** When the Telemetry API subscription arrived; undefined when none did. */
  subscribedAt: number | undefined;
}

const SHUTDOWN_DEADLINE_MS = 2_000;

/** One probe serves one extension process for one run. */
export class RegisterProbe {
  private registeredAt: number | undefined;
  private name = '';
  private subscribed = false;
  private subscribedAt: number | undefined;
  private pendingNext: http.ServerResponse | undefined;
  private readonly firstNext: Promise<number>;
  private resolveFirstNext!: (at: number) => void;
  private rejectFirstNext!: (error: Error) => void;
  private shuttingDown = false;
  private destination: URL | undefined;
  private nextWaiter: ((at: number) => void) | undefined;

  private constructor(private readonly server: http.Server) {
    this.firstNext = new Promise<number>((resolve, reject) => {
      this.resolveFirstNext = resolve;
      this.rejectFirstNext = reject;
    });
    // A run that never reaches `next` is reported, not left as an unhandled rejection.
    this.firstNext.catch(() => undefined);
  }

  /** Starts a probe on `host` (a loopback address) and an ephemeral port. */
  static async start(host: string): Promise<RegisterProbe> {
    let probe: RegisterProbe | undefined;
    const server = http.createServer((req, res) => probe!.handle(req, res));
    server.keepAliveTimeout = 60_000;
    probe = new RegisterProbe(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    return probe;
  }

  /** `host:port`, the value of `AWS_LAMBDA_RUNTIME_API` for the extension. */
  get runtimeApi(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `${address}:${port}`;
  }

  /** Resolves when the extension first waits on `event/next`; rejects after `timeoutMs`. */
  async observe(timeoutMs: number): Promise<ProbeObservation> {
    const firstNextAt = await withTimeout(this.firstNext, timeoutMs, 'the first event/next');
    return {
      name: this.name,
      registeredAt: this.registeredAt!,
      firstNextAt,
      subscribedToTelemetry: this.subscribed,
      subscribedAt: this.subscribedAt,
    };
  }

  /** The Telemetry API destination the extension subscribed, with `sandbox(.localdomain)` resolved. */
  get telemetryDestination(): URL | undefined {
    return this.destination;
  }

  /**
   * Answers the pending `event/next` with an INVOKE event; resolves with the time of the
   * extension's following `event/next` (the end of its part of the invoke phase).
   */
  invoke(requestId: string, deadlineMs: number, traceHeader?: string): Promise<number> {
    const pending = this.pendingNext;
    if (!pending) return Promise.reject(new Error('the extension is not waiting on event/next'));
    this.pendingNext = undefined;
    const next = new Promise<number>((resolve) => {
      this.nextWaiter = resolve;
    });
    pending.writeHead(200, {
      'Content-Type': 'application/json',
      'Lambda-Extension-Event-Identifier': requestId,
    });
    pending.end(
      JSON.stringify({
        eventType: 'INVOKE',
        deadlineMs,
        requestId,
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench',
        ...(traceHeader ? { tracing: { type: 'X-Amzn-Trace-Id', value: traceHeader } } : {}),
      }),
    );
    return next;
  }

  /** Posts Telemetry API records to the subscribed listener, as one delivery. */
  async deliver(records: Array<{ time: string; type: string; record: unknown }>): Promise<void> {
    if (!this.destination) throw new Error('the extension did not subscribe to the Telemetry API');
    const body = JSON.stringify(records);
    await new Promise<void>((resolve, reject) => {
      const request = http.request(
        this.destination!,
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve());
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  /** Answers the pending (and any later) `event/next` with SHUTDOWN. */
  shutdown(): void {
    this.shuttingDown = true;
    if (this.pendingNext) this.sendShutdown(this.pendingNext);
    this.pendingNext = undefined;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const at = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = req.url ?? '';
      if (req.method === 'POST' && url === '/2020-01-01/extension/register') {
        this.registeredAt ??= at;
        this.name = String(req.headers['lambda-extension-name'] ?? '');
        res.writeHead(200, {
          'Content-Type': 'application/json',
          'Lambda-Extension-Identifier': randomUUID(),
        });
        res.end(
          JSON.stringify({ functionName: 'bench', functionVersion: '$LATEST', handler: 'index.handler' }),
        );
      } else if (req.method === 'GET' && url === '/2020-01-01/extension/event/next') {
        if (this.registeredAt === undefined) {
          this.rejectFirstNext(new Error('event/next before register'));
        }
        this.resolveFirstNext(at);
        const waiter = this.nextWaiter;
        this.nextWaiter = undefined;
        waiter?.(at);
        if (this.shuttingDown) this.sendShutdown(res);
        else this.pendingNext = res;
      } else if (req.method === 'PUT' && url === '/2022-07-01/telemetry') {
        this.subscribed = true;
        this.subscribedAt ??= at;
        this.destination = this.resolveDestination(body);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('"OK"');
      } else if (req.method === 'POST' && /\/extension\/(init|exit)\/error$/.test(url)) {
        this.rejectFirstNext(
          new Error(`extension reported ${req.headers['lambda-extension-function-error-type']}`),
        );
        res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"status":"OK"}');
      } else {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errorType":"NotFound"}');
      }
    });
  }

  // `sandbox` and `sandbox.localdomain` name the execution environment itself: here, the probe's address.
  private resolveDestination(body: string): URL | undefined {
    try {
      const uri = (JSON.parse(body) as { destination?: { URI?: string } }).destination?.URI;
      if (!uri) return undefined;
      const url = new URL(uri);
      if (url.hostname === 'sandbox' || url.hostname === 'sandbox.localdomain') {
        url.hostname = (this.server.address() as AddressInfo).address;
      }
      return url;
    } catch {
      return undefined;
    }
  }

  private sendShutdown(res: http.ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        eventType: 'SHUTDOWN',
        shutdownReason: 'spindown',
        deadlineMs: Date.now() + SHUTDOWN_DEADLINE_MS,
      }),
    );
  }
}
