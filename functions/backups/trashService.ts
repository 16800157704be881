import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Backup, TrashedBackup } from '../../types/backup.ts';
import { Conflict, NotFound, Upstream } from '../shared/errors.ts';
import { auditPut } from '../shared/repositories/audit.ts';
import {
  getBackupRecord,
  toBackup,
  trashUpdate,
  trashedBackupDelete,
  untrashUpdate,
  type BackupRecord,
  type TrashMark,
} from '../shared/repositories/backups.ts';
import { sourceStatsUpdate, storageCounterUpdate } from '../shared/repositories/stats.ts';
import type { TableRef } from '../shared/repositories/table.ts';
import { TransactionCancelled, transactNamedItems } from '../shared/repositories/transactions.ts';
import { describeAwsError } from '../shared/stepFunctions.ts';

export interface TrashDeps {
  readonly table: TableRef;
  readonly now: () => Date;
}

export interface DeleteDeps {
  readonly table: TableRef;
  readonly now: () => Date;
  readonly s3: S3Client;
  /** The backup bucket (env BACKUP_BUCKET_NAME). */
  readonly bucket: string;
}

interface Request {
  readonly backupId: string;
  readonly principal: string;
  /** Why, in words for the Trash page and the audit log; a person's request says only who. */
  readonly reason?: string;
}

const DAY_MS = 86_400_000;

/**
 * A trashed backup with the time its grace period ends (`purgeAfter`): the first daily sweep after it deletes the
 * backup with its object (`purgeTrash` takes those trashed more than `graceDays` before it runs). Computed rather
 * than stored, so it follows a changed TRASH_GRACE_DAYS as the purge does.
 */
export function withPurgeTime(backup: Backup, graceDays: number): TrashedBackup {
  if (backup.trashedAt === undefined) return backup;
  return { ...backup, purgeAfter: new Date(Date.parse(backup.trashedAt) + graceDays * DAY_MS).toISOString() };
}

async function mustGet(table: TableRef, id: string): Promise<BackupRecord> {
  const record = await getBackupRecord(table, id);
  if (!record) throw new NotFound('backup', id);
  return record;
}

async function conflictAfter(table: TableRef, id: string, why: (current: BackupRecord) => string): Promise<never> {
  const current = await mustGet(table, id);
  throw new Conflict(why(current));
}

const describeState = (b: BackupRecord) => (b.trashedAt ? 'in the trash' : b.status);

/**
 * Moves a finished backup (succeeded, failed or cancelled) to the trash: it leaves every list but the trash's
 * and can be taken back until it is deleted. Its object stays in the bucket, so stored bytes do not change. The
 * record and the audit event say who (`trashedBy`) and why (`trashReason`: the request's, else "trashed by …").
 */
export async function trashBackup(deps: TrashDeps, request: Request): Promise<Backup> {
  const { table } = deps;
  const record = await mustGet(table, request.backupId);
  const refusal = (b: BackupRecord) =>
    `backup ${b.id} is ${describeState(b)}: only finished backups out of the trash can be trashed`;
  if (record.trashedAt || record.status === 'queued' || record.status === 'running')
    throw new Conflict(refusal(record));
  const mark: TrashMark = {
    trashedAt: deps.now().toISOString(),
    trashedBy: request.principal,
    trashReason: request.reason ?? `trashed by ${request.principal}`,
  };
  try {
    await transactNamedItems(table, {
      record: trashUpdate(table, record, mark),
      audit: auditPut(table, {
        principal: request.principal,
        action: 'backup.trash',
        targetType: 'backup',
        targetId: record.id,
        summary: `data source ${record.sourceId}: ${mark.trashReason}`,
      }),
    });
  } catch (error) {
    if (!(error instanceof TransactionCancelled)) throw error;
    return conflictAfter(table, record.id, refusal);
  }
  return toBackup({ ...record, ...mark });
}

/** Takes a backup out of the trash, back into the lists it was in. */
export async function untrashBackup(deps: TrashDeps, request: Request): Promise<Backup> {
  const { table } = deps;
  const record = await mustGet(table, request.backupId);
  const refusal = (b: BackupRecord) => `backup ${b.id} is not in the trash`;
  const trashedAt = record.trashedAt;
  if (trashedAt === undefined) throw new Conflict(refusal(record));
  try {
    await transactNamedItems(table, {
      record: untrashUpdate(table, { ...record, trashedAt }),
      audit: auditPut(table, {
        principal: request.principal,
        action: 'backup.untrash',
        targetType: 'backup',
        targetId: record.id,
        summary: `data source ${record.sourceId}`,
      }),
    });
  } catch (error) {
    if (!(error instanceof TransactionCancelled)) throw error;
    return conflictAfter(table, record.id, refusal);
  }
  const { trashedAt: _at, trashedBy: _by, trashReason: _why, ...restored } = record;
  return toBackup(restored);
}

/**
 * Deletes a backup from the trash for good: its object first (the bucket keeps a noncurrent version for its
 * short undo window), then, in one transaction, the record, the source's stored totals, today's removed bytes and
 * the audit event.
 * If S3 refuses, nothing changes (502); if the record's deletion fails after the object's, a retry finishes it.
 */
export async function deleteBackup(deps: DeleteDeps, request: Request): Promise<void> {
  const { table } = deps;
  const record = await mustGet(table, request.backupId);
  const refusal = (b: BackupRecord) => `backup ${b.id} is ${describeState(b)}: move it to the trash before deleting it`;
  if (!record.trashedAt) throw new Conflict(refusal(record));
  if (record.s3Key) {
    try {
      await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: record.s3Key }));
    } catch (error) {
      throw new Upstream(`could not delete the backup's object: S3 DeleteObject failed (${describeAwsError(error)})`);
    }
  }
  const stored = record.status === 'succeeded' && record.compressedBytes !== undefined;
  const bytes = record.compressedBytes ?? 0;
  try {
    await transactNamedItems(table, {
      record: trashedBackupDelete(table, record.id),
      audit: auditPut(table, {
        principal: request.principal,
        action: 'backup.delete',
        targetType: 'backup',
        targetId: record.id,
        summary: `data source ${record.sourceId}${record.s3Key ? `, object ${record.s3Key}` : ''}${request.reason ? `: ${request.reason}` : ''}`,
      }),
      sourceStats: stored
        ? sourceStatsUpdate(table, record.sourceId, { storedBytes: -bytes, storedBackups: -1 })
        : undefined,
      counter: stored ? storageCounterUpdate(table, deps.now(), { removedBytes: bytes }) : undefined,
    });
  } catch (error) {
    if (!(error instanceof TransactionCancelled)) throw error;
    const current = await getBackupRecord(table, record.id);
    if (!current) throw new NotFound('backup', record.id);
    throw new Conflict(refusal(current));
  }
}
