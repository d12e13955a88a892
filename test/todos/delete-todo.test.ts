import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTodoApi, type TodoApi } from '../support/todo-api';

describe('DELETE /todos/{id}', () => {
  let api: TodoApi;
  beforeAll(async () => {
    api = await startTodoApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('returns 204 without a body, after which the todo is gone', async () => {
    // Prepare
    await api.invoke({ method: 'POST', path: '/todos', body: { id: 'doomed', text: 'x' } });

    // Act
    const deleted = await api.invoke({ method: 'DELETE', path: '/todos/doomed' });

    // Assess
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
    expect(deleted.headers['x-request-id']).toBe(deleted.requestId);
    const fetched = await api.invoke({ method: 'GET', path: '/todos/doomed' });
    expect(fetched.status).toBe(404);
  });

  it('returns 404 when the todo does not exist', async () => {
    // Act
    const deleted = await api.invoke({ method: 'DELETE', path: '/todos/never-was' });

    // Assess
    expect(deleted.status).toBe(404);
    expect(deleted.json).toMatchObject({ status: 404, instance: deleted.requestId });
  });

  it('returns 412 and keeps the todo when If-Match is stale', async () => {
    // Prepare
    const created = await api.invoke({ method: 'POST', path: '/todos', body: { id: 'guarded', text: 'v1' } });
    await api.invoke({ method: 'PATCH', path: '/todos/guarded', body: { done: true } });

    // Act
    const deleted = await api.invoke({
      method: 'DELETE',
      path: '/todos/guarded',
      headers: { 'if-match': created.headers.etag! },
    });

    // Assess
    expect(deleted.status).toBe(412);
    const fetched = await api.invoke({ method: 'GET', path: '/todos/guarded' });
    expect(fetched.status).toBe(200);
  });

  it('deletes when If-Match has the current ETag', async () => {
    // Prepare
    const created = await api.invoke({ method: 'POST', path: '/todos', body: { id: 'matched', text: 'v1' } });

    // Act
    const deleted = await api.invoke({
      method: 'DELETE',
      path: '/todos/matched',
      headers: { 'if-match': created.headers.etag! },
    });

    // Assess
    expect(deleted.status).toBe(204);
    expect((await api.invoke({ method: 'GET', path: '/todos/matched' })).status).toBe(404);
  });
});
