import { ApplyRetentionTaskSchema, type ApplyRetentionResult, type ApplyRetentionTask } from '../../types/retention.ts';
import { defaultRetentionFromEnv, manualBackupKeepDaysFromEnv } from '../retention/env.ts';
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
  defaultRetention: defaultRetentionFromEnv(),
  manualKeepDays: manualBackupKeepDaysFromEnv(),
};

/**
 * Backup machine after a success, and the sweeper per source: the source's backups beyond its GFS policy, and its
 * manual and API backups past MANUAL_BACKUP_KEEP_DAYS, go to the trash, each with its reason; kept backups found
 * without their object are marked, and the machine publishes the returned notification.
 */
async function applyRetention({ sourceId }: ApplyRetentionTask): Promise<ApplyRetentionResult> {
  return service.applyRetention(deps, sourceId);
}

export const handler = taskHandler(ApplyRetentionTaskSchema, applyRetention);
