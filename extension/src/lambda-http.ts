import { Agent, request } from 'node:http';
import { LambdaApiError } from './errors';

/** A Lambda API's answer: status, lower-cased headers and the body as text. */
export interface LambdaApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

// One keep-alive connection to the local API: `next` is a long poll and the other calls are rare.
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/**
 * Calls a Lambda API at `runtimeApi` (host:port, plain HTTP on the environment's loopback).
 * No timeout on purpose: `event/next` blocks until the next event and the process may be frozen meanwhile.
 */
export function callLambdaApi(
  runtimeApi: string,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<LambdaApiResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const { hostname, port } = addressOf(runtimeApi);
    const req = request(
      {
        hostname,
        port,
        path,
        method,
        agent,
        headers: payload
          ? { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length) }
          : headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', (cause) =>
          reject(new LambdaApiError(`${method} ${path}: ${cause.message}`, 0, { cause })),
        );
      },
    );
    req.on('error', (cause) =>
      reject(new LambdaApiError(`${method} ${path}: ${cause.message}`, 0, { cause })),
    );
    req.end(payload);
  });
}

// `next` is called once per invocation; parsing the address once spares a URL parse per call.
const addresses = new Map<string, { readonly hostname: string; readonly port: string }>();

function addressOf(runtimeApi: string): { readonly hostname: string; readonly port: string } {
  let address = addresses.get(runtimeApi);
  if (address === undefined) {
    const url = new URL(`http://${runtimeApi}`);
    // An IPv6 literal keeps its brackets in `URL.hostname`; `request` wants it bare.
    address = { hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port || '80' };
    addresses.set(runtimeApi, address);
  }
  return address;
}
