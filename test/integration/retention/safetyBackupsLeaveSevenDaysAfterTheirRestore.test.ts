import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyRetention, type RetentionDeps } from '../../../functions/retention/retentionService.ts';
import {
  getBackupRecord,
  putBackupRecords,
  type BackupRecord,
} from '../../../functions/shared/repositories/backups.ts';
import { transactNamedItems } from '../../../functions/shared/repositories/transactions.ts';
import { newRestorePut } from '../../../functions/shared/repositories/restores.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import type { Restore } from '../../../types/restore.ts';
import { useTestTable } from '../../support/api.ts';
import { services, testS3Client } from '../../support/services.ts';

// The daily sweep's retention step (applyRetention) over DynamoDB Local and s3rver.
const SOURCE = 'safety-src';
const ENDED = '2026-05-01T10:00:00.000Z';
const SHA = 'a'.repeat(64);
let table: TableRef;
let bucket: string;

const backup = (id: string, createdAt: string, extra: Partial<BackupRecord>): BackupRecord => ({
  id,
  sourceId: SOURCE,
  database: 'shop',
  status: 'succeeded',
  trigger: 'schedule',
  createdAt,
  startedAt: createdAt,
  finishedAt: createdAt,
  s3Key: `${SOURCE}/shop/${id}.sql.gz`,
  sha256: SHA,
  compressedBytes: 10,
  ...extra,
});
const restore = (id: string, extra: Partial<Restore>): Restore => ({
  id,
  backupId: 'nightly',
  sourceId: SOURCE,
  targetSourceId: SOURCE,
  targetDatabase: 'shop',
  requestedBy: 'test',
  createdAt: '2026-05-01T09:00:00.000Z',
  startedAt: '2026-05-01T09:00:00.000Z',
  status: 'succeeded',
  ...extra,
});
const sweepAt = (at: string) =>
  applyRetention(
    {
      table,
      s3: testS3Client(),
      bucket,
      now: () => new Date(at),
      defaultRetention: { daily: 1, weekly: 0, monthly: 0, keepLast: 0, includeManualBackups: false },
    } satisfies RetentionDeps,
    SOURCE,
  );

beforeAll(async () => {
  table = await useTestTable();
  ({ bucket } = services().s3);
  const records = [
    backup('nightly', '2026-05-01T02:00:00.000Z', {}),
    backup('safe-done', '2026-05-01T09:00:00.000Z', { trigger: 'safety', restoreId: 'r-done' }),
    backup('safe-running', '2026-05-01T09:30:00.000Z', { trigger: 'safety', restoreId: 'r-running' }),
  ];
  for (const r of records) await testS3Client().send(new PutObjectCommand({ Bucket: bucket, Key: r.s3Key, Body: 'x' }));
  await putBackupRecords(table, records);
  await transactNamedItems(table, {
    restores: [
      newRestorePut(table, restore('r-done', { finishedAt: ENDED, durationMs: 1000 })),
      newRestorePut(table, restore('r-running', { status: 'running' })),
    ],
  });
});

describe('a safety backup under the daily sweep', () => {
  it('is kept until 7 days after its restore ended, and the GFS set is unchanged by it', async () => {
    const result = await sweepAt('2026-05-08T09:59:59.999Z');
    expect(result).toMatchObject({ kept: 1, trashed: [] });
    expect((await getBackupRecord(table, 'safe-done'))?.trashedAt).toBeUndefined();
    expect((await getBackupRecord(table, 'nightly'))?.trashedAt).toBeUndefined();
  });

  it('is moved to the trash 7 days after its restore ended; one whose restore still runs stays', async () => {
    const result = await sweepAt('2026-05-08T10:00:00.000Z');
    expect(result).toMatchObject({ kept: 1, trashed: ['safe-done'] });
    expect(await getBackupRecord(table, 'safe-done')).toMatchObject({
      trashedAt: '2026-05-08T10:00:00.000Z',
      trashedBy: 'keepsake:retention',
      trashReason: 'safety backup 7 days after its restore ended',
    });
    expect((await getBackupRecord(table, 'safe-running'))?.trashedAt).toBeUndefined();
    expect((await getBackupRecord(table, 'nightly'))?.trashedAt).toBeUndefined();
  });
});
