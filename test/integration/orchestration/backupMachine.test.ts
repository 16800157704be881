import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATES } from '../../../infra/constructs/Orchestration.ts';
import { getBackupRecord, type BackupRecord } from '../../../functions/shared/repositories/backups.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import type { Notification } from '../../../scripts/local/orchestration.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import { call, useTestTable } from '../../support/api.ts';
import { bucket, sha256 } from '../../support/runner.ts';
import { connectionTo, mariadb, services, testS3Client } from '../../support/services.ts';
import { rootSql } from '../../support/sql.ts';
import { keepsakeTemplate } from '../../support/stack.ts';
import { stateMachineDefinition } from '../../support/stateMachines.ts';

const DATABASE = `sfn_${process.pid}`;

/**
 * The Backup state machine as synthesized, run by aws-local-stepfunctions: its Lambda tasks are the real
 * handlers on DynamoDB Local, its ECS task the real runner against the test MariaDB and s3rver.
 */
describe.runIf(services().mariadb !== null)('Backup state machine, run locally end to end', () => {
  let table: TableRef;
  let run: (input: Record<string, unknown>, name: string) => Promise<{ ok: true; output: unknown } | { ok: false; error: Error }>;
  let createSource: (name: string, password: string) => Promise<DataSource>;
  const notifications: Notification[] = [];

  beforeAll(async () => {
    table = await useTestTable();
    Object.assign(process.env, {
      BACKUP_BUCKET_NAME: bucket(),
      KEEPSAKE_S3_ENDPOINT: services().s3.endpoint,
      KEEPSAKE_SECRETS: 'local',
      KEEPSAKE_SCHEDULER: 'local',
      RUNNER_LOG_DIR: await mkdtemp(join(tmpdir(), 'keepsake-runner-logs-')),
    });
    await rootSql(`DROP DATABASE IF EXISTS ${DATABASE}; CREATE DATABASE ${DATABASE};
      CREATE TABLE ${DATABASE}.orders (id INT PRIMARY KEY, note VARCHAR(50));
      INSERT INTO ${DATABASE}.orders VALUES (1, 'first'), (2, 'second ✓'), (3, NULL);
      CREATE TABLE ${DATABASE}.customers (id INT PRIMARY KEY);`);

    // Imported once the environment is set: handlers and the SDK clients they share read it at load.
    const [{ lambdaTask, loadLocalStepFunctions, localPublish, localRunTask }, { secretStoreFromEnv }, begin, finalize, recordFailure, retention, create] = await Promise.all([
      import('../../../scripts/local/orchestration.ts'),
      import('../../../functions/shared/secretStore.ts'),
      import('../../../functions/orchestration/beginBackup.ts'),
      import('../../../functions/orchestration/finalizeBackup.ts'),
      import('../../../functions/orchestration/recordBackupFailure.ts'),
      import('../../../functions/orchestration/applyRetention.ts'),
      import('../../../functions/dataSources/createDataSource.ts'),
    ]);
    createSource = async (name, password) => {
      const created = await call<DataSource>(create.handler, { method: 'POST', resource: '/v1/data-sources', body: { name, ...connectionTo(DATABASE), password } });
      expect(created.status).toBe(201);
      return created.body;
    };

    const { StateMachine } = await loadLocalStepFunctions();
    const definition = stateMachineDefinition(keepsakeTemplate(), 'OrchestrationBackup');
    const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false, checkPaths: false } });
    const handlers = {
      [STATES.begin]: lambdaTask('beginBackup', begin.handler as never),
      [STATES.run]: localRunTask({ logDir: process.env.RUNNER_LOG_DIR ?? '', secrets: secretStoreFromEnv() }),
      [STATES.finalize]: lambdaTask('finalizeBackup', finalize.handler as never),
      [STATES.recordFailure]: lambdaTask('recordBackupFailure', recordFailure.handler as never),
      [STATES.retention]: lambdaTask('applyRetention', retention.handler as never),
      [STATES.notifyFailure]: localPublish((n) => notifications.push(n)),
      [STATES.notifyRetention]: localPublish((n) => notifications.push(n)),
    };
    run = async (input, name) => {
      const execution = machine.run(input as never, {
        overrides: { taskResourceLocalHandlers: handlers as never },
        context: { Execution: { Name: name, Id: `arn:aws:states:us-east-1:123456789012:execution:Backup:${name}` } } as never,
      });
      try {
        return { ok: true, output: await execution.result };
      } catch (error) {
        // aws-local-stepfunctions wraps the Fail state's error (Error = name, Cause = message) in an ExecutionError.
        return { ok: false, error: ((error as Error).cause as Error | undefined) ?? (error as Error) };
      }
    };
  });

  afterAll(() => rootSql(`DROP DATABASE IF EXISTS ${DATABASE}`));

  const recordOf = async (id: string): Promise<BackupRecord> => {
    const record = await getBackupRecord(table, id);
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
    expect(record.s3Key).toMatch(new RegExp(`^${source.id}/${DATABASE}/\\d{4}-\\d{2}-\\d{2}_\\d{2}-\\d{2}-\\d{2}\\.sql\\.gz$`));
    expect(notifications).toEqual([]);
  });

  it('ends a backup whose runner fails as failed, with the reason, one notification and no object', async () => {
    const source = await createSource('Wrong password', 'not-the-password');
    const before = notifications.length;
    const outcome = await run({ dataSourceId: source.id, trigger: 'schedule' }, 'scheduled-bad-password');
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.name).toBe('BackupFailed');

    const record = await recordOf('scheduled-bad-password');
    expect(record.status).toBe('failed');
    if (!outcome.ok) expect(outcome.error.message).toBe(record.error);
    expect(record.error).toContain('the runner exited with code 1');
    expect(record.error).toMatch(/Access denied/i);
    expect(record.error).not.toContain('not-the-password');
    expect(notifications.length - before).toBe(1);
    const notification = notifications.at(-1);
    expect(notification?.Subject).toBe(`Keepsake: backup of Wrong password (${DATABASE}) failed`);
    expect(notification?.Message).toContain(record.error);
    const listed = await testS3Client().send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: `${source.id}/` }));
    expect(listed.KeyCount ?? 0).toBe(0);
  });

  it('refuses a disabled source: no record, one notification, the execution fails', async () => {
    const source = await createSource('Disabled', mariadb().password);
    const disable = await import('../../../functions/dataSources/disableDataSource.ts');
    const disabled = await call(disable.handler, { method: 'POST', resource: '/v1/data-sources/{id}/disable', pathParameters: { id: source.id } });
    expect(disabled.status).toBe(200);
    const before = notifications.length;
    const outcome = await run({ dataSourceId: source.id, trigger: 'schedule' }, 'scheduled-disabled');
    expect(outcome.ok).toBe(false);
    expect(await getBackupRecord(table, 'scheduled-disabled')).toBeUndefined();
    expect(notifications.length - before).toBe(1);
    expect(notifications.at(-1)?.Message).toMatch(/disabled/);
  });

  it('records the backup id from a Scheduler-style execution name that is no valid id', async () => {
    const source = await createSource('Odd name', mariadb().password);
    const outcome = await run({ dataSourceId: source.id, trigger: 'schedule' }, 'scheduler:run/1');
    expect(outcome).toMatchObject({ ok: true });
    const { backupIdOfExecution } = await import('../../../functions/orchestration/backupSteps.ts');
    expect((await recordOf(backupIdOfExecution('scheduler:run/1'))).status).toBe('succeeded');
  });
});
