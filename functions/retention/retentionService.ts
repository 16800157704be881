import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { allPages } from '../../types/api.ts';
import type { Backup } from '../../types/backup.ts';
import { snsSubject } from '../../types/notification.ts';
import type { Notification } from '../../types/orchestration.ts';
import {
  DEFAULT_MANUAL_BACKUP_KEEP_DAYS,
  DEFAULT_TRASH_GRACE_DAYS,
  RETENTION_PRINCIPAL,
  SAFETY_BACKUP_KEEP_DAYS,
  type ApplyRetentionResult,
  type PurgeTrashResult,
} from '../../types/retention.ts';
import type { Restore } from '../../types/restore.ts';
import type { Retention } from '../../types/schedule.ts';
import { deleteBackup, trashBackup, type DeleteDeps } from '../backups/trashService.ts';
import { Conflict, HttpError, NotFound } from '../shared/errors.ts';
import { logger } from '../shared/logger.ts';
import { getBackupRecord, listBackups, listTrashedBefore, markObjectMissing } from '../shared/repositories/backups.ts';
import { getDataSource, listDataSources } from '../shared/repositories/dataSources.ts';
import { getRestoreRecord } from '../shared/repositories/restores.ts';
import { listSchedulesOf, type ScheduleRecord } from '../shared/repositories/schedules.ts';
import type { TableRef } from '../shared/repositories/table.ts';
import { describeAwsError } from '../shared/stepFunctions.ts';
import { selectRetained, type RetentionPlan } from './gfs.ts';
import { manualBackupsToExpire } from './manual.ts';
import { safetyBackupsToExpire } from './safety.ts';

export interface RetentionDeps {
  readonly table: TableRef;
  readonly now: () => Date;
  readonly s3: S3Client;
  /** The backup bucket (env BACKUP_BUCKET_NAME), where kept backups' objects are checked. */
  readonly bucket: string;
  /** The policy of a source without schedules (env DEFAULT_RETENTION). */
  readonly defaultRetention: Retention;
  /** Days manual and API backups stay when no schedule includes them (env MANUAL_BACKUP_KEEP_DAYS); 30 if absent. */
  readonly manualKeepDays?: number;
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
 * (paused ones included: pausing must not shrink the history), manual and API backups are in GFS if any of them
 * takes them in, and days are those of the oldest schedule's time zone; without, `defaultRetention` in UTC.
 */
export function policyOf(
  schedules: readonly Pick<ScheduleRecord, 'retention' | 'timeZone' | 'createdAt' | 'id'>[],
  defaultRetention: Retention,
): SourcePolicy {
  const [oldest] = [...schedules].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  if (!oldest) return { retention: defaultRetention, timeZone: 'UTC' };
  const most = (rule: 'daily' | 'weekly' | 'monthly' | 'keepLast') =>
    Math.max(...schedules.map((s) => s.retention[rule]));
  return {
    retention: {
      daily: most('daily'),
      weekly: most('weekly'),
      monthly: most('monthly'),
      keepLast: most('keepLast'),
      includeManualBackups: schedules.some((s) => s.retention.includeManualBackups),
    },
    timeZone: oldest.timeZone,
  };
}

/** "7 daily, 4 weekly or 6 monthly": the counts that keep something, in words. */
function inWords(parts: readonly string[]): string {
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} or ${parts.at(-1) ?? ''}`;
}

/** Why GFS let a backup go, as the Trash page and the audit log say it. */
export function gfsReason({ retention, timeZone }: SourcePolicy): string {
  const periods = inWords(
    (['daily', 'weekly', 'monthly'] as const).filter((rule) => retention[rule] > 0).map((r) => `${retention[r]} ${r}`),
  );
  const latest = `${retention.keepLast} latest backups`;
  if (periods && retention.keepLast > 0)
    return `GFS: not among the ${latest} nor the newest ${periods} (days in ${timeZone})`;
  if (periods) return `GFS: not among the newest ${periods} backups (days in ${timeZone})`;
  if (retention.keepLast > 0) return `GFS: not among the ${latest}`;
  return 'GFS: every count is 0, so only the newest backup is kept';
}

const TRIGGER_NAMES = { manual: 'manual', api: 'API', schedule: 'scheduled', safety: 'safety' } as const;

const isGone = (error: unknown) => error instanceof Conflict || error instanceof NotFound;

/** S3's answers to HeadObject of a key or version that is not there (a HEAD response has no body to name it). */
const NOT_THERE = new Set(['NotFound', 'NoSuchKey', 'NoSuchVersion']);

/**
 * Whether the object a backup recorded is in the bucket: its version where one was recorded (a key deleted in a
 * versioned bucket only hides it behind a delete marker; the restore reads the version), else its key. Any other
 * error (access, throttling) throws: a backup is never marked missing on a guess.
 */
async function objectExists(deps: RetentionDeps, backup: Backup): Promise<boolean> {
  if (backup.s3Key === undefined) return false;
  try {
    await deps.s3.send(
      new HeadObjectCommand({
        Bucket: deps.bucket,
        Key: backup.s3Key,
        ...(backup.s3VersionId && { VersionId: backup.s3VersionId }),
      }),
    );
    return true;
  } catch (error) {
    if (NOT_THERE.has((error as Error).name)) return false;
    throw error;
  }
}

/**
 * Applies the source's retention policy (see `policyOf` and `selectRetained`): its succeeded backups out of the
 * trash are read with Queries on the source+status collection (every page), and those the policy does not keep
 * are moved to the trash one by one; so are its manual and API backups `manualKeepDays` old when no schedule takes
 * them into GFS (`manualBackupsToExpire`), and its safety backups `SAFETY_BACKUP_KEEP_DAYS` after their restores
 * ended. Each move records `keepsake:retention` and its reason on the backup, in the audit log and as a log line of
 * this function (the sweep's own log). Nothing else is
 * touched: queued, running, failed and cancelled backups are not in that collection. Safe to run concurrently
 * with itself (a backup someone else trashed or deleted meanwhile is skipped) and to retry. A listing that
 * misses a backup finishing meanwhile only keeps more, never less.
 *
 * Every backup the plan keeps has its object checked first (`keptWithTheirObjects`): one found missing is marked
 * and reported once, and the plan is made again without it, so a period's next good backup stands in for it.
 */
export async function applyRetention(deps: RetentionDeps, sourceId: string): Promise<ApplyRetentionResult> {
  const { table } = deps;
  const limit = deps.pageSize ?? PAGE_SIZE;
  const [schedules, backups] = await Promise.all([
    allPages((cursor) => listSchedulesOf(table, sourceId, { limit, ...(cursor !== undefined && { cursor }) })),
    allPages((cursor) =>
      listBackups(table, { sourceId, status: 'succeeded' }, { limit, ...(cursor !== undefined && { cursor }) }),
    ),
  ]);
  const policy = policyOf(schedules, deps.defaultRetention);
  const { plan, missing } = await keptWithTheirObjects(deps, backups, (candidates) =>
    selectRetained(candidates, policy.retention, policy.timeZone),
  );
  const missingIds = new Set(missing.map((b) => b.id));
  const current = backups.map((b) => (missingIds.has(b.id) ? { ...b, objectMissingAt: deps.now().toISOString() } : b));
  const manualKeepDays = deps.manualKeepDays ?? DEFAULT_MANUAL_BACKUP_KEEP_DAYS;
  const triggerOf = new Map(backups.map((b) => [b.id, TRIGGER_NAMES[b.trigger]]));
  const moves = [
    ...plan.expire.map((backupId) => ({ backupId, reason: gfsReason(policy) })),
    ...(policy.retention.includeManualBackups ? [] : manualBackupsToExpire(current, manualKeepDays, deps.now())).map(
      (backupId) => ({ backupId, reason: `${triggerOf.get(backupId)} backup older than ${manualKeepDays} days` }),
    ),
    ...(await expiredSafetyBackups(deps, backups)).map((backupId) => ({
      backupId,
      reason: `safety backup ${SAFETY_BACKUP_KEEP_DAYS} days after its restore ended`,
    })),
  ];
  const trashed: string[] = [];
  for (const { backupId, reason } of moves) {
    try {
      await trashBackup(deps, { backupId, principal: RETENTION_PRINCIPAL, reason });
      trashed.push(backupId);
      logger.info('retention moved a backup to the trash', { sourceId, backupId, reason });
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }
  const objectsMissing = missing.map((b) => b.id);
  logger.info('retention applied', { sourceId, kept: plan.keep.length, trashed: trashed.length, objectsMissing });
  return {
    sourceId,
    kept: plan.keep.length,
    trashed,
    objectsMissing,
    ...(missing.length > 0 && { notification: await missingNotification(deps, sourceId, missing) }),
  };
}

/** The source's safety backups kept long enough after their restores (see `safetyBackupsToExpire`). */
async function expiredSafetyBackups(deps: RetentionDeps, backups: readonly Backup[]): Promise<string[]> {
  const restoreIds = [
    ...new Set(backups.flatMap((b) => (b.trigger === 'safety' && b.restoreId !== undefined ? [b.restoreId] : []))),
  ];
  const restores = new Map<string, Restore>();
  for (const id of restoreIds) {
    const restore = await getRestoreRecord(deps.table, id);
    if (restore) restores.set(id, restore);
  }
  return safetyBackupsToExpire(backups, (id) => restores.get(id), deps.now());
}

/** At most this many HeadObjects at once. */
const HEAD_CONCURRENCY = 10;

/**
 * The plan whose kept backups all have their objects, and the backups this call marked missing on the way. Only
 * kept backups are checked, as those are what a restore may rely on (expired ones go to the trash either way):
 * each check is one HeadObject, so a run costs at most daily + weekly + monthly + 2 of them (19 with 7/4/6; about
 * $0.000008 at $0.0004 per 1,000) plus one per object found missing, whatever the length of the history; a
 * marked backup is never checked again. Each round checks the kept backups not checked yet and re-plans without
 * those found missing; it ends when a plan keeps nothing unchecked (every round checks at least one more).
 */
async function keptWithTheirObjects(
  deps: RetentionDeps,
  backups: readonly Backup[],
  plan: (candidates: readonly Backup[]) => RetentionPlan,
): Promise<{ plan: RetentionPlan; missing: Backup[] }> {
  const byId = new Map(backups.map((b) => [b.id, b]));
  const checked = new Set<string>();
  const missing: Backup[] = [];
  let candidates = backups;
  for (;;) {
    const current = plan(candidates);
    const unchecked = current.keep
      .map((k) => byId.get(k.id))
      .filter((b): b is Backup => b !== undefined && !checked.has(b.id));
    if (unchecked.length === 0) return { plan: current, missing };
    const foundAt = deps.now().toISOString();
    const gone = new Set<string>();
    for (let i = 0; i < unchecked.length; i += HEAD_CONCURRENCY) {
      const batch = unchecked.slice(i, i + HEAD_CONCURRENCY);
      const exists = await Promise.all(batch.map((b) => objectExists(deps, b)));
      for (const [j, backup] of batch.entries()) {
        checked.add(backup.id);
        if (exists[j]) continue;
        gone.add(backup.id);
        if (await markObjectMissing(deps.table, backup.id, foundAt))
          missing.push({ ...backup, objectMissingAt: foundAt });
      }
    }
    candidates = candidates.map((b) => (gone.has(b.id) ? { ...b, objectMissingAt: foundAt } : b));
  }
}

/** The e-mail about backups this run found without their objects: which, and what that means. */
async function missingNotification(
  deps: RetentionDeps,
  sourceId: string,
  missing: readonly Backup[],
): Promise<Notification> {
  const source = await getDataSource(deps.table, sourceId);
  const sourceName = source ? `${source.name} (${source.database})` : sourceId;
  const count = missing.length === 1 ? 'a backup' : `${missing.length} backups`;
  return {
    subject: snsSubject(
      `Keepsake: ${count} of ${sourceName} lost ${missing.length === 1 ? 'its object' : 'their objects'}`,
    ),
    message: [
      `Retention found the object of ${count} of data source ${sourceName} missing from bucket ${deps.bucket}:`,
      '',
      ...missing.map(
        (b) =>
          `- backup ${b.id} of database ${b.database}, taken ${b.startedAt ?? b.createdAt}: ${b.s3Key ?? 'no object key'}`,
      ),
      '',
      'These backups cannot be restored. Their records are marked objectMissingAt, retention no longer counts them as',
      'good backups (older good ones are kept in their place), and this is the only notification about them.',
      `At: ${deps.now().toISOString()}`,
    ].join('\n'),
  };
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
      const outcome = await purgeOne(deps, listed, cutoff, graceDays);
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

async function purgeOne(
  deps: PurgeDeps,
  listed: Backup,
  cutoff: string,
  graceDays: number,
): Promise<'purged' | 'skipped' | { error: string }> {
  try {
    // The index lags the table a little: purge only what is, right now, still in the trash since before the cutoff.
    const current = await getBackupRecord(deps.table, listed.id);
    if (!current?.trashedAt || current.trashedAt >= cutoff) return 'skipped';
    const reason = `in the trash since ${current.trashedAt}, past the ${graceDays}-day grace period`;
    await deleteBackup(deps, { backupId: listed.id, principal: RETENTION_PRINCIPAL, reason });
    logger.info('retention purged a backup from the trash', {
      sourceId: current.sourceId,
      backupId: listed.id,
      reason,
    });
    return 'purged';
  } catch (error) {
    if (isGone(error)) return 'skipped';
    return { error: error instanceof HttpError ? error.message : describeAwsError(error) };
  }
}

/** The ids of every data source (Queries on the SOURCES collection, every page), in name order. */
export async function listSourceIds(table: TableRef, pageSize = PAGE_SIZE): Promise<string[]> {
  const sources = await allPages((cursor) =>
    listDataSources(table, { limit: pageSize, ...(cursor !== undefined && { cursor }) }),
  );
  return sources.map((s) => s.id);
}
