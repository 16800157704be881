import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  S3Client,
  S3ServiceException,
  type GetObjectCommandInput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runRestore } from '../../containers/backup/src/restore.ts';
import { runVerify } from '../../containers/backup/src/verify.ts';
import { finalizeBackupStep } from '../../functions/orchestration/backupSteps.ts';
import { prepareVerifyStep } from '../../functions/orchestration/verifySteps.ts';
import { getBackupRecord, putBackupRecords, type BackupRecord } from '../../functions/shared/repositories/backups.ts';
import type { TableRef } from '../../functions/shared/repositories/table.ts';
import { RESULT_TAGS, VerifyJobSchema } from '../../types/job.ts';
import { useTestTable } from '../support/api.ts';
import { hostileDump, removeMarker, traces } from '../support/hostileObjects.ts';
import { dropDatabases, restoreJob, rows, sha256 } from '../support/runner.ts';
import { jobEnv, services } from '../support/services.ts';
import { rootSql } from '../support/sql.ts';

const BUCKET = 'keepsake-backups-test';
const KEY = 'src-v/shop/2026-03-01_12-00-00.sql.gz';
const RECORDED = 'v-recorded.3HL4kqtJlcpXroDTDmJ';
const RECORDED_ETAG = '"9b2cf535f27731c974343645a3985328"';
const TARGET = 'sec_version_target';

/** The backup as written: a small dump whose table the restore must bring back. */
const good = gzipSync(
  'CREATE TABLE kept (id INT PRIMARY KEY);\nINSERT INTO kept VALUES (1), (2), (3);\n-- Dump completed on 2026-03-01 12:00:00\n',
);
/** The key's newest version: the same key written again, with the recorded version's tags copied onto it. */
const hostile = hostileDump('versioned');

/** Every S3Client in this file (the runner's and the Lambdas') talks to this stub of a versioned bucket. */
const s3Mock = mockClient(S3Client);

function versionedBucket(options: { recordedDeleted?: boolean } = {}): void {
  s3Mock.reset();
  s3Mock.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: RESULT_TAGS.sha256, Value: sha256(good) }] });
  s3Mock.on(GetObjectCommand).callsFake(async (input: GetObjectCommandInput) => {
    if (input.VersionId === undefined)
      return { Body: Readable.from([hostile.bytes]), VersionId: 'v-newest', ETag: '"newest"' };
    if (input.VersionId !== RECORDED || options.recordedDeleted) {
      throw new S3ServiceException({
        name: 'NoSuchVersion',
        $fault: 'client',
        message: 'The specified version does not exist.',
        $metadata: { httpStatusCode: 404 },
      });
    }
    return { Body: Readable.from([good]), VersionId: RECORDED, ETag: RECORDED_ETAG };
  });
}

const location = { bucket: BUCKET, region: 'us-east-1' };
const gets = (): GetObjectCommandInput[] => s3Mock.commandCalls(GetObjectCommand).map((call) => call.args[0].input);

afterAll(async () => {
  s3Mock.restore();
  await removeMarker(hostile);
});

describe('a backup is recorded with its S3 version, and jobs carry it', () => {
  let table: TableRef;
  beforeAll(async () => {
    table = await useTestTable();
  });

  it('records the version and ETag HeadObject reports, with the tags of that version', async () => {
    versionedBucket();
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: good.length, VersionId: RECORDED, ETag: RECORDED_ETAG });
    s3Mock.on(GetObjectTaggingCommand).resolves({
      TagSet: [
        { Key: RESULT_TAGS.sha256, Value: sha256(good) },
        { Key: RESULT_TAGS.uncompressedBytes, Value: '99' },
        { Key: RESULT_TAGS.tables, Value: '1' },
        { Key: RESULT_TAGS.durationMs, Value: '10' },
      ],
    });
    const record: BackupRecord = {
      id: 'bk-versioned',
      sourceId: 'src-v',
      database: 'shop',
      status: 'running',
      trigger: 'manual',
      createdAt: '2026-03-01T12:00:00.000Z',
      startedAt: '2026-03-01T12:00:00.000Z',
    };
    await putBackupRecords(table, [record]);

    const backup = await finalizeBackupStep(
      {
        table,
        now: () => new Date('2026-03-01T12:05:00.000Z'),
        s3: new S3Client({ region: 'us-east-1' }),
        bucket: BUCKET,
      },
      { backupId: record.id, key: KEY },
    );

    expect(backup).toMatchObject({
      status: 'succeeded',
      s3VersionId: RECORDED,
      s3ETag: RECORDED_ETAG,
      sha256: sha256(good),
    });
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectTaggingCommand, {
      Bucket: BUCKET,
      Key: KEY,
      VersionId: RECORDED,
    });
    const stored = await getBackupRecord(table, record.id);
    if (!stored) throw new Error('the record vanished');
    const { job } = await prepareVerifyStep(
      { table, target: location, s3: new S3Client({ region: 'us-east-1' }) },
      { backupId: record.id, testRestore: false },
    );
    expect(job).toEqual(
      VerifyJobSchema.parse({
        mode: 'verify',
        s3: location,
        key: KEY,
        expectedSha256: sha256(good),
        versionId: RECORDED,
        etag: RECORDED_ETAG,
      }),
    );
  });
});

describe('the runner reads the recorded version, never the key’s newest', () => {
  it('verifies the recorded version although the key now holds other bytes', async () => {
    versionedBucket();
    const verdict = await runVerify(
      VerifyJobSchema.parse({
        mode: 'verify',
        s3: location,
        key: KEY,
        expectedSha256: sha256(good),
        versionId: RECORDED,
        etag: RECORDED_ETAG,
      }),
    );
    expect(verdict).toMatchObject({ ok: true, status: 'ok', sha256: sha256(good) });
    expect(gets()).toEqual([expect.objectContaining({ Key: KEY, VersionId: RECORDED, IfMatch: RECORDED_ETAG })]);
  });

  describe.runIf(services().mariadb !== null)('restores', () => {
    afterEach(async () => {
      await dropDatabases(TARGET);
    });

    it('checks the recorded version whole, then applies that same version: the newest one never runs', async () => {
      versionedBucket();
      const result = await runRestore(
        restoreJob(TARGET, {
          s3: location,
          key: KEY,
          expectedSha256: sha256(good),
          versionId: RECORDED,
          etag: RECORDED_ETAG,
        }),
        { env: jobEnv() },
      ).catch((error: unknown) => error);

      expect(await traces(hostile)).toEqual({ markerCreated: false, tableCreated: false });
      expect(result).toMatchObject({ ok: true, sha256: sha256(good), compressedBytes: good.length });
      expect(rows(await rootSql(`SELECT GROUP_CONCAT(id ORDER BY id) FROM ${TARGET}.kept`))).toEqual([['1,2,3']]);
      // The verification read and the read that is applied: both of the recorded version, both held to its ETag.
      expect(gets()).toEqual([
        expect.objectContaining({ Key: KEY, VersionId: RECORDED, IfMatch: RECORDED_ETAG }),
        expect.objectContaining({ Key: KEY, VersionId: RECORDED, IfMatch: RECORDED_ETAG }),
      ]);
      expect(s3Mock).toHaveReceivedCommandWith(GetObjectTaggingCommand, { Key: KEY, VersionId: RECORDED });
    });

    it('refuses when the recorded version was deleted, without creating the target', async () => {
      versionedBucket({ recordedDeleted: true });
      const refused = runRestore(
        restoreJob(TARGET, { s3: location, key: KEY, expectedSha256: sha256(good), versionId: RECORDED }),
        { env: jobEnv() },
      );
      await refused.catch(() => undefined);
      expect(await traces(hostile)).toEqual({ markerCreated: false, tableCreated: false });
      expect(
        rows(await rootSql(`SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${TARGET}'`)),
      ).toEqual([['0']]);
      await expect(refused).rejects.toThrow(
        `s3://${BUCKET}/${KEY} has no version ${RECORDED} (the version recorded at backup time was deleted)`,
      );
    });
  });
});
