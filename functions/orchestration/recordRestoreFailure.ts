import { RestoreFailureTaskSchema, type RecordedFailure, type RestoreFailureTask } from '../../types/orchestration.ts';
import { requireEnv } from '../shared/env.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { taskHandler } from '../shared/task.ts';
import { recordRestoreFailureStep } from './restoreSteps.ts';
import { runnerLogsFromEnv } from './runnerLogs.ts';

const deps = {
  table: tableFromEnv(),
  now: () => new Date(),
  logs: runnerLogsFromEnv(),
  bucket: requireEnv('BACKUP_BUCKET_NAME'),
};

/** Restore machine, Catch of every step: the restore fails with the reason and the way back. */
async function recordRestoreFailure(task: RestoreFailureTask): Promise<RecordedFailure> {
  return recordRestoreFailureStep(deps, task);
}

export const handler = taskHandler(RestoreFailureTaskSchema, recordRestoreFailure);
