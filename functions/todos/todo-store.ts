/**
 * The todos in DynamoDB. Every write that depends on the current state is a
 * conditional write, so concurrent writers cannot overwrite each other.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { CursorPosition } from './cursor';
import { classifyDynamoDBError } from './dynamodb-errors';
import { ConflictError, NotFoundError, PreconditionFailedError } from './errors';
import type { IfMatch } from './etag';
import { TODO_ATTRIBUTES as A, TODO_TABLE } from './table';
import type { TodoChanges } from './todo-validation';

/** A stored todo. */
export interface Todo {
  readonly owner: string;
  readonly id: string;
  /** UUIDv7 made at creation; orders listings. */
  readonly seq: string;
  readonly text: string;
  readonly done: boolean;
  /** ISO-8601 UTC. */
  readonly createdAt: string;
  readonly updatedAt: string;
  /** 1 at creation, +1 on every write. */
  readonly version: number;
}

/** One page of a listing; `next` is set when more todos follow. */
export interface TodoPage {
  readonly todos: readonly Todo[];
  readonly next?: CursorPosition;
}

type Item = Record<string, AttributeValue>;

/** Reads and writes todos in one table. */
export class TodoStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /**
   * Stores a new todo.
   *
   * @throws ConflictError when a todo with this id exists (never overwritten).
   */
  async create(todo: Todo): Promise<Todo> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem(todo),
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': A.id },
        }),
      );
      return todo;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ConflictError(`A todo with id ${todo.id} already exists`, { cause: error });
      }
      throw classifyDynamoDBError(error);
    }
  }

  /** The todo, read with strong consistency, or undefined. */
  async get(owner: string, id: string): Promise<Todo | undefined> {
    try {
      const { Item } = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: key(owner, id), ConsistentRead: true }),
      );
      return Item ? fromItem(Item) : undefined;
    } catch (error) {
      throw classifyDynamoDBError(error);
    }
  }

  /** Up to `limit` todos of `owner` in creation order, starting after `after`. */
  async list(owner: string, limit: number, after?: CursorPosition): Promise<TodoPage> {
    try {
      const { Items = [] } = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: TODO_TABLE.creationIndex.name,
          KeyConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': A.owner },
          ExpressionAttributeValues: { ':owner': { S: owner } },
          ConsistentRead: true,
          // One more than asked tells whether a next page exists, so the last page has no `next`.
          Limit: limit + 1,
          ...(after ? { ExclusiveStartKey: { ...key(owner, after.id), [A.seq]: { S: after.seq } } } : {}),
        }),
      );
      const todos = Items.slice(0, limit).map(fromItem);
      const last = todos.at(-1);
      return Items.length > limit && last ? { todos, next: { seq: last.seq, id: last.id } } : { todos };
    } catch (error) {
      throw classifyDynamoDBError(error);
    }
  }

  /**
   * Sets the given fields, bumps the version and returns the new todo; the write
   * happens only if the todo exists and matches `ifMatch`.
   *
   * @throws NotFoundError when absent, PreconditionFailedError when `ifMatch` does not match.
   */
  async update(
    owner: string,
    id: string,
    changes: TodoChanges,
    ifMatch: IfMatch,
    now: string,
  ): Promise<Todo> {
    const names: Record<string, string> = { '#id': A.id, '#version': A.version, '#updatedAt': A.updatedAt };
    const values: Item = { ':one': { N: '1' }, ':now': { S: now } };
    const sets = ['#updatedAt = :now', '#version = #version + :one'];
    if (changes.text !== undefined) {
      names['#text'] = A.text;
      values[':text'] = { S: changes.text };
      sets.push('#text = :text');
    }
    if (changes.done !== undefined) {
      names['#done'] = A.done;
      values[':done'] = { BOOL: changes.done };
      sets.push('#done = :done');
    }
    const condition = this.condition(ifMatch, names, values);
    if (condition === undefined) return this.failPrecondition(owner, id);
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: key(owner, id),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return fromItem(Attributes ?? {});
    } catch (error) {
      return this.rethrow(error, owner, id, ifMatch);
    }
  }

  /**
   * Deletes the todo if it exists and matches `ifMatch`.
   *
   * @throws NotFoundError when absent, PreconditionFailedError when `ifMatch` does not match.
   */
  async delete(owner: string, id: string, ifMatch: IfMatch): Promise<void> {
    const names: Record<string, string> = { '#id': A.id };
    const values: Item = {};
    const condition = this.condition(ifMatch, names, values);
    if (condition === undefined) return this.failPrecondition(owner, id);
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: key(owner, id),
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      await this.rethrow(error, owner, id, ifMatch);
    }
  }

  /** The condition for `ifMatch`, or undefined when no todo can match it (only weak or foreign tags). */
  private condition(ifMatch: IfMatch, names: Record<string, string>, values: Item): string | undefined {
    if (ifMatch.kind === 'any') return 'attribute_exists(#id)';
    if (ifMatch.revisions.length === 0) return undefined;
    names['#version'] = A.version;
    names['#seq'] = A.seq;
    const alternatives = ifMatch.revisions.map((revision, index) => {
      values[`:v${index}`] = { N: String(revision.version) };
      values[`:s${index}`] = { S: revision.seq };
      return `#version = :v${index} AND #seq = :s${index}`;
    });
    // DynamoDB rejects redundant parentheses, so a single alternative goes without them.
    if (alternatives.length === 1) return `attribute_exists(#id) AND ${alternatives[0]}`;
    return `attribute_exists(#id) AND (${alternatives.map((alternative) => `(${alternative})`).join(' OR ')})`;
  }

  /** 404 or 412 for a precondition nothing can satisfy, without writing. */
  private async failPrecondition(owner: string, id: string): Promise<never> {
    if (await this.get(owner, id)) throw new PreconditionFailedError(staleMessage(id));
    throw new NotFoundError(`No todo with id ${id}`);
  }

  /**
   * Turns a failed conditional write into 404 or 412. DynamoDB returns the item
   * on a failed condition (`ReturnValuesOnConditionCheckFailure`); where an
   * implementation does not, a consistent read tells absent from stale.
   */
  private async rethrow(error: unknown, owner: string, id: string, ifMatch: IfMatch): Promise<never> {
    if (!(error instanceof ConditionalCheckFailedException)) throw classifyDynamoDBError(error);
    const exists =
      error.Item !== undefined || (ifMatch.kind === 'oneOf' && (await this.get(owner, id)) !== undefined);
    if (exists) throw new PreconditionFailedError(staleMessage(id), { cause: error });
    throw new NotFoundError(`No todo with id ${id}`, { cause: error });
  }
}

function staleMessage(id: string): string {
  return `Todo ${id} has changed since the ETag in If-Match was issued; fetch it again and retry`;
}

function key(owner: string, id: string): Item {
  return { [A.owner]: { S: owner }, [A.id]: { S: id } };
}

function toItem(todo: Todo): Item {
  return {
    [A.owner]: { S: todo.owner },
    [A.id]: { S: todo.id },
    [A.seq]: { S: todo.seq },
    [A.text]: { S: todo.text },
    [A.done]: { BOOL: todo.done },
    [A.createdAt]: { S: todo.createdAt },
    [A.updatedAt]: { S: todo.updatedAt },
    [A.version]: { N: String(todo.version) },
  };
}

function fromItem(item: Item): Todo {
  return {
    owner: item[A.owner]?.S ?? '',
    id: item[A.id]?.S ?? '',
    seq: item[A.seq]?.S ?? '',
    text: item[A.text]?.S ?? '',
    done: item[A.done]?.BOOL ?? false,
    createdAt: item[A.createdAt]?.S ?? '',
    updatedAt: item[A.updatedAt]?.S ?? '',
    version: Number(item[A.version]?.N ?? '0'),
  };
}
