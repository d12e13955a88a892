/**
 * What every answer of the todo API must satisfy, whatever the request: never a
 * 5xx, errors as RFC 9457 problem+json carrying the request id as `instance`,
 * and no stack trace or internal text (SDK class names, file paths, socket
 * errors) unless the client itself sent that text and it is quoted back.
 */
import { expect } from 'vitest';

/** A response reduced to what the invariants look at. */
export interface ObservedResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Text that only an implementation leaks: stack frames, error class names, SDK internals, paths. */
const INTERNAL_TEXT = [
  /^\s*at\s/m,
  /\bat\s+[\w.$<>[\]]+\s+\(/,
  /Error:/,
  /\b\w+Exception\b/,
  /DynamoDB|@aws-sdk|@smithy|\$metadata|\$fault|AttributeValue|ConditionExpression/,
  /node_modules|file:\/\/|\/work\/|[\w-]+\.(?:ts|mjs|cjs|js):\d+/,
  /\bE(?:CONNREFUSED|CONNRESET|TIMEDOUT|PIPE|NOTFOUND)\b/,
  /\[object \w+\]|\bundefined\b|\bNaN\b/,
];

const PROBLEM_TYPE = /^(urn:todos:problem:[a-z-]+|about:blank)$/;

/** Every string inside a JSON value, keys included. */
function stringsOf(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const item of value) stringsOf(item, into);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      into.push(key);
      stringsOf(item, into);
    }
  }
  return into;
}

/**
 * Internal text in `texts` that does not come from `echo` (what the client sent).
 * Returns the offending fragments, empty when clean.
 */
function internalTextIn(texts: readonly string[], echo: string): string[] {
  const found: string[] = [];
  for (const text of texts) {
    for (const pattern of INTERNAL_TEXT) {
      const match = pattern.exec(text);
      if (match && !echo.includes(match[0].trim())) found.push(`${match[0]} in ${JSON.stringify(text)}`);
    }
  }
  return found;
}

/**
 * Asserts the invariants for an answer the function gave.
 *
 * @param requestId the id the request carried (the event's, or the front door's `apigw-requestid`).
 * @param echo everything the client sent, in every decoding (see `requestEcho`).
 */
export function expectSoundAnswer(response: ObservedResponse, requestId: string, echo: string): void {
  const context = `${response.status} ${response.body.slice(0, 300)}`;
  expect(response.status, context).toBeGreaterThanOrEqual(200);
  expect(response.status, context).toBeLessThan(500);
  expect(response.headers['x-request-id'], context).toBe(requestId);
  if (response.status < 400) return;
  expect(response.headers['content-type'], context).toBe('application/problem+json');
  const problem = JSON.parse(response.body) as Record<string, unknown>;
  expect(problem, context).toMatchObject({
    type: expect.stringMatching(PROBLEM_TYPE),
    title: expect.any(String),
    status: response.status,
    detail: expect.any(String),
    instance: requestId,
  });
  const texts = [...stringsOf(problem), ...Object.values(response.headers)];
  expect(internalTextIn(texts, echo), context).toEqual([]);
  if (response.status === 405) expect(response.headers.allow, context).toMatch(/^[A-Z]+(, [A-Z]+)*$/);
}
