/**
 * Responses of the todo API, independent of Lambda, and the todo's public representation.
 */
import type { Todo } from './todo-store';

/** An HTTP response. Header names are lower-case. */
export interface TodoResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** A todo as clients see it: the owner and the ordering key stay internal. */
export interface TodoRepresentation {
  readonly id: string;
  readonly text: string;
  readonly done: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

/** The representation of a stored todo. */
export function representationOf(todo: Todo): TodoRepresentation {
  return {
    id: todo.id,
    text: todo.text,
    done: todo.done,
    createdAt: todo.createdAt,
    updatedAt: todo.updatedAt,
    version: todo.version,
  };
}

/** A JSON response. */
export function jsonResponse(
  statusCode: number,
  value: unknown,
  headers: Readonly<Record<string, string>> = {},
): TodoResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(value),
  };
}

/** A response without a body (204, 304). */
export function emptyResponse(
  statusCode: number,
  headers: Readonly<Record<string, string>> = {},
): TodoResponse {
  return { statusCode, headers };
}
