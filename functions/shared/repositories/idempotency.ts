import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { TTL_ATTRIBUTE } from '../../../types/table.ts';
import { keys } from '../keys.ts';
import type { TableRef } from './table.ts';
import type { TransactItem } from './transactions.ts';

/** What an idempotency key answered with: the operation, the entity it acted on and the id it created. */
export interface IdempotencyRecord {
  readonly key: string;
  readonly operation: string;
  readonly targetId: string;
  readonly resultId: string;
  readonly createdAt: string;
}

const epochSeconds = (at: Date) => Math.floor(at.getTime() / 1000);

/**
 * The key's record if it has not expired. DynamoDB's TTL deletes expired items only eventually (within days),
 * so an item past `expiresAt` is treated as absent here and may be overwritten (see `idempotencyPut`).
 */
export async function getIdempotency(table: TableRef, key: string, now: Date): Promise<IdempotencyRecord | undefined> {
  const out = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: keys.idempotency(key), ConsistentRead: true }),
  );
  const item = out.Item;
  if (!item || Number(item[TTL_ATTRIBUTE]) <= epochSeconds(now)) return undefined;
  return {
    key,
    operation: String(item.operation),
    targetId: String(item.targetId),
    resultId: String(item.resultId),
    createdAt: String(item.createdAt),
  };
}

/** Transaction item claiming the key for `windowSeconds`; its condition fails while an unexpired claim exists. */
export function idempotencyPut(
  table: TableRef,
  record: IdempotencyRecord,
  now: Date,
  windowSeconds: number,
): TransactItem {
  return {
    Put: {
      TableName: table.tableName,
      Item: { ...keys.idempotency(record.key), ...record, [TTL_ATTRIBUTE]: epochSeconds(now) + windowSeconds },
      ConditionExpression: 'attribute_not_exists(pk) OR #ttl <= :now',
      ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: { ':now': epochSeconds(now) },
    },
  };
}

/** Transaction item releasing the key, only if it still names `resultId` (undo of a failed start). */
export function idempotencyDelete(table: TableRef, key: string, resultId: string): TransactItem {
  return {
    Delete: {
      TableName: table.tableName,
      Key: keys.idempotency(key),
      ConditionExpression: 'attribute_not_exists(pk) OR resultId = :id',
      ExpressionAttributeValues: { ':id': resultId },
    },
  };
}
