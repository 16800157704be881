import type { Verification } from '../../types/backup.ts';
import { createHash } from 'node:crypto';
import { RestoreJobSchema, VerifyJobSchema } from '../../types/job.ts';
import type {
  DueVerifications,
  PreparedVerify,
  RecordVerificationTask,
  RecordedVerification,
  VerifyExecutionInput,
} from '../../types/orchestration.ts';
import { enabledSchedules } from './freshness.ts';
import { Conflict, NotFound } from '../shared/errors.ts';
import { getBackupRecord, listBackups, setVerification } from '../shared/repositories/backups.ts';
import type { TableRef } from '../shared/repositories/table.ts';
import { ecsTaskOf, failureReason } from './failureReason.ts';
import type { RunnerLogs } from './runnerLogs.ts';
import { backupObjectOf, databaseAccessOf, s3LocationOf, type JobDeps } from './runnerJobs.ts';
import { getDataSource } from '../shared/repositories/dataSources.ts';
import { snsSubject } from '../../types/notification.ts';

/** The scratch database of a test restore: named after the backup, short enough for MySQL's 64 characters. */
export const scratchDatabaseFor = (backupId: string): string =>
  `keepsake_verify_${createHash('sha256').update(backupId).digest('hex').slice(0, 16)}`;

/**
 * Step "Prepare verify": the runner's verify job for a succeeded backup, held to the object version and checksum
 * on its record; with `testRestore`, also a restore of it into a scratch database on its source's server that
 * must hold the backup's table count (the runner drops it afterwards).
 */
export async function prepareVerifyStep(
  deps: { readonly table: TableRef } & JobDeps,
  input: VerifyExecutionInput,
): Promise<PreparedVerify> {
  const record = await getBackupRecord(deps.table, input.backupId);
  if (!record) throw new NotFound('backup', input.backupId);
  if (record.status !== 'succeeded' || !record.s3Key || !record.sha256)
    throw new Conflict(`backup ${input.backupId} is ${record.status}: only succeeded backups can be verified`);
  const s3 = s3LocationOf(deps.target);
  const object = backupObjectOf(record.s3Key, record.sha256, record);
  const job = VerifyJobSchema.parse({ mode: 'verify', s3, ...object });
  if (!input.testRestore) return { job };
  const source = await getDataSource(deps.table, record.sourceId);
  if (!source) throw new NotFound('data source', record.sourceId);
  const testRestoreJob = RestoreJobSchema.parse({
    mode: 'restore',
    ...(await databaseAccessOf(deps, source)),
    s3,
    ...object,
    targetDatabase: scratchDatabaseFor(record.id),
    scratch: { expectTables: record.tables ?? 0 },
  });
  return { job, testRestoreJob };
}

/**
 * Steps "Record verification" (the runner exited 0: verified) and its Catch (failed: the runner's own reason,
 * e.g. "corrupt: sha256 mismatch", or why it could not read). A failure comes with the notification to publish.
 */
export async function recordVerificationStep(
  deps: { readonly table: TableRef; readonly logs: RunnerLogs; readonly now: () => Date },
  task: RecordVerificationTask,
): Promise<RecordedVerification> {
  const at = deps.now().toISOString();
  let verification: Verification = { status: 'verified', at };
  if (task.error) {
    const taskArn = ecsTaskOf(task.error)?.taskArn;
    const runnerErrors = taskArn ? await deps.logs.lastErrors(taskArn) : [];
    verification = {
      status: 'failed',
      at,
      reason:
        runnerErrors.length > 0
          ? runnerErrors.join(' | ')
          : failureReason({ doing: 'verifying the backup', runner: true }, task.error),
    };
  }
  await setVerification(deps.table, task.backupId, verification);
  if (verification.status === 'verified') return { verification };
  const record = await getBackupRecord(deps.table, task.backupId);
  return {
    verification,
    notification: {
      subject: snsSubject(`Keepsake: backup ${task.backupId} failed verification`),
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

/** How old a weekly-verified source's newest verification may be before the daily sweep verifies again. */
const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The daily sweep's verifications: for every source with a weekly-verifying schedule (not paused), its newest
 * succeeded backup out of the trash, unless that was verified within the week. A source asks for a test
 * restore if any of those schedules does.
 */
export async function listDueVerificationsStep(deps: {
  readonly table: TableRef;
  readonly now: () => Date;
}): Promise<DueVerifications> {
  const now = deps.now().getTime();
  const weekly = (await enabledSchedules(deps.table)).filter((s) => s.verify?.when === 'weekly');
  const testRestoreBySource = new Map<string, boolean>();
  for (const s of weekly)
    testRestoreBySource.set(
      s.sourceId,
      (testRestoreBySource.get(s.sourceId) ?? false) || (s.verify?.testRestore ?? false),
    );
  const due: DueVerifications['due'] = [];
  for (const [sourceId, testRestore] of testRestoreBySource) {
    const newest = (await listBackups(deps.table, { sourceId, status: 'succeeded' }, { limit: 1 })).items[0];
    if (!newest) continue;
    const verifiedAt = newest.verification?.status === 'verified' ? Date.parse(newest.verification.at) : undefined;
    if (verifiedAt !== undefined && now - verifiedAt < WEEK_MS) continue;
    due.push({ backupId: newest.id, testRestore });
  }
  return { due };
}
