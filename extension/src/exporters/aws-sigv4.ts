import type { AwsCredentials } from '../config';

/** A request to sign; `headers` must not yet hold `authorization`. */
export interface SignableRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/**
 * Signs a request with AWS Signature Version 4 (header-based, `AWS4-HMAC-SHA256`) and returns
 * the headers to send: the given ones plus `host`, `x-amz-date`, `x-amz-security-token` (when the
 * credentials carry a session token, as Lambda's do) and `authorization`.
 *
 * Written against the SigV4 specification rather than pulled from the AWS SDK: the extension
 * signs two kinds of small JSON/protobuf POSTs, and node:crypto does it without adding the SDK's
 * signer packages to a bundle whose load time sits on every cold start.
 */
export async function signRequest(
  request: SignableRequest,
  service: string,
  region: string,
  credentials: AwsCredentials,
  now: Date = new Date(),
): Promise<Record<string, string>> {
  // Loaded on first use: node:crypto is slow to load, and registration must not wait for it.
  const { createHash, createHmac } = await import('node:crypto');
  const sha256Hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
  const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  headers.host = request.url.host;
  headers['x-amz-date'] = amzDate;
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;

  const names = Object.keys(headers)
    .filter((name) => !UNSIGNED_HEADERS.has(name))
    .sort();
  const canonicalHeaders = names
    .map((name) => `${name}:${headers[name]!.trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalPath(request.url.pathname),
    canonicalQuery(request.url.searchParams),
    canonicalHeaders,
    signedHeaders,
    sha256Hex(request.body),
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = [day, region, service, 'aws4_request'].reduce<Buffer | string>(
    (secret, part) => hmac(secret, part),
    `AWS4${credentials.secretAccessKey}`,
  );
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

// Headers proxies and clients may change in transit; the AWS SDKs leave the same ones unsigned.
const UNSIGNED_HEADERS = new Set([
  'authorization',
  'connection',
  'content-length',
  'expect',
  'keep-alive',
  'transfer-encoding',
  'user-agent',
  'x-amzn-trace-id',
]);

// Non-S3 services sign the wire path encoded once more (so %20 is signed as %2520).
function canonicalPath(path: string): string {
  return encodeURIComponent(path).replace(/%2F/g, '/');
}

function canonicalQuery(params: URLSearchParams): string {
  return [...params]
    .map(([key, value]) => [uriEncode(key), uriEncode(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
