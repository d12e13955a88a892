/**
 * The embedded DynamoDB: dynalite (DynamoDB's wire protocol on LevelDB) on a
 * loopback port, with the todo table created from the shared definition. The
 * real AWS SDK talks to it over HTTP exactly as it talks to DynamoDB.
 */
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createTableInput } from '../functions/todos/table';

export interface EmbeddedDynamoDB {
  /** `http://127.0.0.1:<port>`: the value for `AWS_ENDPOINT_URL_DYNAMODB`. */
  readonly endpoint: string;
  readonly close: () => Promise<void>;
}

export interface EmbeddedDynamoDBOptions {
  /** LevelDB directory for a persistent store; in memory when omitted. */
  readonly path?: string;
  /** Port to listen on; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Tables to create (with the todo table's definition) if they do not exist yet. */
  readonly tables?: readonly string[];
}

/** Starts dynalite and creates the tables. */
export async function startEmbeddedDynamoDB(
  options: EmbeddedDynamoDBOptions = {},
): Promise<EmbeddedDynamoDB> {
  // Tables become ACTIVE at once instead of after dynalite's default 500 ms.
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path: options.path });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    for (const table of options.tables ?? []) {
      try {
        await client.send(new CreateTableCommand(createTableInput(table)));
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
    }
  } catch (error) {
    await close();
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, close };
}
