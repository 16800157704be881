import { IgnoredTaskInputSchema, type DueVerifications } from '../../types/orchestration.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { taskHandler } from '../shared/task.ts';
import { listDueVerificationsStep } from './verifySteps.ts';

const deps = { table: tableFromEnv(), now: () => new Date() };

/** Sweeper: the backups of weekly-verified sources whose last verification is over a week old. */
async function listDueVerifications(): Promise<DueVerifications> {
  return listDueVerificationsStep(deps);
}

export const handler = taskHandler(IgnoredTaskInputSchema, listDueVerifications);
