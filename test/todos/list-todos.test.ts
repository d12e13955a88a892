import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InvokeResult, startTodoApi, type TodoApi } from '../support/todo-api';

/** The target of a `Link: <…>; rel="next"` header. */
function nextLink(result: InvokeResult): string | undefined {
  return /^<([^>]+)>;\s*rel="next"$/.exec(result.headers.link ?? '')?.[1];
}

function texts(result: InvokeResult): string[] {
  return (result.json as { text: string }[]).map((todo) => todo.text);
}

describe('GET /todos', () => {
  let api: TodoApi;
  beforeAll(async () => {
    api = await startTodoApi();
  });
  afterAll(async () => {
    await api.close();
  });

  async function createMany(sub: string, count: number, clientIds = false): Promise<void> {
    for (let index = 0; index < count; index++) {
      // Client ids that sort backwards prove the listing orders by creation, not by id.
      const id = clientIds ? { id: `z${String(count - index).padStart(3, '0')}` } : {};
      const created = await api.invoke({
        method: 'POST',
        path: '/todos',
        sub,
        body: { ...id, text: `#${index}` },
      });
      expect(created.status).toBe(201);
    }
  }

  it('returns an empty array when the caller has no todos', async () => {
    // Act
    const listed = await api.invoke({ method: 'GET', path: '/todos', sub: 'nobody' });

    // Assess
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual([]);
    expect(listed.headers.link).toBeUndefined();
  });

  it('pages through every todo in creation order, following Link with the same limit', async () => {
    // Prepare
    await createMany('pager', 11, true);

    // Act
    const pages: InvokeResult[] = [];
    let target: string | undefined = '/todos?limit=4';
    while (target) {
      const url: URL = new URL(target, 'https://api.example');
      const page = await api.invoke({
        method: 'GET',
        path: url.pathname,
        query: url.search.slice(1),
        sub: 'pager',
      });
      pages.push(page);
      target = nextLink(page);
    }

    // Assess
    expect(pages.map((page) => page.status)).toEqual([200, 200, 200]);
    expect(pages.map((page) => texts(page).length)).toEqual([4, 4, 3]);
    expect(pages.flatMap(texts)).toEqual(Array.from({ length: 11 }, (_, index) => `#${index}`));
    for (const page of pages.slice(0, 2)) {
      expect(nextLink(page)).toMatch(/^\/todos\?limit=4&cursor=[\w.-]+$/);
    }
    expect(pages[2]!.headers.link).toBeUndefined();
  });

  it('has no next link when the last page is exactly full', async () => {
    // Prepare
    await createMany('exact', 3);

    // Act
    const listed = await api.invoke({ method: 'GET', path: '/todos', query: { limit: '3' }, sub: 'exact' });

    // Assess
    expect(texts(listed)).toEqual(['#0', '#1', '#2']);
    expect(listed.headers.link).toBeUndefined();
  });

  it('returns 50 todos by default', async () => {
    // Prepare
    await createMany('many', 51);

    // Act
    const listed = await api.invoke({ method: 'GET', path: '/todos', sub: 'many' });

    // Assess
    expect(texts(listed)).toHaveLength(50);
    expect(nextLink(listed)).toMatch(/^\/todos\?limit=50&cursor=/);
  });

  it('keeps the stage in the next link', async () => {
    // Prepare
    await createMany('staged', 2);

    // Act
    const listed = await api.invoke({
      method: 'GET',
      path: '/todos',
      query: 'limit=1',
      sub: 'staged',
      stage: 'v1',
    });

    // Assess
    expect(nextLink(listed)).toMatch(/^\/v1\/todos\?limit=1&cursor=/);
  });

  it.each(['0', '101', '-1', '2.5', 'ten', ''])('returns 400 for limit=%s', async (limit) => {
    // Act
    const listed = await api.invoke({ method: 'GET', path: '/todos', query: { limit } });

    // Assess
    expect(listed.status).toBe(400);
    expect(listed.json).toMatchObject({ status: 400, errors: [{ field: 'limit' }] });
  });

  describe('cursor', () => {
    let cursor: string;
    beforeAll(async () => {
      await createMany('cursor-owner', 3);
      const first = await api.invoke({
        method: 'GET',
        path: '/todos',
        query: 'limit=1',
        sub: 'cursor-owner',
      });
      cursor = new URL(nextLink(first)!, 'https://api.example').searchParams.get('cursor')!;
    });

    it('returns 400 when the cursor is altered', async () => {
      // Prepare
      const [payload, mac] = cursor.split('.') as [string, string];
      const position = JSON.parse(Buffer.from(payload, 'base64url').toString()) as string[];
      const forged = Buffer.from(JSON.stringify([position[0], 'other'])).toString('base64url');
      const flipped = mac.startsWith('A') ? `B${mac.slice(1)}` : `A${mac.slice(1)}`;

      // Act
      const results = await Promise.all(
        [`${forged}.${mac}`, `${payload}.${flipped}`].map((tampered) =>
          api.invoke({ method: 'GET', path: '/todos', query: { cursor: tampered }, sub: 'cursor-owner' }),
        ),
      );

      // Assess
      for (const result of results) {
        expect(result.status).toBe(400);
        expect(result.json).toMatchObject({ errors: [{ field: 'cursor' }], instance: result.requestId });
      }
    });

    it.each(['', 'garbage', 'a.b.c', '%%%.%%%', 'x'.repeat(600)])(
      'returns 400 for the malformed cursor %j',
      async (bad) => {
        // Act
        const result = await api.invoke({
          method: 'GET',
          path: '/todos',
          query: { cursor: bad },
          sub: 'cursor-owner',
        });

        // Assess
        expect(result.status).toBe(400);
        expect(result.json).toMatchObject({ errors: [{ field: 'cursor' }] });
      },
    );

    it("returns 400 for another owner's cursor", async () => {
      // Act
      const result = await api.invoke({ method: 'GET', path: '/todos', query: { cursor }, sub: 'intruder' });

      // Assess
      expect(result.status).toBe(400);
      expect(result.json).toMatchObject({ errors: [{ field: 'cursor' }] });
    });

    it('continues after the cursor for its owner', async () => {
      // Act
      const result = await api.invoke({
        method: 'GET',
        path: '/todos',
        query: { limit: '5', cursor },
        sub: 'cursor-owner',
      });

      // Assess
      expect(result.status).toBe(200);
      expect(texts(result)).toEqual(['#1', '#2']);
    });
  });
});
