import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { TABLE_INDEXES, TABLE_KEYS, indexKeys } from '../../types/table.ts';

/** CreateTable input for local mode and tests; the CDK construct builds the same keys from types/table.ts. */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const stringAttr = (name: string) => ({ AttributeName: name, AttributeType: 'S' as const });
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      stringAttr(TABLE_KEYS.partition),
      stringAttr(TABLE_KEYS.sort),
      ...TABLE_INDEXES.flatMap((index) => [stringAttr(indexKeys(index).partition), stringAttr(indexKeys(index).sort)]),
    ],
    KeySchema: [
      { AttributeName: TABLE_KEYS.partition, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sort, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: TABLE_INDEXES.map((index) => ({
      IndexName: index,
      KeySchema: [
        { AttributeName: indexKeys(index).partition, KeyType: 'HASH' },
        { AttributeName: indexKeys(index).sort, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}
