import type { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { Backup } from '../../types/backup.ts';
import { BackupJobSchema, RESULT_TAGS, RestoreJobSchema, backupKey, type RestoreJob } from '../../types/job.ts';
import type { AutoRollback, Restore } from '../../types/restore.ts';
import type {
  BegunRestore,
  FinalizeRestoreTask,
  RecordedFailure,
  RecordedSafetyBackup,
  RestoreFailureTask,
  SafetyBackupTask,
  StatesError,
} from '../../types/orchestration.ts';
import { markRestoreRunning, recordRestoreOutcome, getRestore } from '../restores/restoreService.ts';
import { markSafetyBackupRunning, recordBackupOutcome } from '../backups/runService.ts';
import { Conflict, NotFound } from '../shared/errors.ts';
import { getBackupRecord } from '../shared/repositories/backups.ts';
import { getDataSource } from '../shared/repositories/dataSources.ts';
import type { TableRef } from '../shared/repositories/table.ts';
import { finalizeBackupStep } from './backupSteps.ts';
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
export async function beginRestoreStep(deps: StepDeps & JobDeps, restoreId: string): Promise<BegunRestore> {
  const restore = await markRestoreRunning(deps, restoreId);
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
    key: backupKey(target.engine, target.id, restore.targetDatabase, deps.now(), `before-restore-${restore.id}`),
    skipIfDatabaseMissing: true,
  });
  const restoreJob = RestoreJobSchema.parse({
    mode: 'restore',
    ...access,
    s3,
    ...backupObjectOf(backup.s3Key, backup.sha256, backup),
    targetDatabase: restore.targetDatabase,
    // A rollback puts the target back as it was: what the undone restore added goes too.
    replaceTarget: restore.rollbackOf !== undefined,
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
 * linked to the restore) recorded succeeded exactly as the Backup machine records a backup (`finalizeBackupStep`),
 * so it is listed, restorable, downloadable and counted like any other. One that cannot be recorded is marked
 * failed and fails the step: the restore does not overwrite the target without a usable way back.
 *
 * The restore job learns what was found (`targetExisted`: a target found absent is created plainly, so one that
 * appears meanwhile is not overwritten), and a restore with `rollbackOnFailure` gets the job that would put this
 * safety backup back, held to the object version just recorded.
 */
export async function recordSafetyBackupStep(
  deps: StepDeps & { readonly s3: S3Client; readonly bucket: string },
  task: SafetyBackupTask,
): Promise<RecordedSafetyBackup> {
  const stored = await storedObject(deps.s3, deps.bucket, task.key);
  const sha256 = stored?.tags[RESULT_TAGS.sha256];
  if (stored && !sha256)
    throw new Conflict(
      `the safety backup s3://${deps.bucket}/${task.key} has no checksum: the restore will not overwrite the target without a usable way back`,
    );
  if (!stored || !sha256) {
    return {
      safety: { skipped: 'the target database did not exist: there was nothing to overwrite' },
      restoreJob: { ...task.restoreJob, targetExisted: false },
    };
  }
  const restore = await getRestore(deps.table, task.restoreId);
  const backupId = safetyBackupIdOf(restore.id);
  await markSafetyBackupRunning(deps, { backupId, restore });
  let recorded: Backup;
  try {
    recorded = await finalizeBackupStep(deps, { backupId, key: task.key });
  } catch (error) {
    await recordBackupOutcome(deps, {
      backupId,
      outcome: { status: 'failed', error: error instanceof Error ? error.message : String(error) },
    }).catch(() => undefined);
    throw error;
  }
  const restoreJob: RestoreJob = { ...task.restoreJob, targetExisted: true };
  return {
    safety: { key: task.key, sha256, backupId },
    restoreJob,
    ...(restore.rollbackOnFailure && {
      rollbackJob: { ...restoreJob, ...backupObjectOf(task.key, sha256, recorded), replaceTarget: true },
    }),
  };
}

/** Step "Record restore": succeeded, with the safety backup's record and key when one was taken. */
export function finalizeRestoreStep(deps: StepDeps, task: FinalizeRestoreTask): Promise<Restore> {
  const startedAt = deps.now();
  return getRestore(deps.table, task.restoreId).then((restore) =>
    recordRestoreOutcome(deps, task.restoreId, {
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

const AUTO_ROLLBACK_STEP: FailedStep = { doing: 'restoring the safety backup into the target', runner: true };

/**
 * Catch of every step: records the restore as failed with the reason and the way back, and returns the notification
 * to publish. When the automatic rollback ran, the record gets how it went (`autoRollback`) and the reason says
 * whether the target is as it was; otherwise the reason names the safety backup and the command that rolls back.
 */
export async function recordRestoreFailureStep(
  deps: StepDeps & { readonly logs: RunnerLogs; readonly bucket: string },
  task: RestoreFailureTask,
): Promise<RecordedFailure> {
  const reasonOf = async (step: FailedStep, error: StatesError) => {
    const taskArn = step.runner ? ecsTaskOf(error)?.taskArn : undefined;
    return failureReason(step, error, taskArn ? await deps.logs.lastErrors(taskArn) : []);
  };
  const failed = await reasonOf(RESTORE_STEPS[task.failedStep], task.error);
  const finishedAt = deps.now().toISOString();
  const autoRollback: AutoRollback | undefined = task.autoRollback && {
    status: task.autoRollback.error ? 'failed' : 'succeeded',
    ...(task.autoRollback.error && { error: await reasonOf(AUTO_ROLLBACK_STEP, task.autoRollback.error) }),
    finishedAt,
  };
  const recorded = task.recorded?.safety;
  const safety = recorded && 'key' in recorded ? recorded : undefined;
  const restore = await getRestore(deps.table, task.restoreId).catch(() => undefined);
  const safetyNamed = safety
    ? `${safety.backupId ? `backup ${safety.backupId}, ` : ''}s3://${deps.bucket}/${safety.key}`
    : undefined;
  const rollBack = `roll back with \`keepsake rollback ${task.restoreId}\` or Roll back on the restore's page`;
  const wayBack = !safetyNamed
    ? task.failedStep !== 'restore'
      ? 'the target database was not touched'
      : `the target database did not exist before, so there is nothing to roll back to${restore?.rollbackOnFailure ? ' and no automatic rollback was made' : ''}: what was restored of it is left as it is (drop the database to undo)`
    : autoRollback?.status === 'succeeded'
      ? `rolled back automatically: the safety backup (${safetyNamed}) was restored into the target, which holds again what it held before`
      : autoRollback
        ? `the automatic rollback failed too (${autoRollback.error ?? 'no reason given'}), so the target may be partly restored: the safety backup is ${safetyNamed}; ${rollBack}`
        : `the target's safety backup is ${safetyNamed}: ${rollBack}`;
  const reason = `${failed}; ${wayBack}`;
  if (restore && (restore.status === 'queued' || restore.status === 'running')) {
    await recordRestoreOutcome(deps, task.restoreId, {
      status: 'failed',
      error: reason,
      ...(safety && { safetyBackupKey: safety.key, ...(safety.backupId && { safetyBackupId: safety.backupId }) }),
      ...(autoRollback && { autoRollback }),
    });
  }
  const into = restore
    ? `${restore.targetDatabase} (data source ${restore.targetSourceId})`
    : `restore ${task.restoreId}`;
  // The outcome goes first: a long target name is what the 100-character subject cuts.
  const subject = !autoRollback
    ? `Keepsake: restore into ${into} failed`
    : autoRollback.status === 'succeeded'
      ? `Keepsake: restore failed and was rolled back: ${into}`
      : `Keepsake: restore failed, and so did its rollback: ${into}`;
  return {
    reason,
    notification: {
      subject: snsSubject(subject),
      message: [
        `The restore ${task.restoreId} into ${into} failed while ${RESTORE_STEPS[task.failedStep].doing}.`,
        '',
        `Reason: ${failed}`,
        '',
        ...(autoRollback
          ? [`Automatic rollback: ${autoRollback.status}${autoRollback.error ? ` (${autoRollback.error})` : ''}.`, '']
          : []),
        `Way back: ${wayBack}`,
        '',
        `At: ${finishedAt}`,
      ].join('\n'),
    },
  };
}
