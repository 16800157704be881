import {
  GetObjectTaggingCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { finalizeBackupStep } from '../../../functions/orchestration/backupSteps.ts';
import { BackupObjectMissing } from '../../../functions/orchestration/runnerJobs.ts';
import {
  getBackupRecord,
  getRunningLock,
  putBackupRecords,
  runningLockPut,
  type BackupRecord,
} from '../../../functions/shared/repositories/backups.ts';
import { transactNamedItems } from '../../../functions/shared/repositories/transactions.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import { RESULT_TAGS, SERVER_VERSION_METADATA } from '../../../types/job.ts';
import { useTestTable } from '../../support/api.ts';

const BUCKET = 'keepsake-backups-test';
const NOW = new Date('2026-03-01T12:05:00.000Z');
const SHA256 = '3f'.repeat(32);

/** S3 stubbed (this client only); the record lives in DynamoDB Local, so the transaction is the real one. */
const s3 = new S3Client({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
});
const s3Mock = mockClient(s3);
let table: TableRef;
let deps: Parameters<typeof finalizeBackupStep>[0];

let sequence = 0;
/** A running backup holding its source's lock, as "Begin backup" leaves it; each test gets its own. */
async function runningBackup(): Promise<BackupRecord> {
  sequence += 1;
  const id = `bk-${sequence}`;
  const sourceId = `src-${sequence}`;
  const record: BackupRecord = {
    id,
    sourceId,
    database: 'shop',
    status: 'running',
    trigger: 'schedule',
    createdAt: '2026-03-01T12:00:00.000Z',
    startedAt: '2026-03-01T12:00:00.000Z',
  };
  await putBackupRecords(table, [record]);
  await transactNamedItems(table, {
    lock: runningLockPut(table, { sourceId, backupId: id, since: record.createdAt, database: record.database }),
  });
  return record;
}
const keyOf = (record: BackupRecord) => `${record.sourceId}/shop/2026-03-01_12-00-00.sql.gz`;

const tagSet = (tags: Record<string, string>) => ({
  TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
});
const goodTags = {
  [RESULT_TAGS.sha256]: SHA256,
  [RESULT_TAGS.uncompressedBytes]: '5678',
  [RESULT_TAGS.tables]: '3',
  [RESULT_TAGS.durationMs]: '4200',
};

/** The error S3 answers with, as the SDK throws it. */
const s3Error = <E extends S3ServiceException>(Type: new (options: never) => E, message: string): E =>
  new Type({ message, $metadata: { httpStatusCode: 404 } } as never);

beforeAll(async () => {
  table = await useTestTable();
  deps = { table, now: () => NOW, s3, bucket: BUCKET };
});
beforeEach(() => {
  s3Mock.reset();
});
afterAll(() => {
  s3Mock.restore();
});

describe('finalizeBackupStep', () => {
  it('records the backup as succeeded with the facts of the object: size from S3, checksum, sizes and duration from its tags, server version from its metadata', async () => {
    const record = await runningBackup();
    s3Mock
      .on(HeadObjectCommand)
      .resolves({ ContentLength: 1234, Metadata: { [SERVER_VERSION_METADATA]: '10.11.6-MariaDB-0+deb12u1' } });
    s3Mock.on(GetObjectTaggingCommand).resolves(tagSet({ ...goodTags, 'other-tag': 'ignored' }));

    const backup = await finalizeBackupStep(deps, { backupId: record.id, key: keyOf(record) });

    const expected = {
      id: record.id,
      status: 'succeeded',
      s3Key: keyOf(record),
      compressedBytes: 1234,
      uncompressedBytes: 5678,
      sha256: SHA256,
      tables: 3,
      durationMs: 4200,
      serverVersion: '10.11.6-MariaDB-0+deb12u1',
      finishedAt: NOW.toISOString(),
    };
    expect(backup).toMatchObject(expected);
    expect(await getBackupRecord(table, record.id)).toMatchObject(expected);
    expect(await getRunningLock(table, record.sourceId)).toBeUndefined();
    expect(s3Mock).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: BUCKET, Key: keyOf(record) });
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectTaggingCommand, { Bucket: BUCKET, Key: keyOf(record) });
  });

  it('records no server version when the object has no such metadata', async () => {
    const record = await runningBackup();
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 10 });
    s3Mock.on(GetObjectTaggingCommand).resolves(tagSet(goodTags));
    const backup = await finalizeBackupStep(deps, { backupId: record.id, key: keyOf(record) });
    expect(backup.status).toBe('succeeded');
    expect(backup.serverVersion).toBeUndefined();
    expect((await getBackupRecord(table, record.id))?.serverVersion).toBeUndefined();
  });

  it('returns the same record when retried after it succeeded', async () => {
    const record = await runningBackup();
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 99 });
    s3Mock.on(GetObjectTaggingCommand).resolves(tagSet(goodTags));
    const first = await finalizeBackupStep(deps, { backupId: record.id, key: keyOf(record) });
    const again = await finalizeBackupStep(
      { ...deps, now: () => new Date(NOW.getTime() + 60_000) },
      { backupId: record.id, key: keyOf(record) },
    );
    expect(again).toEqual(first);
  });

  it.each([
    [
      'HeadObject answers NotFound',
      () =>
        s3Mock
          .on(HeadObjectCommand)
          .rejects(s3Error(NotFound, 'NotFound'))
          .on(GetObjectTaggingCommand)
          .resolves(tagSet(goodTags)),
    ],
    [
      'GetObjectTagging answers NoSuchKey',
      () =>
        s3Mock
          .on(HeadObjectCommand)
          .resolves({ ContentLength: 10 })
          .on(GetObjectTaggingCommand)
          .rejects(s3Error(NoSuchKey, 'The specified key does not exist.')),
    ],
  ])('refuses a missing object (%s) with BackupObjectMissing and leaves the record running', async (_case, stub) => {
    const record = await runningBackup();
    stub();
    const failure = finalizeBackupStep(deps, { backupId: record.id, key: keyOf(record) });
    await expect(failure).rejects.toBeInstanceOf(BackupObjectMissing);
    await expect(failure).rejects.toMatchObject({
      name: 'BackupObjectMissing',
      message: `the runner reported success but s3://${BUCKET}/${keyOf(record)} does not exist`,
    });
    expect(await getBackupRecord(table, record.id)).toEqual(record);
  });

  it.each([
    ['without its table count', RESULT_TAGS.tables, (({ [RESULT_TAGS.tables]: _gone, ...rest }) => rest)(goodTags)],
    [
      'with a size that is no whole number',
      RESULT_TAGS.uncompressedBytes,
      { ...goodTags, [RESULT_TAGS.uncompressedBytes]: '12.5' },
    ],
  ])('refuses a checksummed object %s instead of recording zeros', async (_case, tag, tags) => {
    const record = await runningBackup();
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 1234 });
    s3Mock.on(GetObjectTaggingCommand).resolves(tagSet(tags));
    await expect(finalizeBackupStep(deps, { backupId: record.id, key: keyOf(record) })).rejects.toMatchObject({
      name: 'BackupObjectMissing',
      message: `s3://${BUCKET}/${keyOf(record)} carries no whole-number ${tag} tag: its tags are not the runner's, so it is not recorded as a backup`,
    });
    expect(await getBackupRecord(table, record.id)).toEqual(record);
  });

  it.each([
    ['no tags at all', {}],
    ['the other tags but no checksum', { [RESULT_TAGS.uncompressedBytes]: '5678', [RESULT_TAGS.tables]: '3' }],
    ['a checksum that is no SHA-256', { ...goodTags, [RESULT_TAGS.sha256]: SHA256.toUpperCase() }],
  ])('refuses an object with %s: it cannot be verified, so it is no backup', async (_case, tags) => {
    const record = await runningBackup();
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 1234 });
    s3Mock.on(GetObjectTaggingCommand).resolves(tagSet(tags));
    await expect(finalizeBackupStep(deps, { backupId: record.id, key: keyOf(record) })).rejects.toMatchObject({
      name: 'BackupObjectMissing',
      message: `s3://${BUCKET}/${keyOf(record)} carries no SHA-256 tag: it cannot be verified, so it is not recorded as a backup`,
    });
    expect(await getBackupRecord(table, record.id)).toEqual(record);
  });

  it('passes any other S3 error on as it is (the failure step records it)', async () => {
    const record = await runningBackup();
    const denied = new S3ServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      message: 'Access Denied',
      $metadata: { httpStatusCode: 403 },
    });
    s3Mock.on(HeadObjectCommand).rejects(denied);
    s3Mock.on(GetObjectTaggingCommand).resolves(tagSet(goodTags));
    await expect(finalizeBackupStep(deps, { backupId: record.id, key: keyOf(record) })).rejects.toBe(denied);
    expect(await getBackupRecord(table, record.id)).toEqual(record);
  });
});
