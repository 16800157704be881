import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackupRecord, type BackupRecord } from '../../../functions/shared/repositories/backups.ts';
import { call } from '../../support/api.ts';
import { startLocalMachines, type LocalMachines } from '../../support/localMachines.ts';
import { bucket, sha256 } from '../../support/runner.ts';
import { mariadb, services, testS3Client } from '../../support/services.ts';
import { rootSql } from '../../support/sql.ts';

const DATABASE = `sfn_${process.pid}`;

/**
 * The Backup state machine as synthesized, run by aws-local-stepfunctions: its Lambda tasks are the real
 * handlers on DynamoDB Local, its ECS task the real runner against the test MariaDB and s3rver.
 */
describe.runIf(services().mariadb !== null)('Backup state machine, run locally end to end', () => {
  let machines: LocalMachines;
  const run = (input: Record<string, unknown>, name: string) => machines.run('Backup', input, name);
  const createSource = (name: string, password: string) => machines.createSource(name, DATABASE, password);
  const notifications = () => machines.notifications;

  beforeAll(async () => {
    machines = await startLocalMachines();
    await rootSql(`DROP DATABASE IF EXISTS ${DATABASE}; CREATE DATABASE ${DATABASE};
      CREATE TABLE ${DATABASE}.orders (id INT PRIMARY KEY, note VARCHAR(50));
      INSERT INTO ${DATABASE}.orders VALUES (1, 'first'), (2, 'second ✓'), (3, NULL);
      CREATE TABLE ${DATABASE}.customers (id INT PRIMARY KEY);`);
  });

  afterAll(() => rootSql(`DROP DATABASE IF EXISTS ${DATABASE}`));

  const recordOf = async (id: string): Promise<BackupRecord> => {
    const record = await getBackupRecord(machines.table, id);
    if (!record) throw new Error(`no backup record ${id}`);
    return record;
  };

  it('takes a scheduled backup to succeeded with a verifiable object whose facts are on the record', async () => {
    const source = await createSource('Shop', mariadb().password);
    const outcome = await run({ dataSourceId: source.id, scheduleId: 'nightly', trigger: 'schedule' }, 'scheduled-ok');
    expect(outcome).toMatchObject({ ok: true });

    const record = await recordOf('scheduled-ok');
    expect(record).toMatchObject({ status: 'succeeded', trigger: 'schedule', scheduleId: 'nightly', tables: 2 });
    const object = await testS3Client().send(new GetObjectCommand({ Bucket: bucket(), Key: record.s3Key }));
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    expect(record.sha256).toBe(sha256(bytes));
    expect(record.compressedBytes).toBe(bytes.length);
    const sql = gunzipSync(bytes).toString('utf8');
    expect(record.uncompressedBytes).toBe(Buffer.byteLength(sql));
    expect(sql).toContain("(2,'second ✓')");
    expect(sql).toContain('-- Dump completed');
    expect(record.s3Key).toMatch(
      new RegExp(`^${source.id}/${DATABASE}/\\d{4}-\\d{2}-\\d{2}_\\d{2}-\\d{2}-\\d{2}\\.sql\\.gz$`),
    );
    expect(notifications()).toEqual([]);
  });

  it('ends a backup whose runner fails as failed, with the reason, one notification and no object', async () => {
    const source = await createSource('Wrong password', 'not-the-password');
    const before = notifications().length;
    const outcome = await run({ dataSourceId: source.id, trigger: 'schedule' }, 'scheduled-bad-password');
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.name).toBe('BackupFailed');

    const record = await recordOf('scheduled-bad-password');
    expect(record.status).toBe('failed');
    if (!outcome.ok) expect(outcome.error.message).toBe(record.error);
    expect(record.error).toContain('the runner exited with code 1');
    expect(record.error).toMatch(/Access denied/i);
    expect(record.error).not.toContain('not-the-password');
    expect(notifications().length - before).toBe(1);
    const notification = notifications().at(-1);
    expect(notification?.Subject).toBe(`Keepsake: backup of Wrong password (${DATABASE}) failed`);
    expect(notification?.Message).toContain(record.error);
    const listed = await testS3Client().send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: `${source.id}/` }));
    expect(listed.KeyCount ?? 0).toBe(0);
  });

  it('e-mails the failure of a source named in Japanese across two lines, with a subject SNS takes', async () => {
    const name = '本番データベース\n東京 (ミラー)';
    const source = await createSource(name, 'not-the-password');
    const before = notifications().length;
    const outcome = await run({ dataSourceId: source.id, trigger: 'schedule' }, 'scheduled-japanese-name');
    expect(outcome.ok).toBe(false);
    // The local SNS refuses what SNS refuses: had the subject kept the name, nothing would have been delivered.
    expect(notifications().length - before).toBe(1);
    const notification = notifications().at(-1)!;
    expect(notification.Subject).toMatch(/^Keepsake: backup of \?+ \? \(\?+\) \(sfn_\d+\) failed$/);
    expect(notification.Message).toContain(`The backup of data source ${name} (${DATABASE}) failed`);
  });

  it('refuses a disabled source: no record, one notification, the execution fails', async () => {
    const source = await createSource('Disabled', mariadb().password);
    const disable = await import('../../../functions/dataSources/disableDataSource.ts');
    const disabled = await call(disable.handler, {
      method: 'POST',
      resource: '/v1/data-sources/{id}/disable',
      pathParameters: { id: source.id },
    });
    expect(disabled.status).toBe(200);
    const before = notifications().length;
    const outcome = await run({ dataSourceId: source.id, trigger: 'schedule' }, 'scheduled-disabled');
    expect(outcome.ok).toBe(false);
    expect(await getBackupRecord(machines.table, 'scheduled-disabled')).toBeUndefined();
    expect(notifications().length - before).toBe(1);
    expect(notifications().at(-1)?.Message).toMatch(/disabled/);
  });

  it('records the backup id from a Scheduler-style execution name that is no valid id', async () => {
    const source = await createSource('Odd name', mariadb().password);
    const outcome = await run({ dataSourceId: source.id, trigger: 'schedule' }, 'scheduler:run/1');
    expect(outcome).toMatchObject({ ok: true });
    const { backupIdOfExecution } = await import('../../../functions/orchestration/backupSteps.ts');
    expect((await recordOf(backupIdOfExecution('scheduler:run/1'))).status).toBe('succeeded');
  });
});
