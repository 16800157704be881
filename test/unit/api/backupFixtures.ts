import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { backupItem, type BackupRecord } from '../../../functions/shared/repositories/backups.ts';
import { dataSourceItem, type DataSourceRecord } from '../../../functions/shared/repositories/dataSources.ts';
import { keys } from '../../../functions/shared/keys.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';

export const TABLE = 'keepsake-unit';
export const NOW = new Date('2026-03-01T12:00:00.000Z');
export const PRINCIPAL = 'arn:aws:iam::123456789012:user/alice';
export const BACKUP_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:keepsake-backup';

/** Clients whose `send` is stubbed: every command is recorded and answered by the test. */
export const ddb = mockClient(DynamoDBDocumentClient);
export const sfnMock = mockClient(SFNClient);

export function resetMocks(): void {
  ddb.reset();
  sfnMock.reset();
}

export function restoreMocks(): void {
  ddb.restore();
  sfnMock.restore();
}

export const table: TableRef = {
  client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  tableName: TABLE,
};
export const sfn = new SFNClient({ region: 'eu-west-1' });
/** A real client: presigning is local computation, so no stub is needed to see the URL it makes. */
export const s3 = new S3Client({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
});

export const source: DataSourceRecord = {
  id: 'src-1',
  name: 'Shop',
  engine: 'mysql',
  host: 'db.internal',
  port: 3306,
  database: 'shop',
  username: 'backup',
  tls: { mode: 'required' },
  enabled: true,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  passwordSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:s',
};

export function backup(overrides: Partial<BackupRecord> = {}): BackupRecord {
  return {
    id: 'bk-1',
    sourceId: 'src-1',
    database: 'shop',
    status: 'queued',
    trigger: 'api',
    createdAt: '2026-03-01T11:59:00.000Z',
    ...overrides,
  };
}

export const succeeded = (overrides: Partial<BackupRecord> = {}) =>
  backup({
    status: 'succeeded',
    s3Key: 'src-1/shop/2026-03-01_11-59-00.sql.gz',
    compressedBytes: 10,
    uncompressedBytes: 40,
    sha256: 'e'.repeat(64),
    tables: 1,
    durationMs: 5,
    ...overrides,
  });

/** GetItem answers for the source, a backup and (absent unless given) the running lock and idempotency key. */
export function given(items: {
  source?: DataSourceRecord;
  backup?: BackupRecord;
  lockedBy?: string;
  idempotency?: Record<string, unknown>;
}): void {
  ddb.on(GetCommand).resolves({});
  if (items.source)
    ddb.on(GetCommand, { Key: keys.dataSource(items.source.id) }).resolves({ Item: dataSourceItem(items.source) });
  if (items.backup)
    ddb.on(GetCommand, { Key: keys.backup(items.backup.id) }).resolves({ Item: backupItem(items.backup) });
  if (items.lockedBy)
    ddb
      .on(GetCommand, { Key: keys.runningLock('src-1') })
      .resolves({ Item: { ...keys.runningLock('src-1'), backupId: items.lockedBy, since: NOW.toISOString() } });
  if (items.idempotency)
    ddb
      .on(GetCommand, { Key: { pk: `IDEMPOTENCY#${String(items.idempotency.key)}`, sk: 'IDEMPOTENCY' } })
      .resolves({ Item: items.idempotency });
  ddb.on(TransactWriteCommand).resolves({});
}

export const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });

/** The TransactItems of the n-th TransactWriteItems call. */
export function transaction(n = 0): Record<string, Record<string, unknown>>[] {
  return (ddb.commandCalls(TransactWriteCommand)[n]?.args[0].input.TransactItems ?? []) as Record<
    string,
    Record<string, unknown>
  >[];
}

/** The error a rejected promise carries (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { statusCode?: number }> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error('expected the promise to reject');
  return outcome;
}
