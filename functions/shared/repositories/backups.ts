import { BatchWriteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from '../../../types/api.ts';
import { BackupSchema, type Backup, type BackupStatus, type Verification } from '../../../types/backup.ts';
import type { BackupFilter } from '../../../types/backupApi.ts';
import { databaseLockName } from '../../../types/databaseNames.ts';
import { collections, keys, timeSortKey } from '../keys.ts';
import { queryCollectionPage, timeRange } from './collectionQuery.ts';
import { withoutKeys, type IndexQuery, type TableRef } from './table.ts';
import type { TransactItem } from './transactions.ts';
import { updateExpression } from './updateExpression.ts';

/**
 * A backup as stored: the API shape plus the Step Functions execution running it, when that is not the one
 * named after the backup (scheduled runs are started by EventBridge Scheduler under names of its own).
 */
export interface BackupRecord extends Backup {
  readonly executionArn?: string;
}

/** Statuses a backup can still leave; the others are final. */
export const ACTIVE_STATUSES = ['queued', 'running'] as const satisfies readonly BackupStatus[];
export const FINAL_STATUSES = ['succeeded', 'failed', 'cancelled'] as const satisfies readonly BackupStatus[];

export function toBackup(record: BackupRecord): Backup {
  const { executionArn: _execution, ...backup } = record;
  return BackupSchema.parse(backup);
}

/**
 * GSI keys of a backup (see keys.ts): in the trash it is listed by trash time under TRASH and nowhere else;
 * otherwise by creation time in all backups, its source's, its status's and its source+status's collections.
 */
export function backupIndexKeys(
  b: Pick<Backup, 'id' | 'sourceId' | 'status' | 'createdAt' | 'trashedAt'>,
): Record<string, string> {
  if (b.trashedAt) {
    const trashed = timeSortKey(b.trashedAt, b.id);
    return { gsi1pk: collections.trash, gsi1sk: trashed, gsi2pk: collections.trashOf(b.sourceId), gsi2sk: trashed };
  }
  const created = timeSortKey(b.createdAt, b.id);
  return {
    gsi1pk: collections.backups,
    gsi1sk: created,
    gsi2pk: collections.backupsOf(b.sourceId),
    gsi2sk: created,
    gsi3pk: collections.backupsWithStatus(b.status),
    gsi3sk: created,
    gsi4pk: collections.backupsOfWithStatus(b.sourceId, b.status),
    gsi4sk: created,
  };
}

const STATUS_INDEX_KEYS = ['gsi3pk', 'gsi3sk', 'gsi4pk', 'gsi4sk'] as const;

export function backupItem(record: BackupRecord): Record<string, unknown> {
  return { ...keys.backup(record.id), ...backupIndexKeys(record), ...record };
}

const toRecord = (item: Record<string, unknown>): BackupRecord => withoutKeys<BackupRecord>(item);

export async function getBackupRecord(table: TableRef, id: string): Promise<BackupRecord | undefined> {
  const out = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: keys.backup(id), ConsistentRead: true }),
  );
  return out.Item ? toRecord(out.Item) : undefined;
}

/**
 * Writes many records with BatchWriteItem (25 per call, unprocessed items retried): for seeding and imports,
 * not for changes that must keep the aggregates in step.
 */
export async function putBackupRecords(table: TableRef, records: readonly BackupRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += 25) {
    let pending: Record<string, unknown>[] = records
      .slice(i, i + 25)
      .map((r) => ({ PutRequest: { Item: backupItem(r) } }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt));
      const out = await table.client.send(
        new BatchWriteCommand({ RequestItems: { [table.tableName]: pending as never } }),
      );
      pending = (out.UnprocessedItems?.[table.tableName] ?? []) as Record<string, unknown>[];
    }
  }
}

/**
 * The Query that serves a filter without FilterExpression: source+status → gsi4, status → gsi3,
 * source → gsi2, none → gsi1; a date range is a BETWEEN on the index's time-ordered sort key.
 */
export function backupListQuery(filter: BackupFilter, page: { limit: number; cursor?: string }): IndexQuery {
  const { sourceId, status } = filter;
  const between = timeRange(filter.from, filter.to);
  const target: Pick<IndexQuery, 'index' | 'partition'> =
    sourceId && status
      ? { index: 'gsi4', partition: collections.backupsOfWithStatus(sourceId, status) }
      : status
        ? { index: 'gsi3', partition: collections.backupsWithStatus(status) }
        : sourceId
          ? { index: 'gsi2', partition: collections.backupsOf(sourceId) }
          : { index: 'gsi1', partition: collections.backups };
  return {
    ...target,
    newestFirst: true,
    limit: page.limit,
    ...(page.cursor !== undefined && { cursor: page.cursor }),
    ...(between && { between }),
  };
}

const parseBackup = (item: Record<string, unknown>) => toBackup(item as unknown as BackupRecord);

/** Backups not in the trash, newest first, by any combination of source, status and creation-date range. */
export function listBackups(
  table: TableRef,
  filter: BackupFilter,
  page: { limit: number; cursor?: string },
): Promise<Page<Backup>> {
  return queryCollectionPage(table, backupListQuery(filter, page), parseBackup);
}

/** The trash, most recently trashed first: all of it or one source's. */
export function listTrash(
  table: TableRef,
  sourceId: string | undefined,
  page: { limit: number; cursor?: string },
): Promise<Page<Backup>> {
  const target: Pick<IndexQuery, 'index' | 'partition'> = sourceId
    ? { index: 'gsi2', partition: collections.trashOf(sourceId) }
    : { index: 'gsi1', partition: collections.trash };
  return queryCollectionPage(table, { ...target, newestFirst: true, ...page }, parseBackup);
}

/**
 * Backups of every source trashed strictly before `before` (an ISO time), the longest-trashed first: a key
 * condition on the TRASH collection, so the sweeper reads only what it is about to purge.
 */
export function listTrashedBefore(
  table: TableRef,
  before: string,
  page: { limit: number; cursor?: string },
): Promise<Page<Backup>> {
  // Sort keys are `<trashedAt>#<id>`: one trashed exactly at `before` sorts after `before` itself.
  const query: IndexQuery = {
    index: 'gsi1',
    partition: collections.trash,
    between: ['0', before],
    limit: page.limit,
    ...(page.cursor !== undefined && { cursor: page.cursor }),
  };
  return queryCollectionPage(table, query, parseBackup);
}

// ---- transaction items -------------------------------------------------------------------------------------

/** Creates the record; fails if the id is taken. */
export function newBackupPut(table: TableRef, record: BackupRecord): TransactItem {
  return {
    Put: { TableName: table.tableName, Item: backupItem(record), ConditionExpression: 'attribute_not_exists(pk)' },
  };
}

/** Deletes a record the API created a moment ago and that nothing has started (undo of a failed start). */
export function queuedBackupDelete(table: TableRef, id: string): TransactItem {
  return {
    Delete: {
      TableName: table.tableName,
      Key: keys.backup(id),
      ConditionExpression: '#status = :queued',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':queued': 'queued' },
    },
  };
}

/**
 * Moves a backup to status `to`, setting `fields` too, and re-keys its status collections; fails unless it is
 * in one of `from` and not in the trash.
 */
export function backupStatusUpdate(
  table: TableRef,
  record: Pick<Backup, 'id' | 'sourceId' | 'createdAt'>,
  to: BackupStatus,
  from: readonly BackupStatus[],
  fields: Partial<BackupRecord> = {},
): TransactItem {
  const { gsi3pk, gsi3sk, gsi4pk, gsi4sk } = backupIndexKeys({ ...record, status: to });
  const values = Object.fromEntries(from.map((s, i) => [`:from${i}`, s]));
  return {
    Update: {
      TableName: table.tableName,
      Key: keys.backup(record.id),
      ...updateExpression(
        { set: { ...fields, status: to, gsi3pk, gsi3sk, gsi4pk, gsi4sk } },
        {
          expression: `attribute_exists(pk) AND attribute_not_exists(#trashedAt) AND #status IN (${Object.keys(values).join(', ')})`,
          names: { '#status': 'status', '#trashedAt': 'trashedAt' },
          values,
        },
      ),
    },
  };
}

/** Guards a transaction on the backup being succeeded and out of the trash (verify, restore). */
export function succeededBackupCheck(table: TableRef, id: string): TransactItem {
  return {
    ConditionCheck: {
      TableName: table.tableName,
      Key: keys.backup(id),
      ConditionExpression: '#status = :succeeded AND attribute_not_exists(#trashedAt)',
      ExpressionAttributeNames: { '#status': 'status', '#trashedAt': 'trashedAt' },
      ExpressionAttributeValues: { ':succeeded': 'succeeded' },
    },
  };
}

/**
 * Records the outcome of re-reading a succeeded backup's object (it may be in the trash meanwhile: the result
 * still belongs to it). Fails with ConditionalCheckFailedException if the backup is gone or not succeeded.
 */
export async function setVerification(table: TableRef, id: string, verification: Verification): Promise<void> {
  await table.client.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: keys.backup(id),
      ...updateExpression(
        { set: { verification } },
        { expression: '#status = :succeeded', names: { '#status': 'status' }, values: { ':succeeded': 'succeeded' } },
      ),
    }),
  );
}

/**
 * Marks a succeeded backup's object as found missing at `at`. True only for the call that marked it: a record
 * already marked (another retention run found it first), gone or not succeeded is left as it is, so whoever gets
 * true is the one to alert about it.
 */
export async function markObjectMissing(table: TableRef, id: string, at: string): Promise<boolean> {
  try {
    await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: keys.backup(id),
        ...updateExpression(
          { set: { objectMissingAt: at } },
          {
            expression: '#status = :succeeded AND attribute_not_exists(#missing)',
            names: { '#status': 'status', '#missing': 'objectMissingAt' },
            values: { ':succeeded': 'succeeded' },
          },
        ),
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

/** The trash fields a backup carries while it is in the trash: when, by whom and why. */
export type TrashMark = Required<Pick<Backup, 'trashedAt' | 'trashedBy' | 'trashReason'>>;

/**
 * Moves a finished backup to the trash (out of every list but the trash's), recording who and why. Fails if active or
 * already trashed.
 */
export function trashUpdate(table: TableRef, record: Backup, mark: TrashMark): TransactItem {
  const values = Object.fromEntries(FINAL_STATUSES.map((s, i) => [`:final${i}`, s]));
  return {
    Update: {
      TableName: table.tableName,
      Key: keys.backup(record.id),
      ...updateExpression(
        { set: { ...mark, ...backupIndexKeys({ ...record, trashedAt: mark.trashedAt }) }, remove: STATUS_INDEX_KEYS },
        {
          expression: `attribute_exists(pk) AND attribute_not_exists(#trashedAt) AND #status IN (${Object.keys(values).join(', ')})`,
          names: { '#status': 'status', '#trashedAt': 'trashedAt' },
          values,
        },
      ),
    },
  };
}

/**
 * Takes a backup out of the trash, back into its collections, forgetting who trashed it and why. Fails unless it is
 * still the trashed record read.
 */
export function untrashUpdate(table: TableRef, record: Backup & { trashedAt: string }): TransactItem {
  return {
    Update: {
      TableName: table.tableName,
      Key: keys.backup(record.id),
      ...updateExpression(
        {
          set: backupIndexKeys({ ...record, trashedAt: undefined }),
          remove: ['trashedAt', 'trashedBy', 'trashReason'],
        },
        {
          expression: '#trashedAt = :seen',
          names: { '#trashedAt': 'trashedAt' },
          values: { ':seen': record.trashedAt },
        },
      ),
    },
  };
}

/** Deletes a backup for good; fails unless it is in the trash. */
export function trashedBackupDelete(table: TableRef, id: string): TransactItem {
  return {
    Delete: {
      TableName: table.tableName,
      Key: keys.backup(id),
      ConditionExpression: 'attribute_exists(#trashedAt)',
      ExpressionAttributeNames: { '#trashedAt': 'trashedAt' },
    },
  };
}

// ---- the running lock ----------------------------------------------------------------------------------------

/** The lock item saying which backup of a source is queued or running; at most one exists per source. */
export interface RunningLock {
  readonly sourceId: string;
  readonly backupId: string;
  readonly since: string;
  /** The database the backup dumps: a restore into it waits (see `runningLockCheck`). */
  readonly database: string;
}

/** Takes the source's lock for `backupId`; fails if any backup holds it. */
export function runningLockPut(table: TableRef, lock: RunningLock): TransactItem {
  return {
    Put: {
      TableName: table.tableName,
      Item: { ...keys.runningLock(lock.sourceId), ...lock, lockName: databaseLockName(lock.database) },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/**
 * Guards a restore into `database` of a source on no backup of that database being queued or running: the backup
 * would record a half-restored database as a good one. A lock without `lockName` (taken before locks named their
 * database) counts as holding every database.
 */
export function runningLockCheck(table: TableRef, sourceId: string, database: string): TransactItem {
  return {
    ConditionCheck: {
      TableName: table.tableName,
      Key: keys.runningLock(sourceId),
      ConditionExpression: 'attribute_not_exists(pk) OR (attribute_exists(lockName) AND lockName <> :lockName)',
      ExpressionAttributeValues: { ':lockName': databaseLockName(database) },
    },
  };
}

/** Releases the lock if `backupId` holds it; a lock already gone is fine, another backup's is left alone (fails). */
export function runningLockRelease(table: TableRef, sourceId: string, backupId: string): TransactItem {
  return {
    Delete: {
      TableName: table.tableName,
      Key: keys.runningLock(sourceId),
      ConditionExpression: 'attribute_not_exists(pk) OR backupId = :id',
      ExpressionAttributeValues: { ':id': backupId },
    },
  };
}

export async function getRunningLock(
  table: TableRef,
  sourceId: string,
): Promise<Omit<RunningLock, 'database'> | undefined> {
  const out = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: keys.runningLock(sourceId), ConsistentRead: true }),
  );
  return out.Item ? { sourceId, backupId: String(out.Item.backupId), since: String(out.Item.since) } : undefined;
}

// ---- data source guards ---------------------------------------------------------------------------------------

/** Guards a transaction on the data source existing and being enabled. */
export function enabledSourceCheck(table: TableRef, sourceId: string): TransactItem {
  return {
    ConditionCheck: {
      TableName: table.tableName,
      Key: keys.dataSource(sourceId),
      ConditionExpression: 'attribute_exists(pk) AND enabled = :true',
      ExpressionAttributeValues: { ':true': true },
    },
  };
}

/** Guards a transaction on the data source existing. */
export function sourceExistsCheck(table: TableRef, sourceId: string): TransactItem {
  return {
    ConditionCheck: {
      TableName: table.tableName,
      Key: keys.dataSource(sourceId),
      ConditionExpression: 'attribute_exists(pk)',
    },
  };
}
