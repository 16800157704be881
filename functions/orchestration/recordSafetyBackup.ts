import { SafetyBackupTaskSchema, type RecordedSafetyBackup, type SafetyBackupTask } from '../../types/orchestration.ts';
import { s3Client } from '../shared/clients.ts';
import { requireEnv } from '../shared/env.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { taskHandler } from '../shared/task.ts';
import { recordSafetyBackupStep } from './restoreSteps.ts';

const deps = { table: tableFromEnv(), now: () => new Date(), s3: s3Client, bucket: requireEnv('BACKUP_BUCKET_NAME') };

/**
 * Restore machine, after the safety backup: its backup record (created and recorded succeeded) or why there is none,
 * and the restore (and automatic rollback) jobs that follow.
 */
async function recordSafetyBackup(task: SafetyBackupTask): Promise<RecordedSafetyBackup> {
  return recordSafetyBackupStep(deps, task);
}

export const handler = taskHandler(SafetyBackupTaskSchema, recordSafetyBackup);
