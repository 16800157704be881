import { FinalizeRestoreTaskSchema, type FinalizeRestoreTask } from '../../types/orchestration.ts';
import type { Restore } from '../../types/restore.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { taskHandler } from '../shared/task.ts';
import { finalizeRestoreStep } from './restoreSteps.ts';

const deps = { table: tableFromEnv(), now: () => new Date() };

/** Restore machine, last step: the restore succeeded. */
async function finalizeRestore(task: FinalizeRestoreTask): Promise<Restore> {
  return finalizeRestoreStep(deps, task);
}

export const handler = taskHandler(FinalizeRestoreTaskSchema, finalizeRestore);
