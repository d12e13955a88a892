/**
 * The todo table's definition: the single source for the handler's store, the
 * tests, the local sandbox's embedded DynamoDB and the CDK stack.
 *
 * Items are partitioned by owner (the caller's JWT `sub`, or the default tenant)
 * and keyed by the todo's id. Ids may be chosen by clients, so they do not sort
 * in creation order; every item therefore also carries `seq`, a time-ordered
 * UUIDv7 made when the todo is created, and listing queries the local secondary
 * index `byCreation` (same partition, sorted by `seq`) so pages come back in
 * creation order with a strongly consistent read.
 */
export const TODO_TABLE = {
  partitionKey: { name: 'owner', type: 'S' },
  sortKey: { name: 'id', type: 'S' },
  creationIndex: {
    name: 'byCreation',
    sortKey: { name: 'seq', type: 'S' },
  },
} as const;

/** Attribute names of a stored todo item. */
export const TODO_ATTRIBUTES = {
  owner: 'owner',
  id: 'id',
  seq: 'seq',
  text: 'text',
  done: 'done',
  createdAt: 'createdAt',
  updatedAt: 'updatedAt',
  version: 'version',
} as const;

/**
 * The `CreateTable` input for the definition (on-demand billing), used where a
 * table is created by code rather than by CloudFormation: the sandbox and tests.
 */
export const createTableInput = (tableName: string) => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST' as const,
  AttributeDefinitions: [
    { AttributeName: TODO_TABLE.partitionKey.name, AttributeType: TODO_TABLE.partitionKey.type },
    { AttributeName: TODO_TABLE.sortKey.name, AttributeType: TODO_TABLE.sortKey.type },
    {
      AttributeName: TODO_TABLE.creationIndex.sortKey.name,
      AttributeType: TODO_TABLE.creationIndex.sortKey.type,
    },
  ],
  KeySchema: [
    { AttributeName: TODO_TABLE.partitionKey.name, KeyType: 'HASH' as const },
    { AttributeName: TODO_TABLE.sortKey.name, KeyType: 'RANGE' as const },
  ],
  LocalSecondaryIndexes: [
    {
      IndexName: TODO_TABLE.creationIndex.name,
      KeySchema: [
        { AttributeName: TODO_TABLE.partitionKey.name, KeyType: 'HASH' as const },
        { AttributeName: TODO_TABLE.creationIndex.sortKey.name, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    },
  ],
});
