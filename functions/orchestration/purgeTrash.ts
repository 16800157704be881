import { PurgeTrashTaskSchema, type PurgeTrashResult, type PurgeTrashTask } from '../../types/retention.ts';
import { trashGraceDaysFromEnv } from '../retention/env.ts';
import * as service from '../retention/retentionService.ts';
import { s3Client } from '../shared/clients.ts';
import { requireEnv } from '../shared/env.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { taskHandler } from '../shared/task.ts';

const deps = {
  table: tableFromEnv(),
  s3: s3Client,
  bucket: requireEnv('BACKUP_BUCKET_NAME'),
  now: () => new Date(),
  graceDays: trashGraceDaysFromEnv(),
};

/** Sweeper, last step, looped while `more`: one batch of trash older than the grace period is deleted with its objects. */
async function purgeTrash(task: PurgeTrashTask): Promise<PurgeTrashResult> {
  return service.purgeTrash(deps, task.cursor !== undefined ? { cursor: task.cursor } : {});
}

export const handler = taskHandler(PurgeTrashTaskSchema, purgeTrash);
