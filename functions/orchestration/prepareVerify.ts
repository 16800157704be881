import {
  VerifyExecutionInputSchema,
  type PreparedVerify,
  type VerifyExecutionInput,
} from '../../types/orchestration.ts';
import { s3Client } from '../shared/clients.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { taskHandler } from '../shared/task.ts';
import { backupTargetFromEnv } from './runnerJobs.ts';
import { prepareVerifyStep } from './verifySteps.ts';

const deps = { table: tableFromEnv(), target: backupTargetFromEnv(), s3: s3Client };

/** Verify machine, first step: the runner's verify job for the backup (and its test restore when asked). */
async function prepareVerify(input: VerifyExecutionInput): Promise<PreparedVerify> {
  return prepareVerifyStep(deps, input);
}

export const handler = taskHandler(VerifyExecutionInputSchema, prepareVerify);
