import { SFNClient } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { randomUUID } from 'node:crypto';
import { putNewDataSource, type DataSourceRecord } from '../../../functions/shared/repositories/dataSources.ts';
import type { BackupRecord } from '../../../functions/shared/repositories/backups.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import { useTestTable } from '../../support/api.ts';
import { services } from '../../support/services.ts';

export type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export const BACKUP_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:keepsake-backup';
export const VERIFY_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:keepsake-verify';
export const RESTORE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:keepsake-restore';

export interface BackupApi {
  readonly table: TableRef;
  /** Step Functions, stubbed in this process: every StartExecution/StopExecution is recorded and answered by the test. */
  readonly sfn: AwsClientStub<SFNClient>;
  readonly bucket: string;
  readonly trigger: Handler;
  readonly list: Handler;
  readonly listOfSource: Handler;
  readonly get: Handler;
  readonly downloadUrl: Handler;
  readonly cancel: Handler;
  readonly trash: Handler;
  readonly untrash: Handler;
  readonly remove: Handler;
  readonly listTrash: Handler;
  readonly verify: Handler;
  readonly createRestore: Handler;
  readonly rollbackRestore: Handler;
  readonly listRestores: Handler;
  readonly getRestore: Handler;
  readonly stats: Handler;
  readonly audit: Handler;
}

/**
 * The real backup, restore and stats handlers over a fresh DynamoDB Local table and the shared s3rver, with
 * Step Functions stubbed. The environment is set before the handlers are imported: they read it at load.
 */
export async function startBackupApi(): Promise<BackupApi> {
  const table = await useTestTable();
  const { endpoint, bucket } = services().s3;
  process.env.KEEPSAKE_S3_ENDPOINT = endpoint;
  process.env.BACKUP_BUCKET_NAME = bucket;
  process.env.BACKUP_STATE_MACHINE_ARN = BACKUP_MACHINE;
  process.env.VERIFY_STATE_MACHINE_ARN = VERIFY_MACHINE;
  process.env.RESTORE_STATE_MACHINE_ARN = RESTORE_MACHINE;
  const sfn = mockClient(SFNClient);
  return {
    table,
    sfn,
    bucket,
    trigger: (await import('../../../functions/backups/triggerBackup.ts')).handler,
    list: (await import('../../../functions/backups/listBackups.ts')).handler,
    listOfSource: (await import('../../../functions/backups/listSourceBackups.ts')).handler,
    get: (await import('../../../functions/backups/getBackup.ts')).handler,
    downloadUrl: (await import('../../../functions/backups/getDownloadUrl.ts')).handler,
    cancel: (await import('../../../functions/backups/cancelBackup.ts')).handler,
    trash: (await import('../../../functions/backups/trashBackup.ts')).handler,
    untrash: (await import('../../../functions/backups/untrashBackup.ts')).handler,
    remove: (await import('../../../functions/backups/deleteBackup.ts')).handler,
    listTrash: (await import('../../../functions/backups/listTrash.ts')).handler,
    verify: (await import('../../../functions/backups/verifyBackup.ts')).handler,
    createRestore: (await import('../../../functions/restores/createRestore.ts')).handler,
    rollbackRestore: (await import('../../../functions/restores/rollbackRestore.ts')).handler,
    listRestores: (await import('../../../functions/restores/listRestores.ts')).handler,
    getRestore: (await import('../../../functions/restores/getRestore.ts')).handler,
    stats: (await import('../../../functions/stats/getStats.ts')).handler,
    audit: (await import('../../../functions/audit/listAudit.ts')).handler,
  };
}

/** Puts a data source straight into the table (its routes are tested elsewhere). */
export async function seedSource(
  table: TableRef,
  id: string,
  options: { enabled?: boolean; database?: string; name?: string } = {},
): Promise<DataSourceRecord> {
  const record: DataSourceRecord = {
    id,
    name: options.name ?? `Source ${id}`,
    engine: 'mariadb',
    host: 'db.internal',
    port: 3306,
    database: options.database ?? 'shop',
    username: 'backup',
    tls: { mode: 'preferred' },
    enabled: options.enabled ?? true,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    passwordSecretArn: `local:${id}`,
  };
  await putNewDataSource(table, record);
  return record;
}

/** A backup record; a succeeded one carries the runner's result. */
export function backupRecord(overrides: Partial<BackupRecord> & Pick<BackupRecord, 'sourceId'>): BackupRecord {
  const status = overrides.status ?? 'succeeded';
  const createdAt = overrides.createdAt ?? new Date().toISOString();
  const base: BackupRecord = {
    id: randomUUID(),
    database: 'shop',
    status,
    trigger: 'schedule',
    createdAt,
    ...overrides,
  };
  if (status !== 'succeeded') return base;
  return {
    s3Key: `${base.sourceId}/shop/${createdAt.slice(0, 19).replace('T', '_').replaceAll(':', '-')}.sql.gz`,
    compressedBytes: 1000,
    uncompressedBytes: 4000,
    sha256: 'a'.repeat(64),
    tables: 3,
    startedAt: createdAt,
    finishedAt: createdAt,
    durationMs: 1000,
    ...base,
  };
}

export const BACKUPS = '/v1/backups';
export const BACKUP = '/v1/backups/{id}';
export const SOURCE_BACKUPS = '/v1/data-sources/{id}/backups';
