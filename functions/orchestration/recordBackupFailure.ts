import { BackupFailureTaskSchema, type BackupFailureTask, type RecordedFailure } from '../../types/orchestration.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { taskHandler } from '../shared/task.ts';
import { recordBackupFailureStep } from './backupSteps.ts';
import { runnerLogsFromEnv } from './runnerLogs.ts';

const deps = { table: tableFromEnv(), now: () => new Date(), logs: runnerLogsFromEnv() };

/** Backup machine, Catch of every step: the record fails with the reason; the notification goes to the topic. */
async function recordBackupFailure(task: BackupFailureTask): Promise<RecordedFailure> {
  return recordBackupFailureStep(deps, task);
}

export const handler = taskHandler(BackupFailureTaskSchema, recordBackupFailure);
