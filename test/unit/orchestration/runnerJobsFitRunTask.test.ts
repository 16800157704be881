import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { beginBackupStep } from '../../../functions/orchestration/backupSteps.ts';
import { beginRestoreStep } from '../../../functions/orchestration/restoreSteps.ts';
import { prepareVerifyStep } from '../../../functions/orchestration/verifySteps.ts';
import type { BackupTarget } from '../../../functions/orchestration/runnerJobs.ts';
import { putBackupRecords } from '../../../functions/shared/repositories/backups.ts';
import { transactNamedItems } from '../../../functions/shared/repositories/transactions.ts';
import { putNewDataSource, type DataSourceRecord } from '../../../functions/shared/repositories/dataSources.ts';
import { newRestorePut } from '../../../functions/shared/repositories/restores.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import type { RunnerJob } from '../../../types/job.ts';
import { useTestTable } from '../../support/api.ts';
import { pemBundle } from '../../support/caBundles.ts';

/** RunTask: "A total of 8192 characters are allowed for overrides", JSON formatting included. */
const MAX_OVERRIDE_CHARACTERS = 8192;
const NOW = new Date('2026-03-01T12:00:00.000Z');
const CA_PEM = pemBundle(160_000);
const CA_SHA256 = createHash('sha256').update(CA_PEM).digest('hex');
const CA_KEY = `ca-bundles/${CA_SHA256}.pem`;
const TARGET: BackupTarget = {
  bucket: 'keepsake-backupsbucket1a2b3c4d-0123456789ab',
  region: 'eu-central-1',
  kmsKeyId: 'arn:aws:kms:eu-central-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
};
/** The longest names the schemas allow, where they reach the job: the job must fit with any source. */
const SOURCE_ID = 's'.repeat(64);
// 64 characters that URI-encode to 6 each in the object key.
const DATABASE = 'é'.repeat(64);
const EXECUTION_ARN = `arn:aws:states:eu-central-1:123456789012:execution:${'OrchestrationBackupMachine'.padEnd(80, 'X')}:${'e'.repeat(80)}`;

/** The container overrides the state machines send to RunTask for a job (see MachineKit.runnerStep). */
const overridesFor = (job: RunnerJob) => [
  {
    Name: 'runner',
    Environment: [
      { Name: 'KEEPSAKE_JOB', Value: JSON.stringify(job) },
      { Name: 'KEEPSAKE_EXECUTION_ARN', Value: EXECUTION_ARN },
    ],
  },
];
const overrideCharacters = (job: RunnerJob): number => JSON.stringify(overridesFor(job)).length;

const s3 = new S3Client({
  region: 'eu-central-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
});
const s3Mock = mockClient(s3);
let table: TableRef;
let deps: Parameters<typeof beginBackupStep>[0];

const source: DataSourceRecord = {
  id: SOURCE_ID,
  name: 'Production (RDS, verified TLS)',
  engine: 'mysql',
  host: `${'h'.repeat(63)}.${'cluster-c9akciq32'.padEnd(63, 'c')}.eu-central-1.rds.amazonaws.com`,
  port: 3306,
  database: DATABASE,
  username: 'u'.repeat(80),
  tls: { mode: 'verify-identity', caPem: CA_PEM },
  enabled: true,
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
  passwordSecretArn: `arn:aws:secretsmanager:eu-central-1:123456789012:secret:keepsake/data-source/${SOURCE_ID}-AbCdEf`,
};

/** The job names the bundle stored by the Lambda, never the PEM, and fits RunTask's overrides. */
function expectFitsWithBundle(job: RunnerJob | undefined): void {
  if (!job || job.mode === 'verify') throw new Error(`expected a job with a connection, got ${job?.mode}`);
  expect(job.connection.tls).toEqual({ mode: 'verify-identity', caBundle: { key: CA_KEY, sha256: CA_SHA256 } });
  expect(JSON.stringify(job)).not.toContain('BEGIN CERTIFICATE');
  expect(overrideCharacters(job)).toBeLessThanOrEqual(MAX_OVERRIDE_CHARACTERS);
}

function expectBundleStored(): void {
  expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, {
    Bucket: TARGET.bucket,
    Key: CA_KEY,
    IfNoneMatch: '*',
    ServerSideEncryption: 'aws:kms',
    SSEKMSKeyId: TARGET.kmsKeyId,
  });
  const put = s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input;
  expect(Buffer.from(put?.Body as Uint8Array).toString('utf8')).toBe(CA_PEM);
}

const s3Error = (name: string, httpStatusCode: number) =>
  new S3ServiceException({ name, $fault: 'client', message: name, $metadata: { httpStatusCode } });

beforeAll(async () => {
  table = await useTestTable();
  deps = { table, now: () => NOW, target: TARGET, s3 };
  await putNewDataSource(table, source);
  await putBackupRecords(table, [
    {
      id: 'bk-done',
      sourceId: SOURCE_ID,
      database: DATABASE,
      status: 'succeeded',
      trigger: 'schedule',
      createdAt: NOW.toISOString(),
      s3Key: `${SOURCE_ID}/x.sql.gz`,
      sha256: 'ab'.repeat(32),
      tables: 3,
    },
  ]);
});
beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
});
afterAll(() => {
  s3Mock.restore();
});

describe('runner jobs of a source with a 160 KB CA bundle', () => {
  it('"Begin backup" stores the bundle in the bucket and the job names it, fitting the overrides', async () => {
    const begun = await beginBackupStep(deps, { backupId: 'bk-run', dataSourceId: SOURCE_ID, trigger: 'schedule' });
    expectFitsWithBundle(begun.job);
    expectBundleStored();
    // The same job with the PEM inline, as it was sent before: RunTask refuses it.
    expect(
      overrideCharacters({ ...begun.job, connection: { ...begun.job.connection, tls: source.tls } }),
    ).toBeGreaterThan(MAX_OVERRIDE_CHARACTERS);
  });

  it('"Begin restore" names the bundle in both the safety backup and the restore job', async () => {
    await transactNamedItems(table, {
      restore: newRestorePut(table, {
        id: 'rs-1',
        backupId: 'bk-done',
        sourceId: SOURCE_ID,
        targetSourceId: SOURCE_ID,
        targetDatabase: DATABASE,
        status: 'queued',
        requestedBy: 'admin',
        createdAt: NOW.toISOString(),
      }),
    });
    const begun = await beginRestoreStep(deps, 'rs-1');
    expectFitsWithBundle(begun.safetyJob);
    expectFitsWithBundle(begun.restoreJob);
    expectBundleStored();
  });

  it('"Prepare verify" names the bundle in the test restore job', async () => {
    const prepared = await prepareVerifyStep(deps, { backupId: 'bk-done', testRestore: true });
    expect(overrideCharacters(prepared.job)).toBeLessThanOrEqual(MAX_OVERRIDE_CHARACTERS);
    expectFitsWithBundle(prepared.testRestoreJob);
    expectBundleStored();
  });

  it('takes a bundle already stored (S3 refuses the create-only write with 412) as stored, as a retried step meets it', async () => {
    s3Mock.on(PutObjectCommand).rejects(s3Error('PreconditionFailed', 412));
    const begun = await beginBackupStep(deps, { backupId: 'bk-run', dataSourceId: SOURCE_ID, trigger: 'schedule' });
    expectFitsWithBundle(begun.job);
  });

  it('fails the step when the bundle cannot be stored', async () => {
    s3Mock.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403));
    await expect(prepareVerifyStep(deps, { backupId: 'bk-done', testRestore: true })).rejects.toMatchObject({
      name: 'AccessDenied',
    });
  });
});
