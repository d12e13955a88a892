import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OWNER, ownerKeyOf } from '../../functions/todos/http-request';
import { type HttpApiEventInit, httpApiEvent } from '../support/http-api-event';
import { parseResult, startTodoApi, type TodoApi } from '../support/todo-api';
import { assertProperty } from './support/fuzz-run';
import { RELIABILITY_CONFIG } from './support/reliability-config';
import { type KnownValues, requestArbitrary } from './support/request-arbitraries';
import { TableReader } from './support/table-snapshot';

// The handler in-process against dynalite. The caller's identity is the JWT `sub` claim that
// API Gateway's authorizer puts in `requestContext.authorizer.jwt.claims`; the events carry it
// as API Gateway would after verifying a token.
let api: TodoApi;
let table: TableReader;
const bobIds = ['bob-task', 'shared-name', 'Bob-Upper'];
const bobETags: string[] = [];
let bobCursor = '';

const asAlice = (init: HttpApiEventInit) => api.invoke({ ...init, sub: 'alice' });

/** Bob's items as stored, to compare before and after Alice's attempts. */
async function bobsItems(): Promise<string> {
  const items = [...(await table.items())].filter(([key]) => key.startsWith(`${ownerKeyOf('bob')}/`));
  // Bob's todos are never deleted by these tests: an empty list would make every comparison vacuous.
  expect(items).toHaveLength(bobIds.length);
  return JSON.stringify(items.sort());
}

beforeAll(async () => {
  api = await startTodoApi();
  table = new TableReader(api.endpoint, api.tableName);
  for (const id of bobIds) {
    const created = await api.invoke({
      method: 'POST',
      path: '/todos',
      body: { id, text: `bob's ${id}` },
      sub: 'bob',
    });
    expect(created.status).toBe(201);
    bobETags.push(created.headers.etag!);
  }
  const page = await api.invoke({ method: 'GET', path: '/todos', query: { limit: '1' }, sub: 'bob' });
  bobCursor = decodeURIComponent(/cursor=([^&>]+)/.exec(page.headers.link ?? '')![1]!);
  const alices = await asAlice({
    method: 'POST',
    path: '/todos',
    body: { id: 'alice-task', text: "alice's" },
  });
  expect(alices.status).toBe(201);
});

afterAll(async () => {
  table?.close();
  await api?.close();
});

describe("one caller cannot reach another caller's todos", () => {
  it("answers 404 to a read of another caller's todo, exactly as for an id nobody has", async () => {
    // Act
    const foreign = await asAlice({ method: 'GET', path: '/todos/bob-task' });
    const absent = await asAlice({ method: 'GET', path: '/todos/nobody-has-this' });

    // Assess
    expect(foreign.status).toBe(404);
    expect(foreign.headers.etag).toBeUndefined();
    const {
      instance: _a,
      detail: foreignDetail,
      ...foreignProblem
    } = foreign.json as Record<string, unknown>;
    const { instance: _b, detail: absentDetail, ...absentProblem } = absent.json as Record<string, unknown>;
    expect(foreignProblem).toEqual(absentProblem);
    expect(String(foreignDetail).replace('bob-task', 'X')).toBe(
      String(absentDetail).replace('nobody-has-this', 'X'),
    );
  });

  it("lists only the caller's own todos, whatever the query says", async () => {
    // Act
    const listed = await asAlice({ method: 'GET', path: '/todos', query: 'owner=bob&sub=bob&limit=100' });

    // Assess
    expect(listed.status).toBe(200);
    expect((listed.json as { id: string }[]).map((todo) => todo.id)).toEqual(['alice-task']);
  });

  it("refuses another caller's cursor with 400 instead of paging through their todos", async () => {
    // Act
    const paged = await asAlice({ method: 'GET', path: '/todos', query: { cursor: bobCursor } });

    // Assess
    expect(paged.status).toBe(400);
    expect(paged.json).toMatchObject({ errors: [{ field: 'cursor' }] });
  });

  it.each([
    [
      'PUT with their ETag',
      { method: 'PUT', headers: { 'if-match': 'ETAG' }, body: { text: 'stolen', done: true } },
    ],
    ['PUT without If-Match', { method: 'PUT', body: { text: 'stolen', done: true } }],
    ['PATCH with If-Match: *', { method: 'PATCH', headers: { 'if-match': '*' }, body: { done: true } }],
    ['PATCH with their ETag', { method: 'PATCH', headers: { 'if-match': 'ETAG' }, body: { text: 'stolen' } }],
    ['DELETE with their ETag', { method: 'DELETE', headers: { 'if-match': 'ETAG' } }],
    ['DELETE without If-Match', { method: 'DELETE' }],
  ] as const)("answers 404 to %s on another caller's todo and changes nothing", async (_name, init) => {
    // Prepare
    const before = await bobsItems();
    const headers: Record<string, string> =
      'headers' in init ? { 'if-match': init.headers['if-match'].replace('ETAG', bobETags[0]!) } : {};

    // Act
    const result = await asAlice({ ...init, path: '/todos/bob-task', headers });

    // Assess
    expect(result.status).toBe(404);
    expect(await bobsItems()).toBe(before);
  });

  it("creates the caller's own todo when it picks an id another caller uses, leaving theirs alone", async () => {
    // Prepare
    const before = await bobsItems();

    // Act
    const created = await asAlice({
      method: 'POST',
      path: '/todos',
      body: { id: 'shared-name', text: 'mine' },
    });
    const readBack = await asAlice({ method: 'GET', path: '/todos/shared-name' });

    // Assess
    expect(created.status).toBe(201);
    expect(readBack.json).toMatchObject({ id: 'shared-name', text: 'mine', version: 1 });
    expect(await bobsItems()).toBe(before);
  });

  it('refuses an owner field in the body instead of writing into another partition', async () => {
    // Act
    const result = await asAlice({ method: 'POST', path: '/todos', body: { text: 'x', owner: 'bob' } });

    // Assess
    expect(result.status).toBe(400);
    expect(result.json).toMatchObject({ errors: [{ field: 'owner' }] });
  });

  it.each([
    '/todos/..%2Fbob%2Fbob-task',
    '/todos/bob%2Fbob-task',
    '/todos/bob/bob-task',
    '/todos/../todos/bob-task',
    '/todos/%62ob-task',
    '/todos/BOB-TASK',
    '/todos/bob-Upper',
    '/todos/bob-task%00',
    '/todos/bob-task%20',
    '/todos/%2e%2e/bob-task',
    '//todos/bob-task',
  ])("answers a path trick %s with 404 and never with bob's todo", async (path) => {
    // Act
    const results = await Promise.all(
      ['GET', 'PATCH', 'DELETE'].map((method) =>
        asAlice({
          method,
          path,
          headers: { 'if-match': '*' },
          ...(method === 'PATCH' ? { body: { done: true } } : {}),
        }),
      ),
    );

    // Assess
    for (const result of results) {
      expect(result.status).toBe(404);
      expect(result.body ?? '').not.toContain("bob's");
    }
  });

  it('keeps identities apart by exact sub: another case, the default tenant and identity headers do not match', async () => {
    // Act
    const otherCase = await api.invoke({ method: 'GET', path: '/todos/bob-task', sub: 'Bob' });
    const anonymous = await api.invoke({ method: 'GET', path: '/todos/bob-task' });
    const spoofed = await asAlice({
      method: 'GET',
      path: '/todos/bob-task',
      headers: { 'x-amzn-oidc-identity': 'bob', 'x-user': 'bob', authorization: 'Bearer bob' },
    });

    // Assess
    expect([otherCase.status, anonymous.status, spoofed.status]).toEqual([404, 404, 404]);
  });

  it(
    "never changes or reveals another caller's todos, whatever the request (generated)",
    async () => {
      // Prepare
      const known: KnownValues = { ids: [...bobIds, 'alice-task'], etags: bobETags, cursors: [bobCursor] };
      const before = await bobsItems();

      // Act and Assess, per generated request
      await assertProperty('isolation', requestArbitrary(known), async (request) => {
        const result = await asAlice({
          method: request.method,
          path: request.path,
          query: request.query,
          headers: request.headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
          base64: request.base64 && request.body !== undefined,
        });
        expect(result.body ?? '', `${request.method} ${request.path}`).not.toContain("bob's");
        expect(await bobsItems()).toBe(before);
      });
    },
    RELIABILITY_CONFIG.propertyTimeoutMs,
  );
});

describe('owners of authenticated and open callers never meet', () => {
  it('refuses with 403 a request whose authorizer context has no subject', async () => {
    // Prepare
    const event = httpApiEvent({ method: 'GET', path: '/todos', sub: 'placeholder' });
    const claims = event.requestContext.authorizer!.jwt.claims as Record<string, unknown>;
    delete claims.sub;

    // Act
    const result = parseResult(await api.handler(event), event.requestContext.requestId, undefined);

    // Assess
    expect(result.status).toBe(403);
    expect(result.json).toMatchObject({ status: 403, instance: event.requestContext.requestId });
  });

  it("keeps the open tenant's todos from a caller whose sub is the open tenant's name", async () => {
    // Prepare
    const open = await api.invoke({
      method: 'POST',
      path: '/todos',
      body: { id: 'open-task', text: 'open' },
    });
    expect(open.status).toBe(201);

    // Act
    const read = await api.invoke({ method: 'GET', path: '/todos/open-task', sub: DEFAULT_OWNER });
    const listed = await api.invoke({ method: 'GET', path: '/todos', sub: DEFAULT_OWNER });

    // Assess
    expect(read.status).toBe(404);
    expect(listed.json).toEqual([]);
  });
});
