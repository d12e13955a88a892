/**
 * The HTTP client of the Runtime API, as a managed runtime uses it. `next` carries no timeout:
 * the process is frozen while it waits.
 */
import { Agent, type IncomingHttpHeaders, request } from 'node:http';

/** Error shape Lambda's Node runtime posts (`trace` rather than `stackTrace`). */
export interface ErrorDocument {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: string[];
}

/** An invocation fetched from `next`. */
export interface NextInvocation {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Idle keep-alive sockets are unref'd by Node's agent, so they never hold the event loop open. */
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

export class RuntimeClient {
  private readonly base: string;

  constructor(runtimeApi: string) {
    this.base = `http://${runtimeApi}/2018-06-01/runtime`;
  }

  next(): Promise<NextInvocation> {
    return this.send('GET', '/invocation/next');
  }

  async postResponse(requestId: string, body: string): Promise<void> {
    await this.send('POST', `/invocation/${encodeURIComponent(requestId)}/response`, body);
  }

  async postError(requestId: string, error: ErrorDocument): Promise<void> {
    await this.send('POST', `/invocation/${encodeURIComponent(requestId)}/error`, JSON.stringify(error));
  }

  async postInitError(error: ErrorDocument): Promise<void> {
    await this.send('POST', '/init/error', JSON.stringify(error), {
      'Lambda-Runtime-Function-Error-Type': error.errorType,
    });
  }

  private send(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<NextInvocation> {
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.base}${path}`,
        {
          method,
          agent,
          headers:
            body === undefined
              ? headers
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}
