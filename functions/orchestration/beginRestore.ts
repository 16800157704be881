import { RestoreIdTaskSchema, type BegunRestore, type RestoreIdTask } from '../../types/orchestration.ts';
import { s3Client } from '../shared/clients.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { taskHandler } from '../shared/task.ts';
import { beginRestoreStep } from './restoreSteps.ts';
import { backupTargetFromEnv } from './runnerJobs.ts';

const deps = { table: tableFromEnv(), now: () => new Date(), target: backupTargetFromEnv(), s3: s3Client };

/** Restore machine, first step: the record goes running; the safety backup and restore jobs are described. */
async function beginRestore(task: RestoreIdTask): Promise<BegunRestore> {
  return beginRestoreStep(deps, task.restoreId);
}

export const handler = taskHandler(RestoreIdTaskSchema, beginRestore);
