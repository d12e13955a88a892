/**
 * The use cases, one per route operation: validate the request, act on the
 * store, shape the response. Nothing here knows about Lambda.
 */
import { decodeCursor, encodeCursor } from './cursor';
import { NotFoundError } from './errors';
import { formatETag, ifNoneMatchMatches, parseIfMatch } from './etag';
import type { TodoRequest } from './http-request';
import { emptyResponse, jsonResponse, representationOf, type TodoResponse } from './http-response';
import { JSON_MEDIA_TYPE, MERGE_PATCH_MEDIA_TYPE, readJsonBody } from './request-body';
import type { Operation } from './routes';
import type { Todo, TodoStore } from './todo-store';
import {
  isTodoId,
  parseCreateInput,
  parseListLimit,
  parsePatchInput,
  parseReplaceInput,
} from './todo-validation';
import { uuidV7 } from './uuid-v7';

/** What the use cases need from the environment. */
interface OperationContext {
  readonly store: TodoStore;
  /** HMAC key for pagination cursors. */
  readonly cursorKey: Buffer;
  readonly now: () => Date;
}

/** A use case: request and decoded path parameters in, response out. */
export type OperationHandler = (
  request: TodoRequest,
  params: Readonly<Record<string, string>>,
  context: OperationContext,
) => Promise<TodoResponse>;

/** Every operation of the route table with its use case (the `Record` type makes a missing one a type error). */
export const OPERATIONS: Readonly<Record<Operation, OperationHandler>> = {
  async listTodos(request, _params, { store, cursorKey }) {
    const limit = parseListLimit(request.query);
    const token = request.query.get('cursor');
    const after = token === null ? undefined : decodeCursor(token, request.owner, cursorKey);
    const page = await store.list(request.owner, limit, after);
    const headers: Record<string, string> = {};
    if (page.next) {
      const next = new URLSearchParams({
        limit: String(limit),
        cursor: encodeCursor(page.next, request.owner, cursorKey),
      });
      headers.link = `<${request.rawPath}?${next}>; rel="next"`;
    }
    return jsonResponse(200, page.todos.map(representationOf), headers);
  },

  async createTodo(request, _params, { store, now }) {
    const input = parseCreateInput(readJsonBody(request, [JSON_MEDIA_TYPE]));
    const createdAt = now();
    const seq = uuidV7(createdAt.getTime());
    const timestamp = createdAt.toISOString();
    const todo = await store.create({
      owner: request.owner,
      id: input.id ?? seq,
      seq,
      text: input.text,
      done: input.done,
      createdAt: timestamp,
      updatedAt: timestamp,
      version: 1,
    });
    return jsonResponse(201, representationOf(todo), {
      location: `${request.rawPath.replace(/\/$/, '')}/${encodeURIComponent(todo.id)}`,
      etag: formatETag(todo),
    });
  },

  async getTodo(request, params, { store }) {
    const id = todoId(params);
    const todo = await store.get(request.owner, id);
    if (!todo) throw notFound(id);
    const etag = formatETag(todo);
    if (ifNoneMatchMatches(request.headers['if-none-match'], todo)) return emptyResponse(304, { etag });
    return jsonResponse(200, representationOf(todo), { etag });
  },

  async replaceTodo(request, params, context) {
    const id = todoId(params);
    const changes = parseReplaceInput(readJsonBody(request, [JSON_MEDIA_TYPE]));
    return updated(await context.store.update(request.owner, id, changes, ifMatch(request), stamp(context)));
  },

  async patchTodo(request, params, context) {
    const id = todoId(params);
    const changes = parsePatchInput(readJsonBody(request, [MERGE_PATCH_MEDIA_TYPE, JSON_MEDIA_TYPE]));
    return updated(await context.store.update(request.owner, id, changes, ifMatch(request), stamp(context)));
  },

  async deleteTodo(request, params, { store }) {
    const id = todoId(params);
    await store.delete(request.owner, id, ifMatch(request));
    return emptyResponse(204);
  },
};

/** A path id that no todo can have is answered like an absent todo. */
function todoId(params: Readonly<Record<string, string>>): string {
  const id = params.id ?? '';
  if (!isTodoId(id)) throw notFound(id);
  return id;
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`No todo with id ${id}`);
}

function ifMatch(request: TodoRequest) {
  return parseIfMatch(request.headers['if-match']);
}

function stamp(context: OperationContext): string {
  return context.now().toISOString();
}

function updated(todo: Todo): TodoResponse {
  return jsonResponse(200, representationOf(todo), { etag: formatETag(todo) });
}
