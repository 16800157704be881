import type { Verification } from '../../types/backup.ts';
import { VerifyJobSchema } from '../../types/job.ts';
import type { PreparedVerify, RecordVerificationTask, RecordedVerification } from '../../types/orchestration.ts';
import { Conflict, NotFound } from '../shared/errors.ts';
import { getBackupRecord, setVerification } from '../shared/repositories/backups.ts';
import type { TableRef } from '../shared/repositories/table.ts';
import { ecsTaskOf, failureReason } from './failureReason.ts';
import type { RunnerLogs } from './runnerLogs.ts';
import { s3LocationOf, type BackupTarget } from './runnerJobs.ts';

/** Step "Prepare verify": the runner's verify job for a succeeded backup, held to the checksum on its record. */
export async function prepareVerify(deps: { readonly table: TableRef; readonly target: BackupTarget }, backupId: string): Promise<PreparedVerify> {
  const record = await getBackupRecord(deps.table, backupId);
  if (!record) throw new NotFound('backup', backupId);
  if (record.status !== 'succeeded' || !record.s3Key || !record.sha256) throw new Conflict(`backup ${backupId} is ${record.status}: only succeeded backups can be verified`);
  return { job: VerifyJobSchema.parse({ mode: 'verify', s3: s3LocationOf(deps.target), key: record.s3Key, expectedSha256: record.sha256 }) };
}

/**
 * Steps "Record verification" (the runner exited 0: verified) and its Catch (failed: the runner's own reason,
 * e.g. "corrupt: sha256 mismatch", or why it could not read). A failure comes with the notification to publish.
 */
export async function recordVerification(
  deps: { readonly table: TableRef; readonly logs: RunnerLogs; readonly now: () => Date },
  task: RecordVerificationTask,
): Promise<RecordedVerification> {
  const at = deps.now().toISOString();
  let verification: Verification = { status: 'verified', at };
  if (task.error) {
    const taskArn = ecsTaskOf(task.error)?.taskArn;
    const runnerErrors = taskArn ? await deps.logs.lastErrors(taskArn) : [];
    verification = { status: 'failed', at, reason: runnerErrors.length > 0 ? runnerErrors.join(' | ') : failureReason({ doing: 'verifying the backup', runner: true }, task.error) };
  }
  await setVerification(deps.table, task.backupId, verification);
  if (verification.status === 'verified') return { verification };
  const record = await getBackupRecord(deps.table, task.backupId);
  return {
    verification,
    notification: {
      subject: `Keepsake: backup ${task.backupId} failed verification`.slice(0, 100),
      message: [
        `Backup ${task.backupId} of data source ${record?.sourceId ?? 'unknown'} (s3 key ${record?.s3Key ?? 'unknown'}) failed verification.`,
        '',
        `Reason: ${verification.reason ?? 'unknown'}`,
        '',
        'Do not rely on it for a restore; take a new backup and check the bucket.',
        `At: ${at}`,
      ].join('\n'),
    },
  };
}
