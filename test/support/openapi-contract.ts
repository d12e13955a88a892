/**
 * Checks a response against the API's OpenAPI document: the status must be
 * documented for the operation, every required documented header present and
 * valid, and a JSON body valid against the schema of that operation and status.
 * Requests that match no operation must get the documented 404 (unknown path) or
 * 405 (known path, other method) problem, or one of API Gateway's own documented
 * answers but the authorizer's 401 (the `$default` route they take has no authorizer).
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';
import { expect } from 'vitest';
import { gatewayResponseName, openApiDocument, problemResponseName } from '../../functions/todos/openapi';
import { GATEWAY_RESPONSES } from '../../local/http-api/response';

/** A response as the contract sees it. */
export interface ContractExchange {
  readonly method: string;
  /** Request path without the query. */
  readonly path: string;
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Raw body; empty when there is none (or the method was HEAD). */
  readonly body: string;
}

type Json = Record<string, unknown>;

const DOCUMENT_ID = 'openapi';
const document = openApiDocument() as Json;
// ajv-formats ships CommonJS with a default export that Node's ESM interop wraps once more.
const addFormats =
  (addFormatsPlugin as unknown as { default?: typeof addFormatsPlugin }).default ?? addFormatsPlugin;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(document, DOCUMENT_ID);

/** The JWT authorizer's refusal, which the `$default` route never gives. */
const AUTHORIZER_STATUS = GATEWAY_RESPONSES.unauthorized('').statusCode;

const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

function at(pointer: string): Json {
  return pointer
    .split('/')
    .slice(1)
    .reduce<unknown>(
      (node, segment) => (node as Json)[segment.replace(/~1/g, '/').replace(/~0/g, '~')],
      document,
    ) as Json;
}

/** Follows `$ref`s from `pointer`; returns the pointer of the node they lead to. */
function dereference(pointer: string): string {
  const ref = at(pointer).$ref;
  return typeof ref === 'string' ? dereference(ref.slice(1)) : pointer;
}

function validate(pointer: string, value: unknown): string[] {
  const check = ajv.getSchema(`${DOCUMENT_ID}#${pointer.split('/').map(encodeURIComponent).join('/')}`)!;
  if (check(value)) return [];
  return (check.errors ?? []).map((error) => `${error.instancePath || '(root)'} ${error.message}`);
}

const templates = Object.keys(document.paths as Json).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+').replace(/\./g, '\\.')}$`),
}));

function decodable(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/** Where in the document the answer to this request is described. */
function responsePointer(exchange: ContractExchange): string | string[] {
  // A path segment that is not valid percent-encoding names no resource, whatever the method.
  const template = decodable(exchange.path)
    ? templates.find((candidate) => candidate.pattern.test(exchange.path))?.template
    : undefined;
  // Methods are case-sensitive (RFC 9110): API Gateway's `GET` route does not take a `get`.
  const method = exchange.method === exchange.method.toUpperCase() ? exchange.method.toLowerCase() : '';
  const operations = template === undefined ? undefined : (document.paths as Json)[template];
  if (operations === undefined || !(method in (operations as Json))) {
    const expected = template === undefined ? 404 : 405;
    const gateway = gatewayResponseName(exchange.status);
    if (
      exchange.status !== expected &&
      exchange.status !== AUTHORIZER_STATUS &&
      gateway in ((document.components as Json).responses as Json)
    ) {
      return `/components/responses/${gateway}`;
    }
    if (exchange.status !== expected) {
      return [
        `${exchange.method} ${exchange.path} matches no operation: expected ${expected}, got ${exchange.status}`,
      ];
    }
    return `/components/responses/${problemResponseName(expected)}`;
  }
  const operation = `/paths/${escapePointer(template!)}/${method}`;
  if (!(String(exchange.status) in (at(operation).responses as Json))) {
    return [`${exchange.method} ${template}: status ${exchange.status} is not documented`];
  }
  return `${operation}/responses/${exchange.status}`;
}

/** Every way `exchange` departs from the document; empty when it conforms. */
export function contractViolations(exchange: ContractExchange): string[] {
  const found = responsePointer(exchange);
  if (Array.isArray(found)) return found;
  const pointer = dereference(found);
  const response = at(pointer);
  const violations: string[] = [];
  for (const name of Object.keys((response.headers as Json | undefined) ?? {})) {
    const header = dereference(`${pointer}/headers/${escapePointer(name)}`);
    const value = exchange.headers[name];
    if (value === undefined) {
      if (at(header).required === true) violations.push(`header ${name} is missing`);
      continue;
    }
    violations.push(...validate(`${header}/schema`, value).map((error) => `header ${name}: ${error}`));
  }
  const content = response.content as Json | undefined;
  if (content === undefined) {
    if (exchange.body !== '') violations.push(`status ${exchange.status} has a body but none is documented`);
    return violations;
  }
  const mediaType = (exchange.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (!(mediaType in content)) {
    return [
      ...violations,
      `content-type ${mediaType || '(none)'} is not one of ${Object.keys(content).join(', ')}`,
    ];
  }
  // A HEAD answer is the GET answer without its body.
  if (exchange.body === '' && exchange.method.toUpperCase() === 'HEAD') return violations;
  let body: unknown;
  try {
    body = JSON.parse(exchange.body);
  } catch {
    return [...violations, `body is not JSON: ${exchange.body.slice(0, 100)}`];
  }
  const schema = `${pointer}/content/${escapePointer(mediaType)}/schema`;
  return [...violations, ...validate(schema, body).map((error) => `body ${error}`)];
}

/** Asserts that `exchange` conforms to the document. */
export function expectDocumentedResponse(exchange: ContractExchange): void {
  expect(
    contractViolations(exchange),
    `${exchange.method} ${exchange.path} → ${exchange.status} ${exchange.body.slice(0, 200)}`,
  ).toEqual([]);
}

/**
 * `fetch`, with every response checked against the document before it is returned.
 *
 * @example
 * const response = await documentedFetch(`${sandbox.apiUrl}/todos`);
 */
export async function documentedFetch(input: string | Request, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(input, init);
  expectDocumentedResponse({
    method: typeof input === 'string' ? (init.method ?? 'GET') : input.method,
    path: new URL(typeof input === 'string' ? input : input.url).pathname,
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: await response.clone().text(),
  });
  return response;
}
