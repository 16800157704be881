import type { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { BackupJobSchema, RESULT_TAGS, RestoreJobSchema, backupKey } from '../../types/job.ts';
import type { Restore } from '../../types/restore.ts';
import type {
  BegunRestore,
  FinalizeRestoreTask,
  RecordedFailure,
  RestoreFailureTask,
  SafetyBackup,
  SafetyBackupTask,
} from '../../types/orchestration.ts';
import { beginRestoreRun, finalizeRestore, getRestore } from '../restores/restoreService.ts';
import { beginSafetyBackup, finalizeBackup } from '../backups/runService.ts';
import { Conflict, NotFound } from '../shared/errors.ts';
import { getBackupRecord } from '../shared/repositories/backups.ts';
import { getDataSource } from '../shared/repositories/dataSources.ts';
import type { TableRef } from '../shared/repositories/table.ts';
import { finalizeBackupRun } from './backupSteps.ts';
import { ecsTaskOf, failureReason, type FailedStep } from './failureReason.ts';
import type { RunnerLogs } from './runnerLogs.ts';
import { backupObjectOf, databaseAccessOf, s3LocationOf, storedObject, type JobDeps } from './runnerJobs.ts';
import { snsSubject } from '../../types/notification.ts';

interface StepDeps {
  readonly table: TableRef;
  readonly now: () => Date;
}

/**
 * Step "Begin restore": the record goes running, and both runner jobs are described: first a safety backup of
 * the target database (skipped by the runner when that database does not exist yet), then the restore, held to
 * the object version and checksum recorded for the backup. The backup must still be succeeded and out of the trash.
 */
export async function beginRestore(deps: StepDeps & JobDeps, restoreId: string): Promise<BegunRestore> {
  const restore = await beginRestoreRun(deps, restoreId);
  const backup = await getBackupRecord(deps.table, restore.backupId);
  if (!backup) throw new NotFound('backup', restore.backupId);
  if (backup.status !== 'succeeded' || backup.trashedAt || !backup.s3Key || !backup.sha256) {
    throw new Conflict(
      `backup ${backup.id} is ${backup.trashedAt ? 'in the trash' : backup.status}: it cannot be restored`,
    );
  }
  const target = await getDataSource(deps.table, restore.targetSourceId);
  if (!target) throw new NotFound('data source', restore.targetSourceId);
  const access = await databaseAccessOf(deps, target);
  const s3 = s3LocationOf(deps.target);
  const safetyJob = BackupJobSchema.parse({
    mode: 'backup',
    sourceId: target.id,
    ...access,
    connection: { ...access.connection, database: restore.targetDatabase },
    s3,
    key: backupKey(target.id, restore.targetDatabase, deps.now(), `before-restore-${restore.id}`),
    skipIfDatabaseMissing: true,
  });
  const restoreJob = RestoreJobSchema.parse({
    mode: 'restore',
    ...access,
    s3,
    ...backupObjectOf(backup.s3Key, backup.sha256, backup),
    targetDatabase: restore.targetDatabase,
  });
  return { restore, safetyJob, restoreJob };
}

/** The id of a restore's safety backup record: derived from the restore, so every retry of the step finds the same one. */
export function safetyBackupIdOf(restoreId: string): string {
  return `safety-${createHash('sha256').update(`safety:${restoreId}`).digest('hex').slice(0, 32)}`;
}

/**
 * Step "Record safety backup": the runner exited 0, so either it wrote the safety backup (checksum tagged) or the
 * target did not exist and there was nothing to keep. A written one becomes a backup record (trigger `safety`,
 * linked to the restore) recorded succeeded exactly as the Backup machine records a backup (`finalizeBackupRun`),
 * so it is listed, restorable, downloadable and counted like any other. One that cannot be recorded is marked
 * failed and fails the step: the restore does not overwrite the target without a usable way back.
 */
export async function recordSafetyBackup(
  deps: StepDeps & { readonly s3: S3Client; readonly bucket: string },
  task: SafetyBackupTask,
): Promise<SafetyBackup> {
  const stored = await storedObject(deps.s3, deps.bucket, task.key);
  const sha256 = stored?.tags[RESULT_TAGS.sha256];
  if (stored && !sha256)
    throw new Conflict(
      `the safety backup s3://${deps.bucket}/${task.key} has no checksum: the restore will not overwrite the target without a usable way back`,
    );
  if (!stored || !sha256) return { skipped: 'the target database did not exist: there was nothing to overwrite' };
  const restore = await getRestore(deps.table, task.restoreId);
  const backupId = safetyBackupIdOf(restore.id);
  await beginSafetyBackup(deps, { backupId, restore });
  try {
    await finalizeBackupRun(deps, { backupId, key: task.key });
  } catch (error) {
    await finalizeBackup(deps, {
      backupId,
      outcome: { status: 'failed', error: error instanceof Error ? error.message : String(error) },
    }).catch(() => undefined);
    throw error;
  }
  return { key: task.key, sha256, backupId };
}

/** Step "Record restore": succeeded, with the safety backup's record and key when one was taken. */
export function finalizeRestoreRun(deps: StepDeps, task: FinalizeRestoreTask): Promise<Restore> {
  const startedAt = deps.now();
  return getRestore(deps.table, task.restoreId).then((restore) =>
    finalizeRestore(deps, task.restoreId, {
      status: 'succeeded',
      durationMs: Math.max(0, startedAt.getTime() - Date.parse(restore.startedAt ?? restore.createdAt)),
      ...('key' in task.safety && {
        safetyBackupKey: task.safety.key,
        ...(task.safety.backupId && { safetyBackupId: task.safety.backupId }),
      }),
    }),
  );
}

const RESTORE_STEPS = {
  begin: { doing: 'starting the restore', runner: false },
  safety: { doing: 'taking the safety backup of the target', runner: true },
  restore: { doing: 'restoring into the target database', runner: true },
  finalize: { doing: 'recording the restore', runner: false },
} as const satisfies Record<RestoreFailureTask['failedStep'], FailedStep>;

/**
 * Catch of every step: records the restore as failed with the reason and, when a safety backup was taken, its
 * key (the way back: restore it to undo a half-applied restore); returns the notification to publish.
 */
export async function recordRestoreFailure(
  deps: StepDeps & { readonly logs: RunnerLogs; readonly bucket: string },
  task: RestoreFailureTask,
): Promise<RecordedFailure> {
  const taskArn = RESTORE_STEPS[task.failedStep].runner ? ecsTaskOf(task.error)?.taskArn : undefined;
  const runnerErrors = taskArn ? await deps.logs.lastErrors(taskArn) : [];
  const safety = task.safety && 'key' in task.safety ? task.safety : undefined;
  const wayBack = safety
    ? `the target's safety backup is ${safety.backupId ? `backup ${safety.backupId} ` : ''}s3://${deps.bucket}/${safety.key}: restore it to roll back`
    : task.failedStep === 'restore'
      ? 'the target database did not exist before, so there is nothing to roll back to'
      : 'the target database was not touched';
  const reason = `${failureReason(RESTORE_STEPS[task.failedStep], task.error, runnerErrors)}; ${wayBack}`;
  const restore = await getRestore(deps.table, task.restoreId).catch(() => undefined);
  if (restore && (restore.status === 'queued' || restore.status === 'running')) {
    await finalizeRestore(deps, task.restoreId, {
      status: 'failed',
      error: reason,
      ...(safety && { safetyBackupKey: safety.key, ...(safety.backupId && { safetyBackupId: safety.backupId }) }),
    });
  }
  const into = restore
    ? `${restore.targetDatabase} (data source ${restore.targetSourceId})`
    : `restore ${task.restoreId}`;
  return {
    reason,
    notification: {
      subject: snsSubject(`Keepsake: restore into ${into} failed`),
      message: [
        `The restore ${task.restoreId} into ${into} failed while ${RESTORE_STEPS[task.failedStep].doing}.`,
        '',
        `Reason: ${reason}`,
        '',
        `At: ${deps.now().toISOString()}`,
      ].join('\n'),
    },
  };
}
