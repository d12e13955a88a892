/**
 * Whole-table snapshots read with the real AWS SDK, to prove that a request
 * changed nothing (or exactly what it should). A Scan is fine here: test tables
 * hold a few dozen items, and the handler itself never scans.
 */
import {
  type AttributeValue,
  DeleteItemCommand,
  DynamoDBClient,
  paginateScan,
} from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS } from '../../support/todo-api';

/** One item per line, `owner/id` first, sorted so two snapshots compare as strings. */
export type TableSnapshot = readonly string[];

/** Reads tables at one endpoint; `close` releases the client's sockets. */
export class TableReader {
  private readonly client: DynamoDBClient;

  constructor(
    endpoint: string,
    private readonly tableName: string,
  ) {
    this.client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  }

  /** Every item of the table, strongly consistent. */
  async snapshot(): Promise<TableSnapshot> {
    const lines: string[] = [];
    for await (const page of paginateScan(
      { client: this.client },
      { TableName: this.tableName, ConsistentRead: true },
    )) {
      for (const item of page.Items ?? []) lines.push(describeItem(item));
    }
    return lines.sort();
  }

  /** Items as plain records (`S`, `N` as number, `BOOL`), keyed by `owner/id`. */
  async items(): Promise<Map<string, Record<string, string | number | boolean>>> {
    const items = new Map<string, Record<string, string | number | boolean>>();
    for await (const page of paginateScan(
      { client: this.client },
      { TableName: this.tableName, ConsistentRead: true },
    )) {
      for (const item of page.Items ?? []) {
        const plain = Object.fromEntries(
          Object.entries(item).map(([name, value]) => [name, plainValue(value)]),
        );
        items.set(`${plain.owner}/${plain.id}`, plain);
      }
    }
    return items;
  }

  /** Deletes one item, so that long generated runs keep the table (and each scan) small. */
  async remove(owner: string, id: string): Promise<void> {
    await this.client.send(
      new DeleteItemCommand({ TableName: this.tableName, Key: { owner: { S: owner }, id: { S: id } } }),
    );
  }

  close(): void {
    this.client.destroy();
  }
}

function plainValue(value: AttributeValue): string | number | boolean {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  return JSON.stringify(value);
}

function describeItem(item: Record<string, AttributeValue>): string {
  const owner = item.owner?.S ?? '?';
  const id = item.id?.S ?? '?';
  const fields = Object.keys(item)
    .sort()
    .map((name) => `${name}=${JSON.stringify(item[name])}`);
  return `${owner}/${id} ${fields.join(' ')}`;
}
