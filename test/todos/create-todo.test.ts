import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTodoApi, type TodoApi } from '../support/todo-api';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('POST /todos', () => {
  let api: TodoApi;
  beforeAll(async () => {
    api = await startTodoApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('returns 201 with the todo, its Location and a strong ETag', async () => {
    // Act
    const created = await api.invoke({ method: 'POST', path: '/todos', body: { text: 'buy milk' } });

    // Assess
    expect(created.status).toBe(201);
    const todo = created.json as Record<string, unknown>;
    expect(todo).toEqual({
      id: expect.stringMatching(UUID_V7),
      text: 'buy milk',
      done: false,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updatedAt: todo.createdAt,
      version: 1,
    });
    expect(created.headers.location).toBe(`/todos/${todo.id}`);
    expect(created.headers.etag).toMatch(/^"[^"]+"$/);
    expect(created.headers['content-type']).toBe('application/json');
  });

  it('stores the todo so that its Location serves it with the same ETag', async () => {
    // Prepare
    const created = await api.invoke({ method: 'POST', path: '/todos', body: { text: 'walk', done: true } });

    // Act
    const fetched = await api.invoke({ method: 'GET', path: created.headers.location! });

    // Assess
    expect(fetched.status).toBe(200);
    expect(fetched.json).toEqual(created.json);
    expect(fetched.headers.etag).toBe(created.headers.etag);
  });

  it('makes time-ordered ids for successive todos', async () => {
    // Act
    const ids: string[] = [];
    for (let index = 0; index < 5; index++) {
      const created = await api.invoke({ method: 'POST', path: '/todos', body: { text: `t${index}` } });
      ids.push((created.json as { id: string }).id);
    }

    // Assess
    expect([...ids].sort()).toEqual(ids);
  });

  it('uses the id the client chooses', async () => {
    // Act
    const created = await api.invoke({
      method: 'POST',
      path: '/todos',
      body: { id: 'Groceries_2026-11', text: 'eggs' },
    });

    // Assess
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: 'Groceries_2026-11', text: 'eggs' });
    expect(created.headers.location).toBe('/todos/Groceries_2026-11');
  });

  it('returns 409 and keeps the original when the chosen id exists', async () => {
    // Prepare
    await api.invoke({ method: 'POST', path: '/todos', body: { id: 'taken', text: 'first' } });

    // Act
    const second = await api.invoke({
      method: 'POST',
      path: '/todos',
      body: { id: 'taken', text: 'second' },
    });

    // Assess
    expect(second.status).toBe(409);
    expect(second.headers['content-type']).toBe('application/problem+json');
    expect(second.json).toMatchObject({ status: 409, instance: second.requestId });
    const kept = await api.invoke({ method: 'GET', path: '/todos/taken' });
    expect(kept.json).toMatchObject({ text: 'first', version: 1 });
  });

  it('accepts a chosen id of 64 characters and rejects one of 65 or with other characters', async () => {
    // Act
    const longest = await api.invoke({
      method: 'POST',
      path: '/todos',
      body: { id: 'a'.repeat(64), text: 'x' },
    });
    const tooLong = await api.invoke({
      method: 'POST',
      path: '/todos',
      body: { id: 'a'.repeat(65), text: 'x' },
    });
    const slash = await api.invoke({ method: 'POST', path: '/todos', body: { id: 'a/b', text: 'x' } });
    const empty = await api.invoke({ method: 'POST', path: '/todos', body: { id: '', text: 'x' } });

    // Assess
    expect(longest.status).toBe(201);
    for (const rejected of [tooLong, slash, empty]) {
      expect(rejected.status).toBe(400);
      expect(rejected.json).toMatchObject({ errors: [{ field: 'id' }] });
    }
  });

  it('keeps owners apart: the same id may exist for two callers and each sees only their own', async () => {
    // Act
    const alice = await api.invoke({
      method: 'POST',
      path: '/todos',
      sub: 'alice',
      body: { id: 'shared', text: 'a' },
    });
    const bob = await api.invoke({
      method: 'POST',
      path: '/todos',
      sub: 'bob',
      body: { id: 'shared', text: 'b' },
    });
    const alicesView = await api.invoke({ method: 'GET', path: '/todos/shared', sub: 'alice' });
    const anonymousView = await api.invoke({ method: 'GET', path: '/todos/shared' });

    // Assess
    expect([alice.status, bob.status]).toEqual([201, 201]);
    expect(alicesView.json).toMatchObject({ text: 'a' });
    expect(anonymousView.status).toBe(404);
  });

  it('serves a named stage and puts the stage in Location', async () => {
    // Act
    const created = await api.invoke({
      method: 'POST',
      path: '/todos',
      stage: 'prod',
      body: { text: 'staged' },
    });

    // Assess
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/prod/todos/${(created.json as { id: string }).id}`);
  });
});
