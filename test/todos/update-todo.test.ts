import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTodoApi, type TodoApi } from '../support/todo-api';

describe('PUT and PATCH /todos/{id}', () => {
  let api: TodoApi;
  beforeAll(async () => {
    api = await startTodoApi();
  });
  afterAll(async () => {
    await api.close();
  });

  async function create(id: string, text = 'original') {
    const created = await api.invoke({ method: 'POST', path: '/todos', body: { id, text } });
    expect(created.status).toBe(201);
    return created;
  }

  it('PUT replaces text and done, bumps the version and returns the new ETag', async () => {
    // Prepare
    const created = await create('put-me');

    // Act
    const replaced = await api.invoke({
      method: 'PUT',
      path: '/todos/put-me',
      body: { text: 'replaced', done: true },
    });

    // Assess
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({ id: 'put-me', text: 'replaced', done: true, version: 2 });
    const before = created.json as { createdAt: string };
    expect(replaced.json).toMatchObject({ createdAt: before.createdAt });
    expect(replaced.headers.etag).not.toBe(created.headers.etag);
    const fetched = await api.invoke({ method: 'GET', path: '/todos/put-me' });
    expect(fetched.json).toEqual(replaced.json);
  });

  it('PUT returns 400 listing every missing field', async () => {
    // Prepare
    await create('put-partial');

    // Act
    const result = await api.invoke({ method: 'PUT', path: '/todos/put-partial', body: {} });

    // Assess
    expect(result.status).toBe(400);
    expect(result.json).toMatchObject({
      errors: [
        { field: 'text', message: 'is required' },
        { field: 'done', message: 'is required' },
      ],
    });
  });

  it('PATCH with application/merge-patch+json changes only the given field', async () => {
    // Prepare
    await create('patch-merge', 'keep me');

    // Act
    const patched = await api.invoke({
      method: 'PATCH',
      path: '/todos/patch-merge',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ done: true }),
    });

    // Assess
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ text: 'keep me', done: true, version: 2 });
  });

  it('PATCH with application/json changes the text', async () => {
    // Prepare
    await create('patch-json');

    // Act
    const patched = await api.invoke({
      method: 'PATCH',
      path: '/todos/patch-json',
      body: { text: 'new text' },
    });

    // Assess
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ text: 'new text', done: false, version: 2 });
  });

  it('PATCH returns 400 for null fields and for an empty patch', async () => {
    // Prepare
    await create('patch-null');

    // Act
    const nulls = await api.invoke({ method: 'PATCH', path: '/todos/patch-null', body: { text: null } });
    const empty = await api.invoke({ method: 'PATCH', path: '/todos/patch-null', body: {} });

    // Assess
    expect(nulls.status).toBe(400);
    expect(nulls.json).toMatchObject({ errors: [{ field: 'text', message: 'must be a string' }] });
    expect(empty.status).toBe(400);
    expect(empty.json).toMatchObject({ errors: [{ field: 'body' }] });
  });

  it.each(['PUT', 'PATCH'])(
    '%s returns 404 when the todo does not exist, with or without If-Match',
    async (method) => {
      // Act
      const plain = await api.invoke({ method, path: '/todos/ghost', body: { text: 'x', done: false } });
      const star = await api.invoke({
        method,
        path: '/todos/ghost',
        headers: { 'if-match': '*' },
        body: { text: 'x', done: false },
      });
      const tagged = await api.invoke({
        method,
        path: '/todos/ghost',
        headers: { 'if-match': '"1.01900000-0000-7000-8000-000000000000"' },
        body: { text: 'x', done: false },
      });

      // Assess
      expect([plain.status, star.status, tagged.status]).toEqual([404, 404, 404]);
      const listed = await api.invoke({ method: 'GET', path: '/todos/ghost' });
      expect(listed.status).toBe(404);
    },
  );

  it('returns 412 when If-Match is stale and leaves the todo unchanged', async () => {
    // Prepare
    const created = await create('stale');
    await api.invoke({ method: 'PATCH', path: '/todos/stale', body: { text: 'second' } });

    // Act
    const result = await api.invoke({
      method: 'PUT',
      path: '/todos/stale',
      headers: { 'if-match': created.headers.etag! },
      body: { text: 'lost update', done: false },
    });

    // Assess
    expect(result.status).toBe(412);
    expect(result.json).toMatchObject({
      status: 412,
      title: 'Precondition failed',
      instance: result.requestId,
    });
    const fetched = await api.invoke({ method: 'GET', path: '/todos/stale' });
    expect(fetched.json).toMatchObject({ text: 'second', version: 2 });
  });

  it('writes when If-Match is *, or a list that holds the current ETag', async () => {
    // Prepare
    const created = await create('matching');

    // Act
    const star = await api.invoke({
      method: 'PATCH',
      path: '/todos/matching',
      headers: { 'if-match': '*' },
      body: { text: 'by star' },
    });
    const listed = await api.invoke({
      method: 'PATCH',
      path: '/todos/matching',
      headers: { 'if-match': `${created.headers.etag}, ${star.headers.etag}` },
      body: { text: 'by list' },
    });

    // Assess
    expect(star.status).toBe(200);
    expect(listed.status).toBe(200);
    expect(listed.json).toMatchObject({ text: 'by list', version: 3 });
  });

  it('returns 412 for a weak ETag, which never matches If-Match (strong comparison)', async () => {
    // Prepare
    const created = await create('weak');

    // Act
    const result = await api.invoke({
      method: 'PATCH',
      path: '/todos/weak',
      headers: { 'if-match': `W/${created.headers.etag}` },
      body: { done: true },
    });

    // Assess
    expect(result.status).toBe(412);
  });

  it('returns 412 for the ETag of a deleted todo whose id was created again', async () => {
    // Prepare
    const first = await create('reborn', 'first life');
    await api.invoke({ method: 'DELETE', path: '/todos/reborn' });
    await create('reborn', 'second life');

    // Act
    const result = await api.invoke({
      method: 'PATCH',
      path: '/todos/reborn',
      headers: { 'if-match': first.headers.etag! },
      body: { done: true },
    });

    // Assess
    expect(result.status).toBe(412);
  });

  it('lets exactly one of several concurrent conflicting updates win; the others get 412', async () => {
    // Prepare
    const created = await create('contended');
    const etag = created.headers.etag!;

    // Act
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        api.invoke({
          method: index % 2 === 0 ? 'PATCH' : 'PUT',
          path: '/todos/contended',
          headers: { 'if-match': etag },
          body: { text: `writer ${index}`, done: index % 2 === 0 },
        }),
      ),
    );

    // Assess
    const statuses = results.map((result) => result.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 412)).toHaveLength(7);
    const winner = results.find((result) => result.status === 200)!;
    const fetched = await api.invoke({ method: 'GET', path: '/todos/contended' });
    expect(fetched.json).toEqual(winner.json);
    expect(fetched.json).toMatchObject({ version: 2 });
  });
});
