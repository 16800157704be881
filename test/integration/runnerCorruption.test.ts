import { GetObjectTaggingCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupResult } from '../../types/job.ts';
import { runBackup } from '../../containers/backup/src/backup.ts';
import { runRestore } from '../../containers/backup/src/restore.ts';
import { runVerify } from '../../containers/backup/src/verify.ts';
import {
  backupJob,
  baseTables,
  bucket,
  databaseExists,
  dropDatabases,
  expectRunnerError,
  getObjectBytes,
  ident,
  putObjectBytes,
  recreateDatabase,
  restoreJob,
  rows,
  sha256,
  verifyJob,
} from '../support/runner.ts';
import { jobEnv, testS3Client } from '../support/services.ts';
import { rootSql } from '../support/sql.ts';

const SOURCE = 'corruption_src';
const TARGETS = {
  flipped: 'corruption_flipped',
  flippedVerified: 'corruption_flipped_verified',
  wrongSha: 'corruption_wrong_sha',
  badLine: 'corruption_bad_line',
  noTrailer: 'corruption_no_trailer',
  intact: 'corruption_intact',
};
const ROWS = 5000;

/** Backs up SOURCE under its own key (each test gets a separate object to damage). */
function backupUnder(name: string): Promise<BackupResult> {
  return runBackup(backupJob(SOURCE, { sourceId: 'corruption', key: `corruption/${name}.sql.gz` }), { env: jobEnv() });
}

/**
 * Flips every bit of the byte in the middle of the stored object and writes it back under the same key. On S3 a
 * PutObject drops the object's tags; s3rver keeps them (even across a delete), so they are cleared explicitly.
 */
async function flipMiddleByte(key: string): Promise<Buffer> {
  const bytes = await getObjectBytes(key);
  const damaged = Buffer.from(bytes);
  const middle = Math.floor(damaged.length / 2);
  damaged[middle] = damaged[middle]! ^ 0xff;
  await putObjectBytes(key, damaged);
  await testS3Client().send(new PutObjectTaggingCommand({ Bucket: bucket(), Key: key, Tagging: { TagSet: [] } }));
  expect(sha256(await getObjectBytes(key))).toBe(sha256(damaged));
  expect(sha256(damaged)).not.toBe(sha256(bytes));
  const tags = await testS3Client().send(new GetObjectTaggingCommand({ Bucket: bucket(), Key: key }));
  expect(tags.TagSet ?? []).toEqual([]);
  return damaged;
}

async function retag(key: string, sha: string): Promise<void> {
  await testS3Client().send(
    new PutObjectTaggingCommand({
      Bucket: bucket(),
      Key: key,
      Tagging: { TagSet: [{ Key: 'keepsake-sha256', Value: sha }] },
    }),
  );
}

async function expectUntouched(database: string): Promise<void> {
  expect(await databaseExists(database), `${database} was not created`).toBe(false);
}

describe('a damaged or mismatched backup is never restored as if it were sound', () => {
  beforeAll(async () => {
    await dropDatabases(...Object.values(TARGETS));
    await recreateDatabase(SOURCE);
    await rootSql(
      `CREATE TABLE items (id INT PRIMARY KEY, digest CHAR(128) NOT NULL, note VARCHAR(40) NULL);
       INSERT INTO items SELECT seq, SHA2(seq, 512), IF(seq % 3 = 0, NULL, CONCAT('row ', seq)) FROM seq_1_to_${ROWS};`,
      SOURCE,
    );
  });

  afterAll(async () => {
    await dropDatabases(SOURCE, ...Object.values(TARGETS));
  });

  it('verify passes an intact object and restore brings it back (the control)', async () => {
    const backup = await backupUnder('intact');
    const verdict = await runVerify(verifyJob(backup.key, backup.sha256));
    expect(verdict).toMatchObject({
      ok: true,
      status: 'ok',
      sha256: backup.sha256,
      compressedBytes: backup.compressedBytes,
    });
    expect(verdict.reason).toBeUndefined();
    await runRestore(restoreJob(TARGETS.intact, { key: backup.key, expectedSha256: backup.sha256 }), { env: jobEnv() });
    expect(rows(await rootSql(`SELECT COUNT(*) FROM ${ident(TARGETS.intact)}.items`))).toEqual([[String(ROWS)]]);
  });

  it('verify reports one flipped byte as corrupt, with the reason', async () => {
    const backup = await backupUnder('flipped-verify');
    await flipMiddleByte(backup.key);
    const verdict = await runVerify(verifyJob(backup.key, backup.sha256));
    expect(verdict.ok).toBe(false);
    expect(verdict.status).toBe('corrupt');
    expect(verdict.reason).toMatch(/SHA-256 mismatch|gzip data is damaged/);
    expect(verdict.sha256).not.toBe(backup.sha256);
  });

  it('restore refuses a rewritten object with a flipped byte before creating the target', async () => {
    const backup = await backupUnder('flipped-restore');
    await flipMiddleByte(backup.key);
    const error = await expectRunnerError(
      runRestore(restoreJob(TARGETS.flipped, { key: backup.key, expectedSha256: backup.sha256 }), { env: jobEnv() }),
    );
    expect(error.message).toMatch(
      new RegExp(`^refusing to restore s3://${bucket()}/${backup.key}: .*(SHA-256 mismatch|gzip data is damaged)`),
    );
    await expectUntouched(TARGETS.flipped);
  });

  it('restore refuses a damaged object whose checksum tag still matches, before creating the target', async () => {
    const backup = await backupUnder('flipped-tagged');
    await flipMiddleByte(backup.key);
    // Damage below the API (bit rot) would leave the tag in place.
    await retag(backup.key, backup.sha256);
    const job = restoreJob(TARGETS.flippedVerified, { key: backup.key, expectedSha256: backup.sha256 });
    const error = await expectRunnerError(runRestore(job, { env: jobEnv() }));
    expect(error.message).toMatch(/^refusing to restore .*(SHA-256 mismatch|gzip data is damaged)/);
    await expectUntouched(TARGETS.flippedVerified);
  });

  it('restore refuses when the expected checksum differs from the object’s tag, without touching the target', async () => {
    const backup = await backupUnder('wrong-sha');
    const other = sha256(Buffer.from('some other backup'));
    const error = await expectRunnerError(
      runRestore(restoreJob(TARGETS.wrongSha, { key: backup.key, expectedSha256: other }), { env: jobEnv() }),
    );
    expect(error.message).toBe(
      `refusing to restore: the object's checksum ${backup.sha256} differs from the recorded ${other}`,
    );
    await expectUntouched(TARGETS.wrongSha);
  });

  it('a restore that fails midway names the failing line', async () => {
    const sql = [
      '-- hand-made dump with a syntax error on line 7',
      'CREATE TABLE first_half (id INT PRIMARY KEY);',
      'INSERT INTO first_half VALUES (1), (2), (3);',
      '',
      'CREATE TABLE second_half (id INT PRIMARY KEY);',
      'INSERT INTO second_half VALUES (1);',
      'INSERT INTO second_half VALUES (2) THIS IS NOT SQL;',
      'INSERT INTO second_half VALUES (3);',
      '-- Dump completed on 2030-01-01  0:00:00',
      '',
    ].join('\n');
    const object = gzipSync(sql);
    const key = 'corruption/bad-line.sql.gz';
    await putObjectBytes(key, object);
    const error = await expectRunnerError(
      runRestore(restoreJob(TARGETS.badLine, { key, expectedSha256: sha256(object) }), { env: jobEnv() }),
    );
    expect(error.message).toMatch(
      /^restore into "corruption_bad_line" failed: mysql exited with code 1: .*ERROR 1064 \(42000\) at line 7: .*near 'THIS IS NOT SQL'/,
    );
    // It really failed midway: everything before line 7 ran, nothing after it.
    expect(await baseTables(TARGETS.badLine)).toEqual(['first_half', 'second_half']);
    expect(
      rows(await rootSql(`SELECT GROUP_CONCAT(id ORDER BY id) FROM ${ident(TARGETS.badLine)}.second_half`)),
    ).toEqual([['1']]);
  });

  it('restore refuses an object whose dump lacks the completion trailer', async () => {
    const object = gzipSync('CREATE TABLE t (id INT);\nINSERT INTO t VALUES (1);\n');
    const key = 'corruption/no-trailer.sql.gz';
    await putObjectBytes(key, object);
    const error = await expectRunnerError(
      runRestore(restoreJob(TARGETS.noTrailer, { key, expectedSha256: sha256(object) }), { env: jobEnv() }),
    );
    expect(error.message).toMatch(/^refusing to restore .*without its "-- Dump completed" trailer/);
    await expectUntouched(TARGETS.noTrailer);
  });
});
