/**
 * Mapping of a Lambda result to the HTTP response, as API Gateway HTTP API does for payload
 * format 2.0. A pure function.
 *
 * - A JSON object with `statusCode` is a structured response: `statusCode`, `headers`,
 *   `cookies` (one `set-cookie` each), `body`, `isBase64Encoded`.
 * - Any other valid JSON is a simple response: 200, `application/json`, the JSON as the body.
 * - A function error, or output that is not valid JSON or breaks the structure: 502.
 */
import type { InvokeOutput } from '../environment/types';

export interface HttpResponse {
  readonly statusCode: number;
  /** Name/value pairs; a name may repeat (`set-cookie`). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
}

const json = (statusCode: number, message: string): HttpResponse => ({
  statusCode,
  headers: [['content-type', 'application/json']],
  body: Buffer.from(JSON.stringify({ message })),
});

/** API Gateway's own answers, with its bodies. */
export const GATEWAY_RESPONSES = {
  notFound: () => json(404, 'Not Found'),
  /** The JWT authorizer's refusal; `challenge` becomes `www-authenticate`. */
  unauthorized: (challenge: string): HttpResponse => {
    const response = json(401, 'Unauthorized');
    return { ...response, headers: [...response.headers, ['www-authenticate', challenge]] };
  },
  tooLarge: () => json(413, 'Request Entity Too Large'),
  internalError: () => json(502, 'Internal Server Error'),
  /** Lambda refused the invocation (429 TooManyRequestsException): proxy integrations answer 500. */
  throttled: () => json(500, 'Internal Server Error'),
  timeout: () => json(504, 'Endpoint request timed out'),
} as const;

const isScalar = (value: unknown): value is string | number | boolean =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** Maps the function's output to the client's response. */
export function mapLambdaResult(output: Pick<InvokeOutput, 'status' | 'payload'>): HttpResponse {
  if (output.status !== 'success') return GATEWAY_RESPONSES.internalError();
  let result: unknown;
  try {
    result = JSON.parse(output.payload.toString('utf8'));
  } catch {
    return GATEWAY_RESPONSES.internalError();
  }
  if (typeof result !== 'object' || result === null || Array.isArray(result) || !('statusCode' in result)) {
    return {
      statusCode: 200,
      headers: [['content-type', 'application/json']],
      body: output.payload,
    };
  }
  const structured = result as Record<string, unknown>;
  const { statusCode, headers = {}, cookies = [], body, isBase64Encoded = false } = structured;
  if (
    typeof statusCode !== 'number' ||
    !Number.isInteger(statusCode) ||
    statusCode < 100 ||
    statusCode > 599
  ) {
    return GATEWAY_RESPONSES.internalError();
  }
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers))
    return GATEWAY_RESPONSES.internalError();
  if (!Array.isArray(cookies) || !cookies.every((cookie) => typeof cookie === 'string')) {
    return GATEWAY_RESPONSES.internalError();
  }
  if (body !== undefined && body !== null && typeof body !== 'string')
    return GATEWAY_RESPONSES.internalError();
  if (typeof isBase64Encoded !== 'boolean') return GATEWAY_RESPONSES.internalError();

  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    if (!isScalar(value)) return GATEWAY_RESPONSES.internalError();
    pairs.push([name.toLowerCase(), String(value)]);
  }
  for (const cookie of cookies as string[]) pairs.push(['set-cookie', cookie]);
  const text = typeof body === 'string' ? body : '';
  return {
    statusCode,
    headers: pairs,
    body: isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8'),
  };
}
