/**
 * Validation of the todo API's inputs: request bodies, ids and query parameters.
 * Every invalid field is reported, not only the first.
 */
import { type FieldError, ValidationError } from './errors';

/** Text limit, counted in Unicode code points so an emoji counts as one character. */
export const MAX_TEXT_CODE_POINTS = 1_000;

/** Client-chosen ids: 1-64 URL-safe characters, so an id is its own path segment. */
export const TODO_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** `?limit=` bounds: DynamoDB pages stay far below its 1 MB page limit at 100 todos of 4 KB. */
export const LIST_LIMIT = { min: 1, max: 100, default: 50 } as const;

/** Body of `POST /todos`. */
export interface NewTodoInput {
  readonly id?: string;
  readonly text: string;
  readonly done: boolean;
}

/** Fields a `PUT` (both) or `PATCH` (at least one) sets. */
export interface TodoChanges {
  readonly text?: string;
  readonly done?: boolean;
}

type JsonObject = Readonly<Record<string, unknown>>;

/** True when `id` is a syntactically valid todo id. */
export function isTodoId(id: string): boolean {
  return TODO_ID_PATTERN.test(id);
}

/** Validates the body of `POST /todos`: `{ text, done?, id? }`. */
export function parseCreateInput(body: unknown): NewTodoInput {
  const object = asObject(body);
  const errors = unknownFields(object, ['id', 'text', 'done']);
  const text = checkText(object, errors, true);
  const done = checkDone(object, errors, false);
  const id = object.id;
  if (id !== undefined && (typeof id !== 'string' || !isTodoId(id))) {
    errors.push({ field: 'id', message: 'must be 1-64 characters of A-Z, a-z, 0-9, _ and -' });
  }
  throwIfAny(errors);
  return { text: text!, done: done ?? false, ...(typeof id === 'string' ? { id } : {}) };
}

/** Validates the body of `PUT /todos/{id}`: `{ text, done }`, both required. */
export function parseReplaceInput(body: unknown): Required<TodoChanges> {
  const object = asObject(body);
  const errors = unknownFields(object, ['text', 'done']);
  const text = checkText(object, errors, true);
  const done = checkDone(object, errors, true);
  throwIfAny(errors);
  return { text: text!, done: done! };
}

/** Validates the body of `PATCH /todos/{id}` (JSON merge patch): `{ text?, done? }`, at least one. */
export function parsePatchInput(body: unknown): TodoChanges {
  const object = asObject(body);
  const errors = unknownFields(object, ['text', 'done']);
  const text = checkText(object, errors, false);
  const done = checkDone(object, errors, false);
  if (errors.length === 0 && text === undefined && done === undefined) {
    errors.push({ field: 'body', message: 'must set at least one of text, done' });
  }
  throwIfAny(errors);
  return { ...(text !== undefined ? { text } : {}), ...(done !== undefined ? { done } : {}) };
}

/** Reads `?limit=`: an integer from 1 to 100, 50 when absent. */
export function parseListLimit(query: URLSearchParams): number {
  const raw = query.get('limit');
  if (raw === null) return LIST_LIMIT.default;
  const limit = /^\d{1,3}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(limit >= LIST_LIMIT.min && limit <= LIST_LIMIT.max)) {
    throw new ValidationError([
      { field: 'limit', message: `must be an integer from ${LIST_LIMIT.min} to ${LIST_LIMIT.max}` },
    ]);
  }
  return limit;
}

function asObject(body: unknown): JsonObject {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError([{ field: 'body', message: 'must be a JSON object' }]);
  }
  return body as JsonObject;
}

function unknownFields(object: JsonObject, allowed: readonly string[]): FieldError[] {
  return Object.keys(object)
    .filter((key) => !allowed.includes(key))
    .map((field) => ({ field, message: `is not a known field; allowed: ${allowed.join(', ')}` }));
}

function checkText(object: JsonObject, errors: FieldError[], required: boolean): string | undefined {
  const text = object.text;
  if (text === undefined) {
    if (required) errors.push({ field: 'text', message: 'is required' });
    return undefined;
  }
  if (typeof text !== 'string') {
    errors.push({ field: 'text', message: 'must be a string' });
  } else if (text.trim().length === 0) {
    errors.push({ field: 'text', message: 'must not be empty' });
  } else if (/[\uD800-\uDFFF]/u.test(text)) {
    // With the u flag only unpaired surrogates match; they have no UTF-8 encoding to store.
    errors.push({ field: 'text', message: 'must be valid Unicode (it has an unpaired surrogate)' });
  } else if (codePointCount(text) > MAX_TEXT_CODE_POINTS) {
    errors.push({ field: 'text', message: `must be at most ${MAX_TEXT_CODE_POINTS} characters` });
  } else {
    return text;
  }
  return undefined;
}

function checkDone(object: JsonObject, errors: FieldError[], required: boolean): boolean | undefined {
  const done = object.done;
  if (done === undefined) {
    if (required) errors.push({ field: 'done', message: 'is required' });
    return undefined;
  }
  if (typeof done !== 'boolean') {
    errors.push({ field: 'done', message: 'must be true or false' });
    return undefined;
  }
  return done;
}

function codePointCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

function throwIfAny(errors: readonly FieldError[]): void {
  if (errors.length > 0) throw new ValidationError(errors);
}
