import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Page } from '../../../types/api.ts';
import { ScheduleFieldsSchema, type Schedule, type VerifyPolicy } from '../../../types/schedule.ts';
import { collections, keys, timeSortKey } from '../keys.ts';
import { queryCollectionPage } from './collectionQuery.ts';
import { withoutKeys, type TableRef } from './table.ts';

/**
 * A schedule as stored: the API fields (without the computed `nextRuns`) plus `revision`, which every write
 * increments and conditions on, so that two concurrent changes cannot both win and an undo only rolls back the
 * write it made.
 */
/** As stored: `verify` is absent on schedules written before verification existed (read as never). */
export type ScheduleRecord = Omit<Schedule, 'nextRuns' | 'verify'> & {
  readonly verify?: VerifyPolicy;
  readonly revision: number;
};

export function scheduleItem(record: ScheduleRecord): Record<string, unknown> {
  const sortKey = timeSortKey(record.createdAt, record.id);
  return {
    ...keys.schedule(record.id),
    gsi1pk: collections.schedules,
    gsi1sk: sortKey,
    gsi2pk: collections.schedulesOf(record.sourceId),
    gsi2sk: sortKey,
    ...record,
  };
}

function toRecord(item: Record<string, unknown>): ScheduleRecord {
  const { revision, ...fields } = withoutKeys<Record<string, unknown>>(item);
  return { ...ScheduleFieldsSchema.parse(fields), revision: Number(revision) };
}

export async function getSchedule(table: TableRef, id: string): Promise<ScheduleRecord | undefined> {
  const out = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: keys.schedule(id), ConsistentRead: true }),
  );
  return out.Item ? toRecord(out.Item) : undefined;
}

/** Every schedule, oldest first. */
export function listSchedules(
  table: TableRef,
  page: { limit: number; cursor?: string },
): Promise<Page<ScheduleRecord>> {
  return queryCollectionPage(table, { index: 'gsi1', partition: collections.schedules, ...page }, toRecord);
}

/** The schedules of one data source, oldest first. */
export function listSchedulesOf(
  table: TableRef,
  sourceId: string,
  page: { limit: number; cursor?: string },
): Promise<Page<ScheduleRecord>> {
  return queryCollectionPage(table, { index: 'gsi2', partition: collections.schedulesOf(sourceId), ...page }, toRecord);
}

// ---- transaction items: the service combines them with the audit event and the source check ----------------

/** Creates the item; cancels the transaction if the id is taken. */
export function putNewSchedule(table: TableRef, record: ScheduleRecord) {
  return {
    Put: { TableName: table.tableName, Item: scheduleItem(record), ConditionExpression: 'attribute_not_exists(pk)' },
  };
}

/** Replaces the item only if it is still at `expectedRevision` (nobody changed or deleted it since it was read). */
export function replaceSchedule(table: TableRef, record: ScheduleRecord, expectedRevision: number) {
  return {
    Put: {
      TableName: table.tableName,
      Item: scheduleItem(record),
      ConditionExpression: '#revision = :expected',
      ExpressionAttributeNames: { '#revision': 'revision' },
      ExpressionAttributeValues: { ':expected': expectedRevision },
    },
  };
}

/** Deletes the item only if it is still at `expectedRevision`. */
export function deleteSchedule(table: TableRef, id: string, expectedRevision: number) {
  return {
    Delete: {
      TableName: table.tableName,
      Key: keys.schedule(id),
      ConditionExpression: '#revision = :expected',
      ExpressionAttributeNames: { '#revision': 'revision' },
      ExpressionAttributeValues: { ':expected': expectedRevision },
    },
  };
}
