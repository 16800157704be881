import { ApplyRetentionTaskSchema, type ApplyRetentionResult, type ApplyRetentionTask } from '../../types/retention.ts';
import { defaultRetentionFromEnv } from '../retention/env.ts';
import * as service from '../retention/retentionService.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { taskHandler } from '../shared/task.ts';

const deps = { table: tableFromEnv(), now: () => new Date(), defaultRetention: defaultRetentionFromEnv() };

/** Backup machine after a success, and the sweeper per source: the source's backups beyond its GFS policy go to the trash. */
async function applyRetention({ sourceId }: ApplyRetentionTask): Promise<ApplyRetentionResult> {
  return service.applyRetention(deps, sourceId);
}

export const handler = taskHandler(ApplyRetentionTaskSchema, applyRetention);
