import {
  RecordVerificationTaskSchema,
  type RecordVerificationTask,
  type RecordedVerification,
} from '../../types/orchestration.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { taskHandler } from '../shared/task.ts';
import { runnerLogsFromEnv } from './runnerLogs.ts';
import { recordVerificationStep } from './verifySteps.ts';

const deps = { table: tableFromEnv(), logs: runnerLogsFromEnv(), now: () => new Date() };

/** Verify machine, last step and Catch: the backup's verification is recorded, verified or failed. */
async function recordVerification(task: RecordVerificationTask): Promise<RecordedVerification> {
  return recordVerificationStep(deps, task);
}

export const handler = taskHandler(RecordVerificationTaskSchema, recordVerification);
