import { StoppedExecutionEventSchema, type StoppedExecutionEvent } from '../../types/orchestration.ts';
import { requireEnv } from '../shared/env.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { taskHandler } from '../shared/task.ts';
import { recordStoppedExecutionStep } from './stoppedExecutions.ts';

const deps = {
  table: tableFromEnv(),
  now: () => new Date(),
  backupStateMachineArn: requireEnv('BACKUP_STATE_MACHINE_ARN'),
  restoreStateMachineArn: requireEnv('RESTORE_STATE_MACHINE_ARN'),
};

/** EventBridge rule target: a Backup or Restore execution stopped, timed out or failed without recording it. */
async function recordStoppedExecution(event: StoppedExecutionEvent): Promise<{ recorded: boolean }> {
  return recordStoppedExecutionStep(deps, event);
}

export const handler = taskHandler(StoppedExecutionEventSchema, recordStoppedExecution);
