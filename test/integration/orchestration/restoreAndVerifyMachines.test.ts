import { GetObjectCommand, PutObjectCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getBackupRecord,
  listBackups,
  putBackupRecords,
  type BackupRecord,
} from '../../../functions/shared/repositories/backups.ts';
import { transactNamedItems } from '../../../functions/shared/repositories/transactions.ts';
import { putNewSchedule } from '../../../functions/shared/repositories/schedules.ts';
import { readDayCounters, readSourceStats } from '../../../functions/shared/repositories/stats.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import { RESULT_TAGS } from '../../../types/job.ts';
import type { Restore } from '../../../types/restore.ts';
import type { VerifyPolicy } from '../../../types/schedule.ts';
import {
  runQueuedRestore,
  startLocalMachines,
  type LocalMachines,
  type MachineOutcome,
} from '../../support/localMachines.ts';
import { bucket, sha256 } from '../../support/runner.ts';
import { mariadb, services, testS3Client } from '../../support/services.ts';
import { rootSql } from '../../support/sql.ts';

const DATABASE = `rv_${process.pid}`;

/** An execution that must succeed; the failure's name and cause are the assertion's message. */
function expectSucceeded(outcome: MachineOutcome): void {
  expect(outcome, outcome.ok ? '' : `${outcome.error.name}: ${outcome.error.message}`).toMatchObject({ ok: true });
}
const COPY = `${DATABASE}_copy`;

/**
 * The Restore and Verify machines as synthesized, run locally with the real handlers and the real runner: a
 * restore round-trips into a new database and over an existing one (after a safety backup, recorded as a backup that
 * undoes it when restored), a failed restore
 * names its way back, and verify tells a good object from a corrupt one.
 */
describe.runIf(services().mariadb !== null)('Restore and Verify state machines, run locally end to end', () => {
  let machines: LocalMachines;
  let source: DataSource;
  let backup: BackupRecord;
  let corrupt: BackupRecord;
  let halfFailing: BackupRecord;
  const rows = (database: string) => rootSql(`SELECT id, COALESCE(note, 'NULL') FROM ${database}.orders ORDER BY id`);
  const checksum = (database: string) => rootSql(`CHECKSUM TABLE ${database}.orders`);
  const storedBackupsOf = async (sourceId: string) =>
    (await readSourceStats(machines.table)).find((s) => s.sourceId === sourceId)?.storedBackups ?? 0;
  const succeededToday = async () => {
    const today = new Date().toISOString().slice(0, 10);
    return (await readDayCounters(machines.table, today, today))[0]?.total.succeeded ?? 0;
  };

  /** A daily schedule of `sourceId` with this verification policy, written as the API would. */
  const seedSchedule = (id: string, sourceId: string, verify: VerifyPolicy) =>
    transactNamedItems(machines.table, {
      schedule: putNewSchedule(machines.table, {
        id,
        sourceId,
        cron: '0 2 * * *',
        timeZone: 'UTC',
        enabled: true,
        retention: { daily: 30, weekly: 4, monthly: 6, keepLast: 0, includeManualBackups: false },
        verify,
        createdAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
        revision: 1,
      }),
    });

  const restore = (id: string, backupId: string, targetDatabase: string, fields: Partial<Restore> = {}) =>
    runQueuedRestore(machines, source, id, backupId, targetDatabase, fields);

  beforeAll(async () => {
    machines = await startLocalMachines();
    await rootSql(`DROP DATABASE IF EXISTS ${DATABASE}; DROP DATABASE IF EXISTS ${COPY}; CREATE DATABASE ${DATABASE};
      CREATE TABLE ${DATABASE}.orders (id INT PRIMARY KEY, note VARCHAR(50));
      INSERT INTO ${DATABASE}.orders VALUES (1, 'first'), (2, 'second ✓'), (3, NULL);`);
    source = await machines.createSource('Restorable', DATABASE, mariadb().password);
    expectSucceeded(await machines.run('Backup', { dataSourceId: source.id, trigger: 'schedule' }, 'rv-backup'));
    const taken = await getBackupRecord(machines.table, 'rv-backup');
    if (!taken?.s3Key) throw new Error('the backup did not succeed');
    backup = taken;

    // A stored object that is not gzip at all, tagged with its own checksum: only reading it through finds out.
    const garbage = Buffer.from('this is not a gzip stream\n'.repeat(100));
    const key = `${source.id}/${DATABASE}/2020-01-01_00-00-00.sql.gz`;
    await testS3Client().send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: garbage }));
    await testS3Client().send(
      new PutObjectTaggingCommand({
        Bucket: bucket(),
        Key: key,
        Tagging: { TagSet: [{ Key: RESULT_TAGS.sha256, Value: sha256(garbage) }] },
      }),
    );
    // A record of that object: the good backup's version and ETag describe another object, so they go.
    const { s3ETag: _etag, s3VersionId: _version, ...recorded } = backup;
    corrupt = {
      ...recorded,
      id: 'rv-corrupt',
      s3Key: key,
      sha256: sha256(garbage),
      compressedBytes: garbage.length,
      createdAt: '2020-01-01T00:00:00.000Z',
    };
    await putBackupRecords(machines.table, [corrupt]);
    halfFailing = await putHalfFailingBackup(backup, 'rv-half-failing');
  });

  /**
   * A backup whose object is sound (checksum, gzip, trailer) but whose restore fails part-way: it replaces `orders`,
   * adds a table, then inserts into a table that does not exist.
   */
  async function putHalfFailingBackup(like: BackupRecord, id: string): Promise<BackupRecord> {
    const sql = Buffer.from(
      [
        'DROP TABLE IF EXISTS `orders`;',
        'CREATE TABLE `orders` (id INT PRIMARY KEY, note VARCHAR(50));',
        "INSERT INTO `orders` VALUES (1, 'half-written');",
        'CREATE TABLE `stray` (id INT);',
        'INSERT INTO `no_such_table` VALUES (1);',
        '-- Dump completed on 2030-01-01  0:00:00',
        '',
      ].join('\n'),
    );
    const bytes = gzipSync(sql);
    const key = `${like.sourceId}/${DATABASE}/2020-01-02_00-00-00.sql.gz`;
    await testS3Client().send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: bytes }));
    await testS3Client().send(
      new PutObjectTaggingCommand({
        Bucket: bucket(),
        Key: key,
        Tagging: { TagSet: [{ Key: RESULT_TAGS.sha256, Value: sha256(bytes) }] },
      }),
    );
    const { s3ETag: _etag, s3VersionId: _version, ...recorded } = like;
    const record = { ...recorded, id, s3Key: key, sha256: sha256(bytes), compressedBytes: bytes.length };
    await putBackupRecords(machines.table, [record]);
    return record;
  }
  const tablesOf = (database: string) =>
    rootSql(`SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${database}' ORDER BY 1`).then(
      (out) => out.trim(),
    );

  afterAll(() => rootSql(`DROP DATABASE IF EXISTS ${DATABASE}; DROP DATABASE IF EXISTS ${COPY};`));

  it('restores into a new database: nothing to keep, so no safety backup, and the rows round-trip', async () => {
    const { outcome, record } = await restore('rv-into-copy', backup.id, COPY);
    expectSucceeded(outcome);
    expect(record).toMatchObject({ status: 'succeeded', targetDatabase: COPY });
    expect(record.safetyBackupKey).toBeUndefined();
    expect(await rows(COPY)).toBe(await rows(DATABASE));
  });

  it('backs up an existing target before overwriting it, as a safety backup record linked both ways, counted and restorable', async () => {
    const before = await rows(DATABASE);
    await rootSql(
      `UPDATE ${DATABASE}.orders SET note = 'changed since the backup' WHERE id = 1; INSERT INTO ${DATABASE}.orders VALUES (4, 'new');`,
    );
    const overwritten = await checksum(DATABASE);
    const storedBefore = await storedBackupsOf(source.id);
    const succeededBefore = await succeededToday();
    const { outcome, record } = await restore('rv-over-original', backup.id, DATABASE);
    expectSucceeded(outcome);
    expect(record.status).toBe('succeeded');
    expect(record.safetyBackupKey).toMatch(
      new RegExp(`^${source.id}/${DATABASE}/.+_before-restore-rv-over-original\\.sql\\.gz$`),
    );
    const safety = await testS3Client().send(new GetObjectCommand({ Bucket: bucket(), Key: record.safetyBackupKey }));
    const safetyBytes = Buffer.from(await safety.Body!.transformToByteArray());
    const safetySql = gunzipSync(safetyBytes).toString('utf8');
    expect(safetySql).toContain("(1,'changed since the backup')");
    expect(await rows(DATABASE)).toBe(before);
    expect(await checksum(DATABASE)).not.toBe(overwritten);

    // The safety backup is a backup record: trigger safety, linked to its restore both ways, recorded as the Backup machine records one.
    expect(record.safetyBackupId).toBeDefined();
    const safetyRecord = await getBackupRecord(machines.table, record.safetyBackupId!);
    expect(safetyRecord).toMatchObject({
      status: 'succeeded',
      trigger: 'safety',
      restoreId: record.id,
      sourceId: source.id,
      database: DATABASE,
      s3Key: record.safetyBackupKey,
      sha256: sha256(safetyBytes),
      compressedBytes: safetyBytes.length,
      uncompressedBytes: gunzipSync(safetyBytes).length,
      tables: 1,
    });
    expect(safetyRecord?.s3ETag ?? safetyRecord?.s3VersionId).toBeDefined();
    const listed = await listBackups(machines.table, { sourceId: source.id }, { limit: 100 });
    expect(listed.items.map((b) => b.id)).toContain(record.safetyBackupId);
    expect(await storedBackupsOf(source.id)).toBe(storedBefore + 1);
    expect(await succeededToday()).toBe(succeededBefore + 1);

    // Restorable: restoring it undoes the restore, to the byte.
    const back = await restore('rv-roll-back', record.safetyBackupId!, DATABASE);
    expectSucceeded(back.outcome);
    expect(await checksum(DATABASE)).toBe(overwritten);
    expect(back.record.safetyBackupId).toBeDefined();
    expect(back.record.safetyBackupId).not.toBe(record.safetyBackupId);
  });

  it('fails a restore of a corrupt object with the reason and the safety backup as the way back, and alerts once', async () => {
    const notified = machines.notifications.length;
    const { outcome, record } = await restore('rv-corrupt-restore', corrupt.id, DATABASE);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.name).toBe('RestoreFailed');
    expect(record.status).toBe('failed');
    expect(record.safetyBackupKey, record.error).toMatch(/_before-restore-rv-corrupt-restore\.sql\.gz$/);
    expect(record.error).toContain('the runner exited with code 1');
    expect(record.safetyBackupId).toBeDefined();
    expect(await getBackupRecord(machines.table, record.safetyBackupId!)).toMatchObject({
      status: 'succeeded',
      trigger: 'safety',
      restoreId: record.id,
    });
    expect(record.error).toContain(
      `the target's safety backup is backup ${record.safetyBackupId}, s3://${bucket()}/${record.safetyBackupKey}: roll back with \`keepsake rollback ${record.id}\``,
    );
    expect(record.autoRollback).toBeUndefined();
    expect(machines.notifications.length - notified).toBe(1);
    expect(machines.notifications.at(-1)?.Subject).toBe(
      `Keepsake: restore into ${DATABASE} (data source ${source.id}) failed`,
    );
  });

  it('rolls a restore that failed part-way back automatically when asked: failed, but the target as it was', async () => {
    const before = { checksum: await checksum(DATABASE), tables: await tablesOf(DATABASE) };
    const notified = machines.notifications.length;

    const { outcome, record } = await restore('rv-auto-rollback', halfFailing.id, DATABASE, {
      rollbackOnFailure: true,
    });

    expect(outcome.ok).toBe(false);
    expect(record.status).toBe('failed');
    expect(record.autoRollback, record.error).toEqual({ status: 'succeeded', finishedAt: expect.any(String) });
    expect(record.error).toContain("Table 'rv_");
    expect(record.error).toContain('rolled back automatically: the safety backup');
    expect({ checksum: await checksum(DATABASE), tables: await tablesOf(DATABASE) }).toEqual(before);
    expect(machines.notifications.length - notified).toBe(1);
    // The outcome leads the subject, which SNS cuts at 100 characters (here within the source's id).
    expect(machines.notifications.at(-1)?.Subject).toMatch(
      new RegExp(`^Keepsake: restore failed and was rolled back: ${DATABASE} \\(data source `),
    );
    expect(machines.notifications.at(-1)?.Message).toContain('Automatic rollback: succeeded.');
  });

  it('leaves a restore that failed part-way as it is without the opt-in; its rollback restores the target exactly', async () => {
    const before = { checksum: await checksum(DATABASE), tables: await tablesOf(DATABASE) };
    const failed = await restore('rv-half-failed', halfFailing.id, DATABASE);
    expect(failed.record.status).toBe('failed');
    expect(failed.record.autoRollback).toBeUndefined();
    expect(await tablesOf(DATABASE)).toBe('orders\nstray');

    const back = await restore('rv-half-failed-back', failed.record.safetyBackupId!, DATABASE, {
      rollbackOf: failed.record.id,
    });

    expectSucceeded(back.outcome);
    expect({ checksum: await checksum(DATABASE), tables: await tablesOf(DATABASE) }).toEqual(before);
  });

  it('makes no automatic rollback into a target that did not exist before, and says the partial database was left', async () => {
    const target = `${DATABASE}_fresh`;
    await rootSql(`DROP DATABASE IF EXISTS ${target}`);
    const { record } = await restore('rv-auto-fresh', halfFailing.id, target, { rollbackOnFailure: true });
    expect(record.status).toBe('failed');
    expect(record.autoRollback).toBeUndefined();
    expect(record.error).toContain(
      'the target database did not exist before, so there is nothing to roll back to and no automatic rollback was made: what was restored of it is left as it is (drop the database to undo)',
    );
    expect(await tablesOf(target)).toBe('orders\nstray');
    await rootSql(`DROP DATABASE ${target}`);
  });

  it('verifies a good backup and records it', async () => {
    expectSucceeded(await machines.run('Verify', { backupId: backup.id }, 'rv-verify-good'));
    expect((await getBackupRecord(machines.table, backup.id))?.verification).toMatchObject({ status: 'verified' });
  });

  it('records a corrupt backup as failing verification, with the reason, and alerts once', async () => {
    const notified = machines.notifications.length;
    const outcome = await machines.run('Verify', { backupId: corrupt.id }, 'rv-verify-corrupt');
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.name).toBe('VerificationFailed');
    const verification = (await getBackupRecord(machines.table, corrupt.id))?.verification;
    expect(verification?.status).toBe('failed');
    expect(verification?.reason).toMatch(/corrupt/);
    expect(machines.notifications.length - notified).toBe(1);
    expect(machines.notifications.at(-1)?.Message).toContain(verification?.reason);
  });

  it('verifies after each backup when the schedule says so, with a test restore that leaves nothing behind', async () => {
    await seedSchedule('rv-verifying', source.id, { when: 'afterEachBackup', testRestore: true });
    const before = machines.startedVerifications.length;
    expectSucceeded(
      await machines.run(
        'Backup',
        { dataSourceId: source.id, scheduleId: 'rv-verifying', trigger: 'schedule' },
        'rv-verified-backup',
      ),
    );
    const started = machines.startedVerifications.slice(before);
    expect(started.map((v) => v.input)).toEqual([{ backupId: 'rv-verified-backup', testRestore: true }]);
    expect(started[0]?.outcome).toMatchObject({ ok: true });
    expect((await getBackupRecord(machines.table, 'rv-verified-backup'))?.verification).toMatchObject({
      status: 'verified',
    });
    expect(await rootSql(`SHOW DATABASES LIKE 'keepsake\\_verify\\_%'`)).toBe('');
  });

  it('has the daily sweep verify the newest backup of a weekly-verified source, once a week', async () => {
    const weekly = await machines.createSource('Weekly', DATABASE, mariadb().password);
    await seedSchedule('rv-weekly', weekly.id, { when: 'weekly', testRestore: false });
    expectSucceeded(
      await machines.run(
        'Backup',
        { dataSourceId: weekly.id, scheduleId: 'rv-weekly', trigger: 'schedule' },
        'rv-weekly-backup',
      ),
    );
    const before = machines.startedVerifications.length;
    expectSucceeded(await machines.run('Sweeper', {}, 'rv-sweep-1'));
    expect(machines.startedVerifications.slice(before).map((v) => v.input)).toEqual([
      { backupId: 'rv-weekly-backup', testRestore: false },
    ]);
    expect((await getBackupRecord(machines.table, 'rv-weekly-backup'))?.verification?.status).toBe('verified');
    // Verified today: the next sweep leaves it alone.
    const again = machines.startedVerifications.length;
    expectSucceeded(await machines.run('Sweeper', {}, 'rv-sweep-2'));
    expect(machines.startedVerifications.length).toBe(again);
  });

  it('refuses to verify a backup that is not succeeded, changing nothing', async () => {
    const outcome = await machines.run('Verify', { backupId: 'no-such-backup' }, 'rv-verify-missing');
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.name).toBe('NotVerifiable');
  });
});
