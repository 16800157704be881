import type { Backup } from '../../types/backup.ts';
import { FinalizeBackupTaskSchema, type FinalizeBackupTask } from '../../types/orchestration.ts';
import { s3Client } from '../shared/clients.ts';
import { requireEnv } from '../shared/env.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { taskHandler } from '../shared/task.ts';
import { finalizeBackupStep } from './backupSteps.ts';

const deps = { table: tableFromEnv(), now: () => new Date(), s3: s3Client, bucket: requireEnv('BACKUP_BUCKET_NAME') };

/** Backup machine, after the runner exited 0: the object's tags become the succeeded record. */
async function finalizeBackup(task: FinalizeBackupTask): Promise<Backup> {
  return finalizeBackupStep(deps, task);
}

export const handler = taskHandler(FinalizeBackupTaskSchema, finalizeBackup);
