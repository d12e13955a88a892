import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTodoApi, type TodoApi } from '../support/todo-api';

describe('GET /todos/{id}', () => {
  let api: TodoApi;
  let etag: string;
  beforeAll(async () => {
    api = await startTodoApi();
    const created = await api.invoke({
      method: 'POST',
      path: '/todos',
      body: { id: 'read-me', text: 'hello' },
    });
    etag = created.headers.etag!;
  });
  afterAll(async () => {
    await api.close();
  });

  it('returns 200 with the todo and its ETag', async () => {
    // Act
    const fetched = await api.invoke({ method: 'GET', path: '/todos/read-me' });

    // Assess
    expect(fetched.status).toBe(200);
    expect(fetched.headers.etag).toBe(etag);
    expect(fetched.json).toMatchObject({ id: 'read-me', text: 'hello', done: false, version: 1 });
  });

  it('returns 404 problem when the todo does not exist', async () => {
    // Act
    const missing = await api.invoke({ method: 'GET', path: '/todos/absent' });

    // Assess
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ status: 404, title: 'Not found', instance: missing.requestId });
  });

  it('returns 404 for an id no todo can have', async () => {
    // Act
    const invalid = await api.invoke({ method: 'GET', path: `/todos/${'x'.repeat(65)}` });
    const encoded = await api.invoke({ method: 'GET', path: '/todos/a%2Fb' });
    const badEncoding = await api.invoke({ method: 'GET', path: '/todos/%E0%A4%A' });

    // Assess
    expect([invalid.status, encoded.status, badEncoding.status]).toEqual([404, 404, 404]);
  });

  it('returns 304 without a body when If-None-Match has the current ETag', async () => {
    // Act
    const exact = await api.invoke({
      method: 'GET',
      path: '/todos/read-me',
      headers: { 'if-none-match': etag },
    });
    const listed = await api.invoke({
      method: 'GET',
      path: '/todos/read-me',
      headers: { 'if-none-match': `"0.other", W/${etag}` },
    });
    const star = await api.invoke({
      method: 'GET',
      path: '/todos/read-me',
      headers: { 'if-none-match': '*' },
    });

    // Assess
    for (const notModified of [exact, listed, star]) {
      expect(notModified.status).toBe(304);
      expect(notModified.body).toBeUndefined();
      expect(notModified.headers.etag).toBe(etag);
    }
  });

  it('returns 200 when If-None-Match has an older ETag', async () => {
    // Prepare
    const changed = await api.invoke({
      method: 'POST',
      path: '/todos',
      body: { id: 'changing', text: 'v1' },
    });
    await api.invoke({ method: 'PATCH', path: '/todos/changing', body: { text: 'v2' } });

    // Act
    const fetched = await api.invoke({
      method: 'GET',
      path: '/todos/changing',
      headers: { 'if-none-match': changed.headers.etag! },
    });

    // Assess
    expect(fetched.status).toBe(200);
    expect(fetched.json).toMatchObject({ text: 'v2', version: 2 });
    expect(fetched.headers.etag).not.toBe(changed.headers.etag);
  });
});
