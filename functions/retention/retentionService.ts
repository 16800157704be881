import { allPages } from '../../types/api.ts';
import type { Backup } from '../../types/backup.ts';
import { DEFAULT_TRASH_GRACE_DAYS, RETENTION_PRINCIPAL, type ApplyRetentionResult, type PurgeTrashResult } from '../../types/retention.ts';
import type { Retention } from '../../types/schedule.ts';
import { deleteBackup, trashBackup, type DeleteDeps } from '../backups/trashService.ts';
import { Conflict, HttpError, NotFound } from '../shared/errors.ts';
import { getBackupRecord, listBackups, listTrashedBefore } from '../shared/repositories/backups.ts';
import { listDataSources } from '../shared/repositories/dataSources.ts';
import { listSchedulesOf, type ScheduleRecord } from '../shared/repositories/schedules.ts';
import type { TableRef } from '../shared/repositories/table.ts';
import { describeAwsError } from '../shared/stepFunctions.ts';
import { selectRetained } from './gfs.ts';

export interface RetentionDeps {
  readonly table: TableRef;
  readonly now: () => Date;
  /** The policy of a source without schedules (env DEFAULT_RETENTION). */
  readonly defaultRetention: Retention;
  /** Items per Query page (default 500; DynamoDB also stops at 1 MB). */
  readonly pageSize?: number;
}

export interface PurgeDeps extends DeleteDeps {
  /** Days a backup stays in the trash before it is purged (env TRASH_GRACE_DAYS); 7 if absent. */
  readonly graceDays?: number;
  /** At most this many backups are examined per call (default 100), so one call fits a Lambda's time. */
  readonly maxPerCall?: number;
}

const PAGE_SIZE = 500;
const DEFAULT_MAX_PER_CALL = 100;

export interface SourcePolicy {
  readonly retention: Retention;
  readonly timeZone: string;
}

/**
 * The policy retention applies to a source: with schedules, each count is the largest any of them asks for
 * (paused ones included: pausing must not shrink the history) and days are those of the oldest schedule's time
 * zone; without, `defaultRetention` in UTC (backups taken by hand are still thinned out).
 */
export function policyOf(schedules: readonly Pick<ScheduleRecord, 'retention' | 'timeZone' | 'createdAt' | 'id'>[], defaultRetention: Retention): SourcePolicy {
  const [oldest] = [...schedules].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  if (!oldest) return { retention: defaultRetention, timeZone: 'UTC' };
  const most = (rule: keyof Retention) => Math.max(...schedules.map((s) => s.retention[rule]));
  return { retention: { daily: most('daily'), weekly: most('weekly'), monthly: most('monthly') }, timeZone: oldest.timeZone };
}

const isGone = (error: unknown) => error instanceof Conflict || error instanceof NotFound;

/**
 * Applies the source's retention policy (see `policyOf` and `selectRetained`): its succeeded backups out of the
 * trash are read with Queries on the source+status collection (every page), and those the policy does not keep
 * are moved to the trash one by one, each with its audit event by `keepsake:retention`. Nothing else is
 * touched: queued, running, failed and cancelled backups are not in that collection. Safe to run concurrently
 * with itself (a backup someone else trashed or deleted meanwhile is skipped) and to retry. A listing that
 * misses a backup finishing meanwhile only keeps more, never less.
 */
export async function applyRetention(deps: RetentionDeps, sourceId: string): Promise<ApplyRetentionResult> {
  const { table } = deps;
  const limit = deps.pageSize ?? PAGE_SIZE;
  const [schedules, backups] = await Promise.all([
    allPages((cursor) => listSchedulesOf(table, sourceId, { limit, ...(cursor !== undefined && { cursor }) })),
    allPages((cursor) => listBackups(table, { sourceId, status: 'succeeded' }, { limit, ...(cursor !== undefined && { cursor }) })),
  ]);
  const policy = policyOf(schedules, deps.defaultRetention);
  const plan = selectRetained(backups, policy.retention, policy.timeZone);
  const trashed: string[] = [];
  for (const backupId of plan.expire) {
    try {
      await trashBackup(deps, { backupId, principal: RETENTION_PRINCIPAL });
      trashed.push(backupId);
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }
  return { sourceId, kept: plan.keep.length, trashed };
}

/**
 * Deletes, with their objects, backups (of every source) that have been in the trash longer than the grace
 * period, the longest-trashed first, through `deleteBackup` (so each deletion has its audit event and lowers
 * the source's stored totals). One call examines at most `maxPerCall` of them; while `more` is true the caller
 * calls again, with `cursor` to go on past this batch's failures (without it the next call starts over at the
 * oldest, and `more` is only true if this call made progress, so repeating it cannot loop forever). A backup S3
 * or DynamoDB refuses to delete is reported in `failed` and stays in the trash for the next sweep; one taken out
 * of the trash (or re-trashed) meanwhile is left alone.
 */
export async function purgeTrash(deps: PurgeDeps, request: { cursor?: string } = {}): Promise<PurgeTrashResult> {
  const { table } = deps;
  const graceDays = deps.graceDays ?? DEFAULT_TRASH_GRACE_DAYS;
  const cutoff = new Date(deps.now().getTime() - graceDays * 86_400_000).toISOString();
  let remaining = Math.max(1, deps.maxPerCall ?? DEFAULT_MAX_PER_CALL);
  let cursor = request.cursor;
  let purged = 0;
  let skipped = 0;
  const failed: PurgeTrashResult['failed'] = [];
  // Pages end exactly where the count runs out, so the last page's cursor is where the next call starts.
  while (remaining > 0) {
    const page = await listTrashedBefore(table, cutoff, { limit: remaining, ...(cursor !== undefined && { cursor }) });
    remaining -= page.items.length;
    cursor = page.nextCursor;
    for (const listed of page.items) {
      const outcome = await purgeOne(deps, listed, cutoff);
      if (outcome === 'purged') purged++;
      else if (outcome === 'skipped') skipped++;
      else failed.push({ backupId: listed.id, error: outcome.error });
    }
    if (cursor === undefined) break;
  }
  // Without a cursor a call starts over at the oldest trash: if nothing left the trash, the same call would
  // meet the same failures again, so `more` is false rather than letting a caller loop forever.
  const more = cursor !== undefined && (request.cursor !== undefined || purged + skipped > 0);
  return { purged, failed, more, ...(cursor !== undefined && { cursor }) };
}

async function purgeOne(deps: PurgeDeps, listed: Backup, cutoff: string): Promise<'purged' | 'skipped' | { error: string }> {
  try {
    // The index lags the table a little: purge only what is, right now, still in the trash since before the cutoff.
    const current = await getBackupRecord(deps.table, listed.id);
    if (!current?.trashedAt || current.trashedAt >= cutoff) return 'skipped';
    await deleteBackup(deps, { backupId: listed.id, principal: RETENTION_PRINCIPAL });
    return 'purged';
  } catch (error) {
    if (isGone(error)) return 'skipped';
    return { error: error instanceof HttpError ? error.message : describeAwsError(error) };
  }
}

/** The ids of every data source (Queries on the SOURCES collection, every page), in name order. */
export async function listSourceIds(table: TableRef, pageSize = PAGE_SIZE): Promise<string[]> {
  const sources = await allPages((cursor) => listDataSources(table, { limit: pageSize, ...(cursor !== undefined && { cursor }) }));
  return sources.map((s) => s.id);
}
