import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Page } from '../../../types/api.ts';
import type { TableIndex } from '../../../types/table.ts';
import { indexKeys } from '../../../types/table.ts';
import { decodeCursor, encodeCursor } from '../keys.ts';

/** What every repository receives: the document client and the table name (tests pass DynamoDB Local's). */
export interface TableRef {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** Key attributes and GSI keys are storage details: strip them before an item leaves a repository. */
export function withoutKeys<T>(item: Record<string, unknown>): T {
  const copy: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    if (!/^(pk|sk|gsi\dpk|gsi\dsk|expiresAt)$/.test(name)) copy[name] = value;
  }
  return copy as T;
}

export interface IndexQuery {
  readonly index: TableIndex;
  readonly partition: string;
  /** Inclusive sort-key range (ISO timestamps for time-ordered collections). */
  readonly between?: readonly [string, string];
  readonly newestFirst?: boolean;
  /**
   * Only items whose `attribute` equals `value` are returned (a FilterExpression): every item the key condition
   * matches is still read and paid for, and `limit` counts those, so a page may come back short or empty.
   */
  readonly where?: { readonly attribute: string; readonly value: string };
  readonly limit: number;
  readonly cursor?: string;
}

/** One page of a GSI query; the cursor is opaque to callers and validated on the way back in. */
export async function queryPage<T>(
  table: TableRef,
  query: IndexQuery,
  parse: (item: Record<string, unknown>) => T,
): Promise<Page<T>> {
  const { partition: pkName, sort: skName } = indexKeys(query.index);
  const input: QueryCommandInput = {
    TableName: table.tableName,
    IndexName: query.index,
    KeyConditionExpression: query.between ? '#pk = :pk AND #sk BETWEEN :from AND :to' : '#pk = :pk',
    ExpressionAttributeNames: {
      '#pk': pkName,
      ...(query.between && { '#sk': skName }),
      ...(query.where && { '#where': query.where.attribute }),
    },
    ExpressionAttributeValues: {
      ':pk': query.partition,
      ...(query.between && { ':from': query.between[0], ':to': query.between[1] }),
      ...(query.where && { ':where': query.where.value }),
    },
    ...(query.where && { FilterExpression: '#where = :where' }),
    ScanIndexForward: !query.newestFirst,
    Limit: query.limit,
    ExclusiveStartKey: decodeCursor(query.cursor),
  };
  const out = await table.client.send(new QueryCommand(input));
  const items = (out.Items ?? []).map((item) => parse(withoutKeys(item)));
  const nextCursor = encodeCursor(out.LastEvaluatedKey);
  return nextCursor ? { items, nextCursor } : { items };
}
