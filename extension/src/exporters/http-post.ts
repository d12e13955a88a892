import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from 'node:http';
import { ExportError } from '../errors';

/** A backend's answer. */
export interface PostResponse {
  readonly status: number;
  readonly body: string;
}

// Keep-alive saves a TCP (and TLS) handshake per flush; one socket because one export is in flight.
const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
let https: Promise<typeof import('node:https')> | undefined;
let httpsAgent: import('node:https').Agent | undefined;

/** Loads TLS on first use only, so plain-HTTP setups (the sandbox) and registration never pay for it. */
export function preloadHttps(): Promise<typeof import('node:https')> {
  https ??= import('node:https');
  return https;
}

/**
 * POSTs `body` and resolves with the answer. Network failures and an aborted `signal` reject
 * with a retryable {@link ExportError}; statuses are left for the caller to judge.
 */
export async function post(
  url: URL,
  headers: Record<string, string>,
  body: Buffer,
  signal: AbortSignal,
): Promise<PostResponse> {
  let send: (callback: (res: IncomingMessage) => void) => ClientRequest;
  const options = { method: 'POST', headers: { ...headers, 'content-length': String(body.length) }, signal };
  if (url.protocol === 'https:') {
    const tls = await preloadHttps();
    httpsAgent ??= new tls.Agent({ keepAlive: true, maxSockets: 1 });
    send = (callback) => tls.request(url, { ...options, agent: httpsAgent }, callback);
  } else {
    send = (callback) => httpRequest(url, { ...options, agent: httpAgent }, callback);
  }
  return new Promise((resolve, reject) => {
    const req = send((res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', (cause) =>
        reject(new ExportError(`${url.host}: ${cause.message}`, true, 0, { cause })),
      );
    });
    req.on('error', (cause) => reject(new ExportError(`${url.host}: ${cause.message}`, true, 0, { cause })));
    req.end(body);
  });
}

/** Turns a non-2xx answer into an {@link ExportError}: 429 and 5xx are worth retrying, other 4xx are not. */
export function failureFor(service: string, response: PostResponse): ExportError {
  const retryable = response.status === 429 || response.status >= 500;
  return new ExportError(
    `${service} answered ${response.status}: ${response.body.slice(0, 300)}`,
    retryable,
    response.status,
  );
}

/** Closes idle keep-alive sockets so the process can exit promptly. */
export function closeConnections(): void {
  httpAgent.destroy();
  httpsAgent?.destroy();
}
