import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Backup } from '../../types/backup.ts';
import type { BeginBackupRun } from '../../types/backupApi.ts';
import { IdSchema } from '../../types/dataSource.ts';
import { BackupJobSchema, RESULT_TAGS, SERVER_VERSION_METADATA, Sha256Schema, backupKey } from '../../types/index.ts';
import type { BackupFailureTask, BegunBackup, FinalizeBackupTask, RecordedFailure } from '../../types/orchestration.ts';
import { markBackupRunning, recordBackupOutcome, type RunDeps } from '../backups/runService.ts';
import { NotFound } from '../shared/errors.ts';
import { getBackupRecord } from '../shared/repositories/backups.ts';
import { getDataSource } from '../shared/repositories/dataSources.ts';
import { getSchedule } from '../shared/repositories/schedules.ts';
import { DEFAULT_VERIFY_POLICY } from '../../types/schedule.ts';
import { BACKUP_STEPS, ecsTaskOf, failureReason } from './failureReason.ts';
import type { RunnerLogs } from './runnerLogs.ts';
import { BackupObjectMissing, databaseAccessOf, s3LocationOf, storedObject, type JobDeps } from './runnerJobs.ts';
import { snsSubject } from '../../types/notification.ts';

/**
 * Step "Begin backup": marks the record running (creating it for a scheduled run; see `markBackupRunning`) and
 * describes the runner's job: the source's connection (its CA bundle stored and named by reference), a reference
 * to its password secret (never the value), and the object key, fixed here so the later steps know where the
 * runner wrote. The schedule's verification policy comes along for the step after retention.
 */
export async function beginBackupStep(deps: RunDeps & JobDeps, run: BeginBackupRun): Promise<BegunBackup> {
  const backup = await markBackupRunning(deps, run);
  const source = await getDataSource(deps.table, backup.sourceId);
  if (!source) throw new NotFound('data source', backup.sourceId);
  const job = BackupJobSchema.parse({
    mode: 'backup',
    sourceId: source.id,
    backupId: backup.id,
    ...(await databaseAccessOf(deps, source)),
    s3: s3LocationOf(deps.target),
    key: backupKey(source.engine, source.id, source.database, new Date(backup.startedAt ?? backup.createdAt)),
  });
  const schedule = backup.scheduleId ? await getSchedule(deps.table, backup.scheduleId) : undefined;
  return { backup, job, verify: schedule?.verify ?? { ...DEFAULT_VERIFY_POLICY } };
}

/**
 * The backup id of a Backup execution: its name (the API names executions after the backups it queues). A name
 * that is no valid id (Scheduler's own) is hashed, so every retry of the execution's steps finds the same record.
 */
export function backupIdOfExecution(executionName: string): string {
  return IdSchema.safeParse(executionName).success
    ? executionName
    : createHash('sha256').update(executionName).digest('hex').slice(0, 32);
}

/**
 * Step "Record success": reads what the runner stored (the object's version and ETag, which every later read is
 * held to; size from the object, checksum, uncompressed bytes, table count and duration from its tags, the server
 * version from its metadata) and records the backup as succeeded. The ECS task's own output carries no result,
 * and the object is the truth a restore will meet.
 */
export async function finalizeBackupStep(
  deps: RunDeps & { readonly s3: S3Client; readonly bucket: string },
  task: FinalizeBackupTask,
): Promise<Backup> {
  const where = `s3://${deps.bucket}/${task.key}`;
  const stored = await storedObject(deps.s3, deps.bucket, task.key);
  if (!stored) throw new BackupObjectMissing(`the runner reported success but ${where} does not exist`);
  const { tags } = stored;
  const sha256 = Sha256Schema.safeParse(tags[RESULT_TAGS.sha256]);
  if (!sha256.success)
    throw new BackupObjectMissing(
      `${where} carries no SHA-256 tag: it cannot be verified, so it is not recorded as a backup`,
    );
  // The runner writes every result tag in one call: one missing beside the checksum means the tags were altered.
  const count = (tag: string): number => {
    const value = tags[tag];
    if (value === undefined || !/^\d+$/.test(value))
      throw new BackupObjectMissing(
        `${where} carries no whole-number ${tag} tag: its tags are not the runner's, so it is not recorded as a backup`,
      );
    return Number(value);
  };
  return recordBackupOutcome(deps, {
    backupId: task.backupId,
    outcome: {
      status: 'succeeded',
      s3Key: task.key,
      ...(stored.versionId && { s3VersionId: stored.versionId }),
      ...(stored.etag && { s3ETag: stored.etag }),
      compressedBytes: stored.bytes,
      uncompressedBytes: count(RESULT_TAGS.uncompressedBytes),
      sha256: sha256.data,
      tables: count(RESULT_TAGS.tables),
      durationMs: count(RESULT_TAGS.durationMs),
      ...(stored.metadata[SERVER_VERSION_METADATA] && { serverVersion: stored.metadata[SERVER_VERSION_METADATA] }),
    },
  });
}

/**
 * Catch of any step: records the backup as failed with a readable reason (for the run step: exit code, ECS's
 * stopped reason and the runner's last error lines) and returns the notification the state machine publishes.
 * A record that never came to exist (the source was disabled or busy) gets no record, only the notification.
 */
export async function recordBackupFailureStep(
  deps: RunDeps & { readonly logs: RunnerLogs },
  task: BackupFailureTask,
): Promise<RecordedFailure> {
  const taskArn = task.step === 'run' ? ecsTaskOf(task.error)?.taskArn : undefined;
  const runnerErrors = taskArn ? await deps.logs.lastErrors(taskArn) : [];
  const reason = failureReason(BACKUP_STEPS[task.step], task.error, runnerErrors);
  const backupId = backupIdOfExecution(task.executionName);
  const record = await getBackupRecord(deps.table, backupId);
  if (record && (record.status === 'queued' || record.status === 'running')) {
    await recordBackupOutcome(deps, { backupId, outcome: { status: 'failed', error: reason } });
  }
  const source = await getDataSource(deps.table, task.dataSourceId);
  const sourceName = source ? `${source.name} (${source.database})` : task.dataSourceId;
  const recorded = record ? `Backup ${backupId} is recorded as failed.` : `No backup was started (id ${backupId}).`;
  return {
    reason,
    notification: {
      subject: snsSubject(`Keepsake: backup of ${sourceName} failed`),
      message: [
        `The backup of data source ${sourceName} failed while ${task.step === 'begin' ? 'starting' : task.step === 'run' ? 'running' : 'being recorded'}.`,
        '',
        `Reason: ${reason}`,
        '',
        recorded,
        `At: ${deps.now().toISOString()}`,
      ].join('\n'),
    },
  };
}
