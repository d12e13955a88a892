import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OWNER, ownerKeyOf } from '../../functions/todos/http-request';
import { ROUTES } from '../../functions/todos/routes';
import { httpApiEvent } from '../support/http-api-event';
import { expectDocumentedResponse } from '../support/openapi-contract';
import { parseResult, startTodoApi, type TodoApi } from '../support/todo-api';
import { assertProperty, CASES_TRIED } from './support/fuzz-run';
import { RELIABILITY_CONFIG } from './support/reliability-config';
import {
  type FuzzRequest,
  type KnownValues,
  pathArbitrary,
  requestArbitrary,
  requestEcho,
} from './support/request-arbitraries';
import { expectSoundAnswer } from './support/response-invariants';
import { TableReader } from './support/table-snapshot';

// The handler in-process, driven with HTTP API v2 events, against dynalite over real HTTP.
let api: TodoApi;
let table: TableReader;
let known: KnownValues;

const CALLERS = [undefined, 'alice', 'bob'] as const;

beforeAll(async () => {
  api = await startTodoApi();
  table = new TableReader(api.endpoint, api.tableName);
  const ids: string[] = ['missing-id'];
  const etags: string[] = [];
  const cursors: string[] = [];
  for (const sub of CALLERS) {
    for (const index of [1, 2, 3]) {
      const id = `seed-${sub ?? 'default'}-${index}`;
      const created = await api.invoke({
        method: 'POST',
        path: '/todos',
        body: { id, text: `seed ${index}` },
        ...(sub ? { sub } : {}),
      });
      expect(created.status).toBe(201);
      ids.push(id);
      etags.push(created.headers.etag!);
    }
    const page = await api.invoke({
      method: 'GET',
      path: '/todos',
      query: { limit: '1' },
      ...(sub ? { sub } : {}),
    });
    const cursor = /cursor=([^&>]+)/.exec(page.headers.link ?? '')?.[1];
    expect(cursor).toBeDefined();
    cursors.push(decodeURIComponent(cursor!));
  }
  known = { ids, etags, cursors };
});

afterAll(async () => {
  table?.close();
  await api?.close();
  const total = [...CASES_TRIED.values()].reduce((sum, count) => sum + count, 0);
  console.info(
    `handler fuzz: ${total} cases (${[...CASES_TRIED].map(([name, count]) => `${name} ${count}`).join(', ')})`,
  );
});

async function send(request: FuzzRequest, sub: string | undefined) {
  const event = httpApiEvent({
    method: request.method,
    path: request.path,
    query: request.query,
    headers: request.headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
    base64: request.base64 && request.body !== undefined,
    ...(sub ? { sub } : {}),
  });
  const result = parseResult(await api.handler(event), event.requestContext.requestId, undefined);
  return { result, requestId: event.requestContext.requestId };
}

async function checkRequest(request: FuzzRequest, sub: string | undefined): Promise<void> {
  // Prepare
  const before = await table.snapshot();

  // Act
  const { result, requestId } = await send(request, sub);

  // Assess
  const observed = { status: result.status, headers: result.headers, body: result.body ?? '' };
  expectSoundAnswer(observed, requestId, requestEcho(request));
  expectDocumentedResponse({ ...observed, method: request.method, path: request.path });
  if (result.status >= 300 || request.method === 'GET') {
    expect(await table.snapshot(), `${request.method} ${request.path} → ${result.status}`).toEqual(before);
  }
  const created = result.status === 201 ? (result.json as { id: string }) : undefined;
  if (created) await table.remove(sub === undefined ? DEFAULT_OWNER : ownerKeyOf(sub), created.id);
}

describe('the handler under generated hostile requests', () => {
  it(
    'never answers 5xx, answers every error as problem+json with the request id, and leaves data unchanged when it refuses',
    async () => {
      await assertProperty(
        'any request',
        fc.tuple(requestArbitrary(known), fc.constantFrom(...CALLERS)),
        ([request, sub]) => checkRequest(request, sub),
      );
    },
    RELIABILITY_CONFIG.propertyTimeoutMs,
  );

  it(
    'holds the same invariants for requests aimed at the routes with their own methods',
    async () => {
      const routed = fc
        .tuple(
          requestArbitrary(known),
          fc.constantFrom(...ROUTES),
          pathArbitrary(known),
          fc.constantFrom(...CALLERS),
        )
        .map(([request, route, path, sub]) => {
          const aimed =
            route.path === '/todos' ? '/todos' : path.startsWith('/todos/') ? path : `/todos/${known.ids[0]}`;
          return [{ ...request, method: route.method, path: aimed }, sub] as const;
        });
      await assertProperty('routed request', routed, ([request, sub]) => checkRequest(request, sub));
    },
    RELIABILITY_CONFIG.propertyTimeoutMs,
  );
});
