import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { BackupStatusSchema, type BackupStatus } from '../../../types/backup.ts';
import type { LastBackup, SourceStats, StatusCounts } from '../../../types/stats.ts';
import { keys } from '../keys.ts';
import type { TableRef } from './table.ts';
import type { TransactItem } from './transactions.ts';
import { updateExpression } from './updateExpression.ts';

/**
 * Dashboard aggregates, kept up to date inside the transactions that change what they count, so the
 * dashboard is two Queries on partition `STATS` whatever the history's size:
 * - `STATS / DAY#yyyy-mm-dd`: per UTC day, how many backups entered each status (`succeeded: 3`), and the
 *   same per hour (`h07_succeeded: 1`) so that "the last 24 hours" is exact to the hour; and the bytes that
 *   started (`addedBytes`) and stopped (`removedBytes`) being stored that day, so that the storage at the end
 *   of any past day is today's total minus the net changes of the days after it.
 * - `STATS / SOURCE#sid`: bytes and count of a source's succeeded backups still stored, and its last finished backup.
 * Every backup's status change writes to the day item, so it is a hot key at thousands of changes per second:
 * far beyond what a backup service does.
 */

export const dayOf = (at: Date): string => at.toISOString().slice(0, 10);
const hourAttribute = (at: Date, status: BackupStatus) => `h${at.toISOString().slice(11, 13)}_${status}`;

/** Bytes that start or stop being stored, added to the day's item with the source's stored totals. */
export interface StorageChange {
  readonly addedBytes?: number;
  readonly removedBytes?: number;
}

// One Update per day item: a transaction may not touch the same item twice, so a status count and a storage
// change on the same day travel together.
function dayCounterUpdate(
  table: TableRef,
  at: Date,
  counts: Record<string, number>,
  storage: StorageChange,
): TransactItem {
  const add = { ...counts };
  if (storage.addedBytes) add.addedBytes = storage.addedBytes;
  if (storage.removedBytes) add.removedBytes = storage.removedBytes;
  return {
    Update: {
      TableName: table.tableName,
      Key: keys.statsDay(dayOf(at)),
      ...updateExpression({ set: { day: dayOf(at) }, add }),
    },
  };
}

/**
 * Transaction item counting one (or, with delta -1, un-counting one) entry into `status` at `at`, with the
 * bytes the same change starts or stops storing (a success stores its object).
 */
export function statusCounterUpdate(
  table: TableRef,
  status: BackupStatus,
  at: Date,
  delta = 1,
  storage: StorageChange = {},
): TransactItem {
  return dayCounterUpdate(table, at, { [status]: delta, [hourAttribute(at, status)]: delta }, storage);
}

/** Transaction item recording on `at`'s day a storage change without a status change (a deletion). */
export function storageCounterUpdate(table: TableRef, at: Date, storage: StorageChange): TransactItem {
  return dayCounterUpdate(table, at, {}, storage);
}

export interface SourceStatsChange {
  readonly storedBytes?: number;
  readonly storedBackups?: number;
  readonly lastBackup?: LastBackup;
  readonly lastSucceededAt?: string;
}

/** Transaction item adding to a source's stored totals and/or recording its last finished backup. */
export function sourceStatsUpdate(table: TableRef, sourceId: string, change: SourceStatsChange): TransactItem {
  const add: Record<string, number> = {};
  if (change.storedBytes) add.storedBytes = change.storedBytes;
  if (change.storedBackups) add.storedBackups = change.storedBackups;
  return {
    Update: {
      TableName: table.tableName,
      Key: keys.statsSource(sourceId),
      ...updateExpression({
        set: { sourceId, lastBackup: change.lastBackup, lastSucceededAt: change.lastSucceededAt },
        add,
      }),
    },
  };
}

const STATUSES = BackupStatusSchema.options;

export const zeroCounts = (): StatusCounts => ({ queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 });

/** One day's counters: the day's totals, its 24 hourly buckets and the bytes it started and stopped storing. */
export interface DayCounters {
  readonly day: string;
  readonly total: StatusCounts;
  /** Index = UTC hour. */
  readonly hours: readonly StatusCounts[];
  readonly addedBytes: number;
  readonly removedBytes: number;
}

function toDayCounters(item: Record<string, unknown>): DayCounters {
  const total = zeroCounts();
  const hours = Array.from({ length: 24 }, zeroCounts);
  for (const status of STATUSES) {
    total[status] = Number(item[status] ?? 0);
    for (let h = 0; h < 24; h++) hours[h]![status] = Number(item[`h${String(h).padStart(2, '0')}_${status}`] ?? 0);
  }
  return {
    day: String(item.sk).slice('DAY#'.length),
    total,
    hours,
    addedBytes: Number(item.addedBytes ?? 0),
    removedBytes: Number(item.removedBytes ?? 0),
  };
}

/** The day items from `fromDay` to `toDay` inclusive (at most one per day: 30 days is one small Query). */
export async function readDayCounters(table: TableRef, fromDay: string, toDay: string): Promise<DayCounters[]> {
  const days: DayCounters[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': keys.statsDay(fromDay).pk,
          ':from': keys.statsDay(fromDay).sk,
          ':to': keys.statsDay(toDay).sk,
        },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    days.push(...(out.Items ?? []).map(toDayCounters));
    start = out.LastEvaluatedKey;
  } while (start);
  return days;
}

/** Every source's stats item (one per source that ever finished a backup). */
export async function readSourceStats(table: TableRef): Promise<SourceStats[]> {
  const sources: SourceStats[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.statsSource('').pk, ':prefix': keys.statsSource('').sk },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of out.Items ?? []) {
      sources.push({
        sourceId: String(item.sourceId),
        storedBytes: Number(item.storedBytes ?? 0),
        storedBackups: Number(item.storedBackups ?? 0),
        ...(item.lastBackup !== undefined && { lastBackup: item.lastBackup as LastBackup }),
        ...(typeof item.lastSucceededAt === 'string' && { lastSucceededAt: item.lastSucceededAt }),
      });
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return sources;
}
