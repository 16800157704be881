import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Page } from '../../../types/api.ts';
import { RestoreSchema, type Restore, type RestoreStatus } from '../../../types/restore.ts';
import { collections, keys, timeSortKey } from '../keys.ts';
import { queryCollectionPage } from './collectionQuery.ts';
import { withoutKeys, type TableRef } from './table.ts';
import type { TransactItem } from './transactions.ts';
import { updateExpression } from './updateExpression.ts';

/** Restores are listed newest first: all of them (gsi1 RESTORES) or those into one source (gsi2). */
export function restoreItem(restore: Restore): Record<string, unknown> {
  const created = timeSortKey(restore.createdAt, restore.id);
  return {
    ...keys.restore(restore.id),
    gsi1pk: collections.restores,
    gsi1sk: created,
    gsi2pk: collections.restoresInto(restore.targetSourceId),
    gsi2sk: created,
    ...restore,
  };
}

const parseRestore = (item: Record<string, unknown>): Restore => RestoreSchema.parse(withoutKeys(item));

export async function getRestoreRecord(table: TableRef, id: string): Promise<Restore | undefined> {
  const out = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: keys.restore(id), ConsistentRead: true }),
  );
  return out.Item ? parseRestore(out.Item) : undefined;
}

export function listRestores(
  table: TableRef,
  targetSourceId: string | undefined,
  page: { limit: number; cursor?: string },
): Promise<Page<Restore>> {
  const target = targetSourceId
    ? ({ index: 'gsi2', partition: collections.restoresInto(targetSourceId) } as const)
    : ({ index: 'gsi1', partition: collections.restores } as const);
  return queryCollectionPage(table, { ...target, newestFirst: true, ...page }, parseRestore);
}

export function newRestorePut(table: TableRef, restore: Restore): TransactItem {
  return {
    Put: { TableName: table.tableName, Item: restoreItem(restore), ConditionExpression: 'attribute_not_exists(pk)' },
  };
}

/** Deletes a restore the API created a moment ago and that nothing has started (undo of a failed start). */
export function queuedRestoreDelete(table: TableRef, id: string): TransactItem {
  return {
    Delete: {
      TableName: table.tableName,
      Key: keys.restore(id),
      ConditionExpression: '#status = :queued',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':queued': 'queued' },
    },
  };
}

/** Moves a restore to `to` with `fields`; fails unless it is in one of `from`. */
export function restoreStatusUpdate(
  table: TableRef,
  id: string,
  to: RestoreStatus,
  from: readonly RestoreStatus[],
  fields: Partial<Restore> = {},
): TransactItem {
  const values = Object.fromEntries(from.map((s, i) => [`:from${i}`, s]));
  return {
    Update: {
      TableName: table.tableName,
      Key: keys.restore(id),
      ...updateExpression(
        { set: { ...fields, status: to } },
        {
          expression: `attribute_exists(pk) AND #status IN (${Object.keys(values).join(', ')})`,
          names: { '#status': 'status' },
          values,
        },
      ),
    },
  };
}

/**
 * The lock on a target database while a restore is queued or running in it: a second restore into the same
 * database would interleave two dumps. Taken with the restore record, released with its outcome.
 */
export function restoreLockPut(
  table: TableRef,
  restore: Pick<Restore, 'id' | 'targetSourceId' | 'targetDatabase'>,
): TransactItem {
  return {
    Put: {
      TableName: table.tableName,
      Item: { ...keys.restoreLock(restore.targetSourceId, restore.targetDatabase), restoreId: restore.id },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** Releases the lock if this restore holds it (a retry that already released it changes nothing). */
export function restoreLockRelease(
  table: TableRef,
  restore: Pick<Restore, 'id' | 'targetSourceId' | 'targetDatabase'>,
): TransactItem {
  return {
    Delete: {
      TableName: table.tableName,
      Key: keys.restoreLock(restore.targetSourceId, restore.targetDatabase),
      ConditionExpression: 'attribute_not_exists(pk) OR restoreId = :id',
      ExpressionAttributeValues: { ':id': restore.id },
    },
  };
}

/**
 * Guards a backup of `database` on no restore into it being queued or running: a dump taken mid-restore would be
 * recorded as a good backup of a half-written database.
 */
export function restoreLockAbsentCheck(table: TableRef, sourceId: string, database: string): TransactItem {
  return {
    ConditionCheck: {
      TableName: table.tableName,
      Key: keys.restoreLock(sourceId, database),
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** Which restore holds the lock on a target database, if any. */
export async function getRestoreLock(
  table: TableRef,
  targetSourceId: string,
  database: string,
): Promise<string | undefined> {
  const out = await table.client.send(
    new GetCommand({
      TableName: table.tableName,
      Key: keys.restoreLock(targetSourceId, database),
      ConsistentRead: true,
    }),
  );
  return typeof out.Item?.restoreId === 'string' ? out.Item.restoreId : undefined;
}

/**
 * Marks a restore as rolled back by `byId`, on condition that it ended (succeeded or failed) and was not rolled
 * back already: taken with the rollback restore's record, so each restore is rolled back once.
 */
export function rolledBackByUpdate(table: TableRef, id: string, byId: string): TransactItem {
  return {
    Update: {
      TableName: table.tableName,
      Key: keys.restore(id),
      ...updateExpression(
        { set: { rolledBackBy: byId } },
        {
          expression: 'attribute_exists(pk) AND attribute_not_exists(#by) AND #status IN (:succeeded, :failed)',
          names: { '#by': 'rolledBackBy', '#status': 'status' },
          values: { ':succeeded': 'succeeded', ':failed': 'failed' },
        },
      ),
    },
  };
}

/** Undoes `rolledBackByUpdate` when the rollback's execution did not start (only if `byId` set it). */
export function rolledBackByRemove(table: TableRef, id: string, byId: string): TransactItem {
  return {
    Update: {
      TableName: table.tableName,
      Key: keys.restore(id),
      ...updateExpression(
        { remove: ['rolledBackBy'] },
        { expression: '#by = :by', names: { '#by': 'rolledBackBy' }, values: { ':by': byId } },
      ),
    },
  };
}
