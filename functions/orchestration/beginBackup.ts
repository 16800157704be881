import { BeginBackupTaskSchema, type BeginBackupTask, type BegunBackup } from '../../types/orchestration.ts';
import { s3Client } from '../shared/clients.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { taskHandler } from '../shared/task.ts';
import { backupIdOfExecution, beginBackupStep } from './backupSteps.ts';
import { backupTargetFromEnv } from './runnerJobs.ts';

const deps = { table: tableFromEnv(), now: () => new Date(), target: backupTargetFromEnv(), s3: s3Client };

/** Backup machine, first step: the record goes running and the runner's job is described. The execution's name gives the backup's id (see `backupIdOfExecution`). */
async function beginBackup(task: BeginBackupTask): Promise<BegunBackup> {
  const { input } = task;
  return beginBackupStep(deps, {
    backupId: backupIdOfExecution(task.executionName),
    dataSourceId: input.dataSourceId,
    trigger: input.trigger,
    executionArn: task.executionArn,
    ...(input.scheduleId !== undefined && { scheduleId: input.scheduleId }),
  });
}

export const handler = taskHandler(BeginBackupTaskSchema, beginBackup);
