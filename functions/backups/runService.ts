import { StopExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { Backup, BackupStatus } from '../../types/backup.ts';
import type { BackupOutcome, BeginBackupRun } from '../../types/backupApi.ts';
import type { Restore } from '../../types/restore.ts';
import { Conflict, NotFound, Upstream } from '../shared/errors.ts';
import { auditPut } from '../shared/repositories/audit.ts';
import {
  ACTIVE_STATUSES,
  backupStatusUpdate,
  enabledSourceCheck,
  getBackupRecord,
  getRunningLock,
  newBackupPut,
  runningLockPut,
  runningLockRelease,
  toBackup,
  type BackupRecord,
} from '../shared/repositories/backups.ts';
import { getDataSource } from '../shared/repositories/dataSources.ts';
import { restoreLockAbsentCheck } from '../shared/repositories/restores.ts';
import { sourceStatsUpdate, statusCounterUpdate } from '../shared/repositories/stats.ts';
import type { TableRef } from '../shared/repositories/table.ts';
import { TransactionCancelled, transactNamedItems, type TransactItem } from '../shared/repositories/transactions.ts';
import { describeAwsError, executionArnOf } from '../shared/stepFunctions.ts';
import { restoringConflict } from './triggerService.ts';

export interface RunDeps {
  readonly table: TableRef;
  readonly now: () => Date;
}

const isActive = (status: BackupStatus) => (ACTIVE_STATUSES as readonly BackupStatus[]).includes(status);

async function mustGet(table: TableRef, id: string): Promise<BackupRecord> {
  const record = await getBackupRecord(table, id);
  if (!record) throw new NotFound('backup', id);
  return record;
}

/**
 * Releases the source's lock inside the transaction if this backup holds it. A lock held by another backup
 * (which cannot happen while the lock is only taken with the record) is left alone rather than blocking the
 * outcome from being recorded.
 */
async function lockReleaseFor(table: TableRef, record: BackupRecord): Promise<TransactItem | undefined> {
  const lock = await getRunningLock(table, record.sourceId);
  return lock?.backupId === record.id ? runningLockRelease(table, record.sourceId, record.id) : undefined;
}

const elapsedMs = (record: BackupRecord, at: Date) =>
  Math.max(0, at.getTime() - Date.parse(record.startedAt ?? record.createdAt));

/**
 * The Backup state machine's first step: marks the record `running`. An API-triggered backup was queued (with
 * the lock) by `triggerBackup`; a scheduled one has no record yet, so it is created here, running, taking the
 * lock and checking the source is enabled and no restore is writing into its database in the same transaction.
 * Idempotent per execution: a retry finds the record running and returns it.
 */
export async function markBackupRunning(deps: RunDeps, run: BeginBackupRun): Promise<Backup> {
  const { table } = deps;
  const now = deps.now();
  const startedAt = now.toISOString();
  const existing = await getBackupRecord(table, run.backupId);
  if (existing) {
    if (existing.status === 'running') return toBackup(existing);
    if (existing.status !== 'queued')
      throw new Conflict(`backup ${run.backupId} is ${existing.status}: it will not run`);
    try {
      await transactNamedItems(table, {
        record: backupStatusUpdate(table, existing, 'running', ['queued'], {
          startedAt,
          ...(run.executionArn && { executionArn: run.executionArn }),
        }),
        counter: statusCounterUpdate(table, 'running', now),
      });
    } catch (error) {
      if (!(error instanceof TransactionCancelled)) throw error;
      const current = await mustGet(table, run.backupId);
      if (current.status === 'running') return toBackup(current);
      throw new Conflict(`backup ${run.backupId} is ${current.status}: it will not run`);
    }
    return toBackup({ ...existing, status: 'running', startedAt });
  }
  if (run.trigger !== 'schedule') {
    // The API queues manual and API backups before starting the machine; none means the trigger was undone.
    throw new Conflict(`backup ${run.backupId} does not exist: it was withdrawn when its execution failed to start`);
  }
  const source = await getDataSource(table, run.dataSourceId);
  if (!source) throw new NotFound('data source', run.dataSourceId);
  if (!source.enabled) throw new Conflict(`data source ${run.dataSourceId} is disabled: scheduled backup skipped`);
  const record: BackupRecord = {
    id: run.backupId,
    sourceId: run.dataSourceId,
    database: source.database,
    status: 'running',
    trigger: 'schedule',
    createdAt: startedAt,
    startedAt,
    ...(run.scheduleId && { scheduleId: run.scheduleId }),
    ...(run.executionArn && { executionArn: run.executionArn }),
  };
  try {
    await transactNamedItems(table, {
      lock: runningLockPut(table, {
        sourceId: record.sourceId,
        backupId: record.id,
        since: startedAt,
        database: record.database,
      }),
      source: enabledSourceCheck(table, record.sourceId),
      record: newBackupPut(table, record),
      counter: statusCounterUpdate(table, 'running', now),
      noRestore: restoreLockAbsentCheck(table, record.sourceId, record.database),
    });
  } catch (error) {
    if (!(error instanceof TransactionCancelled)) throw error;
    const current = await getBackupRecord(table, run.backupId);
    if (current?.status === 'running') return toBackup(current);
    if (error.failed('source'))
      throw new Conflict(`data source ${run.dataSourceId} is disabled or gone: scheduled backup skipped`);
    if (error.failed('noRestore')) throw await restoringConflict(table, record.sourceId, record.database);
    const lock = await getRunningLock(table, run.dataSourceId);
    throw new Conflict(
      `data source ${run.dataSourceId} already has a backup queued or running${lock ? ` (${lock.backupId})` : ''}`,
    );
  }
  return toBackup(record);
}

/** What a safety backup is recorded from: the restore taking it and the id its record gets. */
export interface SafetyBackupRun {
  readonly backupId: string;
  readonly restore: Pick<Restore, 'id' | 'targetSourceId' | 'targetDatabase' | 'startedAt' | 'createdAt'>;
}

/**
 * Creates the record of a restore's safety backup of its target, running (trigger `safety`, linked by
 * `restoreId`), for `recordBackupOutcome` to record like any backup. It takes no lock and is not checked against the
 * restore lock: the restore holding that lock is the one taking it. Idempotent: a retry finds the record and
 * returns it.
 */
export async function markSafetyBackupRunning(deps: RunDeps, run: SafetyBackupRun): Promise<Backup> {
  const { table } = deps;
  const existing = await getBackupRecord(table, run.backupId);
  if (existing) return toBackup(existing);
  const now = deps.now();
  const { restore } = run;
  // The runner dumped the target first thing in the restore: its moment is the restore's start.
  const startedAt = restore.startedAt ?? now.toISOString();
  const record: BackupRecord = {
    id: run.backupId,
    sourceId: restore.targetSourceId,
    database: restore.targetDatabase,
    status: 'running',
    trigger: 'safety',
    restoreId: restore.id,
    createdAt: startedAt,
    startedAt,
  };
  try {
    await transactNamedItems(table, {
      record: newBackupPut(table, record),
      counter: statusCounterUpdate(table, 'running', now),
    });
  } catch (error) {
    if (!(error instanceof TransactionCancelled)) throw error;
    return toBackup(await mustGet(table, run.backupId));
  }
  return toBackup(record);
}

export interface BackupOutcomeRequest {
  readonly backupId: string;
  readonly outcome: BackupOutcome;
}

/**
 * The Backup state machine's last step: records how the backup ended (running or queued → succeeded, failed
 * or cancelled, with the runner's sizes, checksum, duration and table count, or the reason), releases the
 * source's lock, counts the new status (and a success's bytes) for the day and updates the source's stored bytes
 * and last backup, all in one transaction. Idempotent: finalizing again with the same status returns the record
 * unchanged.
 */
export async function recordBackupOutcome(deps: RunDeps, request: BackupOutcomeRequest): Promise<Backup> {
  const { table } = deps;
  const { outcome } = request;
  const now = deps.now();
  const record = await mustGet(table, request.backupId);
  if (!isActive(record.status)) {
    if (record.status === outcome.status) return toBackup(record);
    throw new Conflict(`backup ${record.id} already ended ${record.status}`);
  }
  const finishedAt = now.toISOString();
  const fields: Partial<BackupRecord> =
    outcome.status === 'succeeded'
      ? {
          s3Key: outcome.s3Key,
          s3VersionId: outcome.s3VersionId,
          s3ETag: outcome.s3ETag,
          compressedBytes: outcome.compressedBytes,
          uncompressedBytes: outcome.uncompressedBytes,
          sha256: outcome.sha256,
          tables: outcome.tables,
          serverVersion: outcome.serverVersion,
          durationMs: outcome.durationMs,
        }
      : {
          error: outcome.error,
          durationMs: (outcome.status === 'failed' ? outcome.durationMs : undefined) ?? elapsedMs(record, now),
        };
  const succeeded = outcome.status === 'succeeded';
  // A safety backup is of a restore's target (any database of the source) and kept 7 days: it is stored and counted,
  // but it is not the source's own backup, so it does not quiet the "no recent successful backup" alarm.
  const freshens = succeeded && record.trigger !== 'safety';
  const items = {
    record: backupStatusUpdate(table, record, outcome.status, ACTIVE_STATUSES, { ...fields, finishedAt }),
    counter: statusCounterUpdate(
      table,
      outcome.status,
      now,
      1,
      succeeded ? { addedBytes: outcome.compressedBytes } : {},
    ),
    sourceStats: sourceStatsUpdate(table, record.sourceId, {
      ...(succeeded && { storedBytes: outcome.compressedBytes, storedBackups: 1 }),
      ...(freshens && { lastSucceededAt: finishedAt }),
      lastBackup: {
        backupId: record.id,
        status: outcome.status,
        finishedAt,
        ...(succeeded && { compressedBytes: outcome.compressedBytes }),
      },
    }),
    lock: await lockReleaseFor(table, record),
  };
  try {
    await transactNamedItems(table, items);
  } catch (error) {
    if (!(error instanceof TransactionCancelled)) throw error;
    const current = await mustGet(table, record.id);
    if (current.status === outcome.status) return toBackup(current);
    throw new Conflict(`backup ${record.id} changed to ${current.status} while being finalized`);
  }
  return toBackup({ ...record, ...fields, status: outcome.status, finishedAt });
}

export interface CancelDeps extends RunDeps {
  readonly sfn: SFNClient;
  /** The Backup state machine (env BACKUP_STATE_MACHINE_ARN), whose executions are named after their backups. */
  readonly stateMachineArn: string;
}

/**
 * Cancels a queued or running backup: stops its execution (Step Functions stops the runner's task with it),
 * then marks it cancelled, releases the lock and updates the aggregates with the audit event in one
 * transaction. If Step Functions refuses, nothing changes and the caller gets a 502; an execution that no
 * longer exists is no obstacle to recording the cancellation.
 */
export async function cancelBackup(
  deps: CancelDeps,
  request: { backupId: string; principal: string },
): Promise<Backup> {
  const { table } = deps;
  const record = await mustGet(table, request.backupId);
  if (!isActive(record.status))
    throw new Conflict(`backup ${record.id} is ${record.status}: only queued or running backups can be cancelled`);
  const executionArn = record.executionArn ?? executionArnOf(deps.stateMachineArn, record.id);
  try {
    await deps.sfn.send(
      new StopExecutionCommand({ executionArn, error: 'Cancelled', cause: `cancelled by ${request.principal}` }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ExecutionDoesNotExist') {
      throw new Upstream(
        `could not cancel the backup: Step Functions StopExecution failed (${describeAwsError(error)})`,
      );
    }
  }
  const now = deps.now();
  const finishedAt = now.toISOString();
  const fields: Partial<BackupRecord> = {
    finishedAt,
    error: `cancelled by ${request.principal}`,
    durationMs: elapsedMs(record, now),
  };
  try {
    await transactNamedItems(table, {
      record: backupStatusUpdate(table, record, 'cancelled', ACTIVE_STATUSES, fields),
      counter: statusCounterUpdate(table, 'cancelled', now),
      sourceStats: sourceStatsUpdate(table, record.sourceId, {
        lastBackup: { backupId: record.id, status: 'cancelled', finishedAt },
      }),
      audit: auditPut(table, {
        principal: request.principal,
        action: 'backup.cancel',
        targetType: 'backup',
        targetId: record.id,
        summary: `data source ${record.sourceId}`,
      }),
      lock: await lockReleaseFor(table, record),
    });
  } catch (error) {
    if (!(error instanceof TransactionCancelled)) throw error;
    const current = await mustGet(table, record.id);
    throw new Conflict(`backup ${record.id} ended ${current.status} before it could be cancelled`);
  }
  return toBackup({ ...record, ...fields, status: 'cancelled' });
}
