/**
 * The API's OpenAPI 3.1 description, built from the route table and the limits
 * the handler enforces (every number and pattern is imported, never restated), so
 * the description cannot drift from the code. The handler serves it as
 * `GET /openapi.json`; the build writes it to `dist/openapi.json` and renders
 * `docs/api.md` from it with `renderApiMarkdown`.
 */
import { MAX_TOKEN_LENGTH } from './cursor';
import {
  ConflictError,
  ForbiddenError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  PreconditionFailedError,
  ServiceUnavailableError,
  type TodoApiError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './errors';
import { ENTITY_TAG_PATTERN } from './etag';
import { PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_PREFIX } from './problem-response';
import { JSON_MEDIA_TYPE, MAX_BODY_BYTES, MERGE_PATCH_MEDIA_TYPE } from './request-body';
import { ROUTES, type RouteOperation } from './routes';
import { LIST_LIMIT, MAX_TEXT_CODE_POINTS, TODO_ID_PATTERN } from './todo-validation';

/** A JSON object of the document. */
type Json = { readonly [key: string]: unknown };

/** Where the handler serves the document. */
export const OPENAPI_PATH = '/openapi.json';

/** One instance of every error the API reports, read for its status, title and problem type. */
const ERRORS: readonly TodoApiError[] = [
  new ValidationError([]),
  new ForbiddenError(''),
  new NotFoundError(''),
  new MethodNotAllowedError('', []),
  new ConflictError(''),
  new PreconditionFailedError(''),
  new PayloadTooLargeError(''),
  new UnsupportedMediaTypeError(''),
  new ServiceUnavailableError(1),
];

/** What each problem status means beyond its title. */
const PROBLEM_WHEN: Readonly<Record<number, string>> = {
  400: 'The body, a field, `limit` or `cursor` is invalid; `errors` lists every invalid field.',
  403: 'The authorizer vouched for the caller but the token has no `sub` claim.',
  404: 'No such todo (or an id no todo can have), or no such route.',
  405: 'The path exists, but not with this method; `Allow` lists the methods.',
  409: 'A todo with the chosen id exists; nothing is overwritten.',
  412: '`If-Match` names none of the todo’s current ETag.',
  413: `The body is over ${MAX_BODY_BYTES} bytes (after base64 decoding).`,
  415: '`Content-Type` is missing, another media type, or a charset other than UTF-8.',
  500: 'Anything unexpected: the body carries only the request id.',
  503: 'DynamoDB throttled, unavailable or timed out; retry after `Retry-After` seconds.',
};

/** Statuses each operation answers besides its success; 403 and 500 can answer any request. */
const OPERATION_STATUSES: Readonly<
  Record<RouteOperation, { readonly success: Json; readonly errors: number[] }>
> = {
  listTodos: { success: { 200: ref('responses', 'TodoList') }, errors: [400, 503] },
  createTodo: { success: { 201: ref('responses', 'Created') }, errors: [400, 409, 413, 415, 503] },
  getTodo: {
    success: { 200: ref('responses', 'Todo'), 304: ref('responses', 'NotModified') },
    errors: [404, 503],
  },
  replaceTodo: { success: { 200: ref('responses', 'Todo') }, errors: [400, 404, 412, 413, 415, 503] },
  patchTodo: { success: { 200: ref('responses', 'Todo') }, errors: [400, 404, 412, 413, 415, 503] },
  deleteTodo: { success: { 204: ref('responses', 'Deleted') }, errors: [404, 412, 503] },
  getOpenApiDocument: { success: { 200: ref('responses', 'OpenApiDocument') }, errors: [] },
};

const SUMMARIES: Readonly<Record<RouteOperation, string>> = {
  listTodos: 'List todos in creation order, one page at a time',
  createTodo: 'Create a todo',
  getTodo: 'Read a todo',
  replaceTodo: 'Replace a todo (both fields)',
  patchTodo: 'Update a todo (JSON merge patch)',
  deleteTodo: 'Delete a todo',
  getOpenApiDocument: 'This OpenAPI description',
};

/** An answer API Gateway gives itself, before or instead of the function's. */
interface GatewayAnswer {
  readonly status: number;
  readonly message: string;
  /** When it is given. */
  readonly when: string;
  readonly headers?: Json;
}

/** Media type of API Gateway's own answers. */
const GATEWAY_MEDIA_TYPE = 'application/json';

/**
 * API Gateway's own answers, in status order; every operation can get each of them. Written here,
 * beside the function's own, because the function cannot see API Gateway; the sandbox's front
 * door gives the same answers, and test/contracts/openapi.test.ts holds the two together.
 */
export const GATEWAY_ANSWERS: readonly GatewayAnswer[] = [
  {
    status: 401,
    message: 'Unauthorized',
    when: 'Only when the API has a JWT authorizer: its refusal of a missing, invalid or expired token.',
    headers: { 'www-authenticate': ref('headers', 'WwwAuthenticate') },
  },
  {
    status: 413,
    message: 'Request Entity Too Large',
    when: 'The request is over API Gateway’s payload limit.',
  },
  // The deployed stage has a rate and burst limit (infra/todo-http-api.ts); the sandbox has none.
  { status: 429, message: 'Too Many Requests', when: 'The stage’s rate or burst limit is exceeded.' },
  {
    status: 500,
    message: 'Internal Server Error',
    when: 'Lambda throttled the function (no concurrency left); Lambda’s 429 is not passed on.',
  },
  {
    status: 502,
    message: 'Internal Server Error',
    when: 'The function failed, or its result is not a valid response.',
  },
  {
    status: 504,
    message: 'Endpoint request timed out',
    when: 'The function did not answer within the integration timeout.',
  },
];

/** Name of API Gateway's own answer for a status in `components.responses`. */
export const gatewayResponseName = (status: number): string => `Gateway${status}`;

function ref(kind: 'schemas' | 'responses' | 'parameters' | 'headers', name: string): Json {
  return { $ref: `#/components/${kind}/${name}` };
}

/** A JSON Schema `pattern` from a RegExp (ECMA-262 syntax, which JSON Schema patterns use). */
const pattern = (expression: RegExp): string => expression.source;

/** Headers every response of the function carries. */
const COMMON_HEADERS: Json = {
  'x-request-id': ref('headers', 'XRequestId'),
  'x-amzn-trace-id': ref('headers', 'XAmznTraceId'),
};

const text: Json = {
  type: 'string',
  minLength: 1,
  // JSON Schema counts string length in Unicode code points, as the handler does.
  maxLength: MAX_TEXT_CODE_POINTS,
  // Not blank: `\S` and String.prototype.trim use the same white-space set.
  pattern: '\\S',
  description: `1–${MAX_TEXT_CODE_POINTS} Unicode code points, not blank, no unpaired surrogate.`,
};

const id: Json = {
  type: 'string',
  pattern: pattern(TODO_ID_PATTERN),
  description: 'Chosen by the client, or a time-ordered UUIDv7 made by the server.',
};

function schemas(): Json {
  return {
    Todo: {
      type: 'object',
      required: ['id', 'text', 'done', 'createdAt', 'updatedAt', 'version'],
      additionalProperties: false,
      properties: {
        id,
        text,
        done: { type: 'boolean' },
        createdAt: { type: 'string', format: 'date-time' },
        updatedAt: { type: 'string', format: 'date-time' },
        version: { type: 'integer', minimum: 1, description: '1 at creation, +1 per write.' },
      },
    },
    NewTodo: {
      type: 'object',
      required: ['text'],
      additionalProperties: false,
      properties: { id, text, done: { type: 'boolean', default: false } },
    },
    TodoReplacement: {
      type: 'object',
      required: ['text', 'done'],
      additionalProperties: false,
      properties: { text, done: { type: 'boolean' } },
    },
    TodoPatch: {
      type: 'object',
      minProperties: 1,
      additionalProperties: false,
      description: 'At least one field; `null` is refused because neither field can be removed.',
      properties: { text, done: { type: 'boolean' } },
    },
    GatewayMessage: {
      type: 'object',
      required: ['message'],
      // Open, as JSON Schema objects are by default, but said so: the typed client then types a
      // property of an error (a problem's `type`) as unknown instead of refusing to read it.
      additionalProperties: true,
      description: 'An answer of API Gateway itself, not of the function; not problem+json.',
      properties: { message: { type: 'string' } },
    },
    Problem: {
      type: 'object',
      required: ['type', 'title', 'status', 'detail', 'instance'],
      properties: {
        type: {
          type: 'string',
          description: `\`${PROBLEM_TYPE_PREFIX}<kind>\`, or \`about:blank\` for a 500.`,
        },
        title: { type: 'string' },
        status: { type: 'integer' },
        detail: { type: 'string' },
        instance: { type: 'string', description: 'The request id (also `x-request-id`).' },
        errors: {
          type: 'array',
          description: 'Every invalid field (400 only).',
          items: {
            type: 'object',
            required: ['field', 'message'],
            additionalProperties: false,
            properties: { field: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
    },
  };
}

const header = (description: string, schema: Json, required = true): Json => ({
  description,
  required,
  schema,
});

function headers(): Json {
  return {
    XRequestId: header("API Gateway's request id, also the problem `instance`.", { type: 'string' }),
    XRequestIdUnlessGateway: header(
      "API Gateway's request id, also the problem `instance`; absent when API Gateway answers itself.",
      { type: 'string' },
      false,
    ),
    WwwAuthenticate: header("The JWT authorizer's `Bearer` challenge, with the reason of the refusal.", {
      type: 'string',
    }),
    XAmznTraceId: header(
      "When the request is traced: the request's trace header, else the Lambda invocation's.",
      { type: 'string' },
      false,
    ),
    ETag: header('Strong tag of the revision: `"<version>.<seq>"`.', {
      type: 'string',
      pattern: pattern(ENTITY_TAG_PATTERN),
    }),
    Location: header('Path of the new todo.', { type: 'string', format: 'uri-reference' }),
    Link: header(
      '`</todos?limit=N&cursor=…>; rel="next"` when more todos follow; absent on the last page.',
      {
        type: 'string',
      },
      false,
    ),
    Allow: header('Methods the path allows, comma-separated.', { type: 'string' }),
    AcceptPatch: header('For a PATCH: the media types it takes.', { type: 'string' }, false),
    RetryAfter: header('Seconds to wait: 1 after a throttle, 5 otherwise.', {
      type: 'string',
      pattern: '^\\d+$',
    }),
  };
}

/** Extra headers a problem status carries. */
const PROBLEM_HEADERS: Readonly<Record<number, Json>> = {
  405: { allow: ref('headers', 'Allow') },
  415: { 'accept-patch': ref('headers', 'AcceptPatch') },
  503: { 'retry-after': ref('headers', 'RetryAfter') },
};

const gatewayDescription = (answer: GatewayAnswer): string =>
  `From API Gateway, not the function, and not problem+json: \`{"message":"${answer.message}"}\`. ${answer.when}`;

function gatewayResponse(answer: GatewayAnswer): Json {
  return {
    description: gatewayDescription(answer),
    ...(answer.headers ? { headers: answer.headers } : {}),
    content: {
      [GATEWAY_MEDIA_TYPE]: {
        schema: {
          allOf: [ref('schemas', 'GatewayMessage')],
          properties: { message: { const: answer.message } },
        },
      },
    },
  };
}

/**
 * The problem response of a status; where API Gateway answers the same status itself (413, 500),
 * it describes both answers, told apart by media type, and `x-request-id` is the function's only.
 */
function problemResponse(status: number): Json {
  const error = ERRORS.find((candidate) => candidate.status === status);
  const type = error ? `${PROBLEM_TYPE_PREFIX}${error.slug}` : 'about:blank';
  const gateway = GATEWAY_ANSWERS.find((answer) => answer.status === status);
  const problem = `${error?.title ?? 'Internal Server Error'}. ${PROBLEM_WHEN[status] ?? ''}`.trim();
  return {
    description: gateway ? `${problem} Or: ${gatewayDescription(gateway)}` : problem,
    headers: {
      ...COMMON_HEADERS,
      ...(gateway ? { 'x-request-id': ref('headers', 'XRequestIdUnlessGateway') } : {}),
      ...PROBLEM_HEADERS[status],
    },
    content: {
      [PROBLEM_MEDIA_TYPE]: {
        schema: {
          allOf: [ref('schemas', 'Problem')],
          properties: { type: { const: type }, status: { const: status } },
        },
      },
      ...(gateway ? (gatewayResponse(gateway).content as Json) : {}),
    },
  };
}

/** Name of the problem response for a status in `components.responses`. */
export const problemResponseName = (status: number): string => `Problem${status}`;

/** Every status a problem response can have: each error class's, and 500. */
const PROBLEM_STATUSES: readonly number[] = [...ERRORS.map((error) => error.status), 500];

function responses(): Json {
  const json = (schema: Json) => ({ [JSON_MEDIA_TYPE]: { schema } });
  const todoHeaders = { ...COMMON_HEADERS, etag: ref('headers', 'ETag') };
  return {
    Todo: { description: 'The todo.', headers: todoHeaders, content: json(ref('schemas', 'Todo')) },
    Created: {
      description: 'The new todo.',
      headers: { ...todoHeaders, location: ref('headers', 'Location') },
      content: json(ref('schemas', 'Todo')),
    },
    NotModified: { description: '`If-None-Match` names the current ETag; no body.', headers: todoHeaders },
    Deleted: { description: 'Deleted; no body.', headers: COMMON_HEADERS },
    TodoList: {
      description: 'A page of todos in creation order.',
      headers: { ...COMMON_HEADERS, link: ref('headers', 'Link') },
      content: json({ type: 'array', maxItems: LIST_LIMIT.max, items: ref('schemas', 'Todo') }),
    },
    OpenApiDocument: {
      description: 'This document.',
      headers: COMMON_HEADERS,
      content: json({
        type: 'object',
        required: ['openapi', 'paths'],
        properties: { openapi: { type: 'string' }, paths: { type: 'object' } },
      }),
    },
    ...Object.fromEntries(
      PROBLEM_STATUSES.map((status) => [problemResponseName(status), problemResponse(status)]),
    ),
    ...Object.fromEntries(
      GATEWAY_ANSWERS.map((answer) => [gatewayResponseName(answer.status), gatewayResponse(answer)]),
    ),
  };
}

function parameters(): Json {
  return {
    TodoId: {
      name: 'id',
      in: 'path',
      required: true,
      description: 'An id no todo can have is answered 404, like an absent todo.',
      schema: id,
    },
    Limit: {
      name: 'limit',
      in: 'query',
      description: 'Todos per page.',
      schema: {
        type: 'integer',
        minimum: LIST_LIMIT.min,
        maximum: LIST_LIMIT.max,
        default: LIST_LIMIT.default,
      },
    },
    Cursor: {
      name: 'cursor',
      in: 'query',
      description:
        'Opaque, signed and bound to the owner: take it from the `Link` of the previous page. An altered, truncated or someone else’s cursor is a 400.',
      schema: { type: 'string', maxLength: MAX_TOKEN_LENGTH },
    },
    IfMatch: {
      name: 'if-match',
      in: 'header',
      description:
        'ETag read before; `*` and comma-separated lists work; weak tags never match. Without it the write is unconditional.',
      schema: { type: 'string' },
    },
    IfNoneMatch: {
      name: 'if-none-match',
      in: 'header',
      description: 'Weak comparison; lists and `*` allowed. Naming the current ETag answers 304.',
      schema: { type: 'string' },
    },
  };
}

function requestBody(schemaName: string, mediaTypes: readonly string[]): Json {
  return {
    required: true,
    description: `At most ${MAX_BODY_BYTES} bytes; \`charset=utf-8\` is the only charset taken.`,
    content: Object.fromEntries(
      mediaTypes.map((mediaType) => [mediaType, { schema: ref('schemas', schemaName) }]),
    ),
  };
}

const OPERATION_INPUTS: Readonly<Record<RouteOperation, Json>> = {
  listTodos: { parameters: [ref('parameters', 'Limit'), ref('parameters', 'Cursor')] },
  createTodo: { requestBody: requestBody('NewTodo', [JSON_MEDIA_TYPE]) },
  getTodo: { parameters: [ref('parameters', 'TodoId'), ref('parameters', 'IfNoneMatch')] },
  replaceTodo: {
    parameters: [ref('parameters', 'TodoId'), ref('parameters', 'IfMatch')],
    requestBody: requestBody('TodoReplacement', [JSON_MEDIA_TYPE]),
  },
  patchTodo: {
    parameters: [ref('parameters', 'TodoId'), ref('parameters', 'IfMatch')],
    requestBody: requestBody('TodoPatch', [MERGE_PATCH_MEDIA_TYPE, JSON_MEDIA_TYPE]),
  },
  deleteTodo: { parameters: [ref('parameters', 'TodoId'), ref('parameters', 'IfMatch')] },
  getOpenApiDocument: {},
};

/**
 * The OpenAPI 3.1 document of the API.
 *
 * @example
 * writeFileSync('openapi.json', JSON.stringify(openApiDocument(), null, 2));
 */
export function openApiDocument(): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of ROUTES) {
    const { success, errors } = OPERATION_STATUSES[route.operation];
    const problems = [...errors, 403, 500];
    // A status both the function and API Gateway answer has one response describing both.
    const gatewayOnly = GATEWAY_ANSWERS.map((answer) => answer.status).filter(
      (status) => !problems.includes(status),
    );
    const failures = [...problems, ...gatewayOnly].sort((a, b) => a - b);
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      operationId: route.operation,
      summary: SUMMARIES[route.operation],
      ...OPERATION_INPUTS[route.operation],
      responses: {
        ...success,
        ...Object.fromEntries(
          failures.map((status) => [
            status,
            ref('responses', (problems.includes(status) ? problemResponseName : gatewayResponseName)(status)),
          ]),
        ),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Todo API',
      version: '1',
      description:
        'Todos scoped to an owner (the JWT `sub` when the API has a JWT authorizer, else one open tenant). ' +
        'A method the path does not allow is answered with the 405 problem and `Allow`, an unknown path ' +
        'with the 404 problem. API Gateway answers some requests itself, before or instead of the function, ' +
        'with `{"message": …}` JSON, not problem+json: those answers are described under every operation.',
    },
    paths,
    components: { schemas: schemas(), responses: responses(), parameters: parameters(), headers: headers() },
  };
}

/**
 * A Markdown reference rendered from `document` (`docs/api.md`): one section per
 * operation with its parameters, body and responses, then the schemas.
 */
export function renderApiMarkdown(document: Json): string {
  const resolve = (value: unknown): Json => {
    const node = value as Json;
    if (typeof node.$ref !== 'string') return node;
    return resolve(
      node.$ref
        .slice(2)
        .split('/')
        .reduce<unknown>((at, key) => (at as Json)[key], document),
    );
  };
  const cell = (value: unknown) =>
    String(value ?? '')
      .replace(/\|/g, '\\|')
      .replace(/\n/g, ' ');
  const constraints = (schema: Json) =>
    Object.entries(schema)
      .filter(([key]) => key !== 'description')
      .map(([key, value]) => `${key}: \`${JSON.stringify(value)}\``)
      .join(', ');
  const info = document.info as Json;
  const lines = [
    `# ${info.title} (OpenAPI ${document.openapi})`,
    '',
    '<!-- Generated by `npm run build` from functions/todos/openapi.ts; do not edit. -->',
    '',
    `${info.description}`,
    '',
    'The machine-readable document is served by the API itself at `GET /openapi.json`.',
    '',
  ];
  for (const [path, operations] of Object.entries(document.paths as Json)) {
    for (const [method, value] of Object.entries(operations as Json)) {
      const operation = value as Json;
      lines.push(`## \`${method.toUpperCase()} ${path}\`: ${operation.summary}`, '');
      const parameters = ((operation.parameters as unknown[] | undefined) ?? []).map(resolve);
      if (parameters.length > 0) {
        lines.push('| parameter | in | schema | description |', '|---|---|---|---|');
        for (const parameter of parameters) {
          const schema = parameter.schema as Json;
          lines.push(
            `| \`${parameter.name}\`${parameter.required ? ' (required)' : ''} | ${parameter.in} | ${cell(constraints(schema))} | ${cell(parameter.description)} |`,
          );
        }
        lines.push('');
      }
      const body = operation.requestBody as Json | undefined;
      if (body) {
        const content = body.content as Json;
        const schemaRefs = Object.values(content).map((media) => ((media as Json).schema as Json).$ref);
        lines.push(
          `Body (${Object.keys(content)
            .map((type) => `\`${type}\``)
            .join(' or ')}): schema \`${String(schemaRefs[0]).split('/').pop()}\`. ${body.description}`,
          '',
        );
      }
      lines.push('| status | meaning | headers |', '|---|---|---|');
      for (const [status, reference] of Object.entries(operation.responses as Json)) {
        const response = resolve(reference);
        const names = Object.keys((response.headers as Json | undefined) ?? {}).map((name) => `\`${name}\``);
        lines.push(`| ${status} | ${cell(response.description)} | ${names.join(', ')} |`);
      }
      lines.push('');
    }
  }
  const components = document.components as Json;
  lines.push('## Headers', '', '| name | schema | description |', '|---|---|---|');
  for (const [name, value] of Object.entries(components.headers as Json)) {
    const described = value as Json;
    lines.push(
      `| ${name} | ${cell(constraints(described.schema as Json))} | ${cell(described.description)} |`,
    );
  }
  lines.push('', '## Schemas', '');
  for (const [name, schema] of Object.entries(components.schemas as Json)) {
    lines.push(`### ${name}`, '', '```json', JSON.stringify(schema, null, 2), '```', '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
