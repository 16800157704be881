import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { executionArnOf } from '../../../functions/shared/stepFunctions.ts';
import type { Backup } from '../../../types/backup.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import type { Restore } from '../../../types/restore.ts';
import { call } from '../../support/api.ts';
import { MACHINE_ARNS } from '../../../scripts/local/stateMachines.ts';
import { startLocalMachines, type LocalMachines } from '../../support/localMachines.ts';
import { bucket } from '../../support/runner.ts';
import { mariadb, services, testS3Client } from '../../support/services.ts';
import { rootSql } from '../../support/sql.ts';

const DATABASE = `api_sfn_${process.pid}`;
const COPY = `${DATABASE}_copy`;

type Handler = Parameters<typeof call>[0];

/**
 * The API's own handlers start executions through the Step Functions SDK client, pointed at the local Step
 * Functions service (local mode's stand-in for AWS): a backup triggered over the API and a restore requested
 * over the API both run the synthesized machines to the end.
 */
describe.runIf(services().mariadb !== null)('API-started executions on the local Step Functions service', () => {
  let machines: LocalMachines;
  let source: DataSource;
  let trigger: Handler;
  let getBackup: Handler;
  let createRestore: Handler;
  let getRestore: Handler;
  let cancel: Handler;

  beforeAll(async () => {
    machines = await startLocalMachines();
    [trigger, getBackup, createRestore, getRestore, cancel] = (
      await Promise.all([
        import('../../../functions/backups/triggerBackup.ts'),
        import('../../../functions/backups/getBackup.ts'),
        import('../../../functions/restores/createRestore.ts'),
        import('../../../functions/restores/getRestore.ts'),
        import('../../../functions/backups/cancelBackup.ts'),
      ])
    ).map((module) => module.handler as Handler) as [Handler, Handler, Handler, Handler, Handler];
    await rootSql(`DROP DATABASE IF EXISTS ${DATABASE}; DROP DATABASE IF EXISTS ${COPY}; CREATE DATABASE ${DATABASE};
      CREATE TABLE ${DATABASE}.t (id INT PRIMARY KEY, v VARCHAR(10)); INSERT INTO ${DATABASE}.t VALUES (1, 'one'), (2, 'two');`);
    source = await machines.createSource('Through the API', DATABASE, mariadb().password);
  });

  afterAll(async () => {
    await machines.stepFunctions.close();
    await rootSql(`DROP DATABASE IF EXISTS ${DATABASE}; DROP DATABASE IF EXISTS ${COPY};`);
  });

  it('runs a backup triggered over the API to succeeded, then a restore requested over the API', async () => {
    const triggered = await call<{ backupId: string }>(trigger, {
      method: 'POST',
      resource: '/v1/data-sources/{id}/backups',
      pathParameters: { id: source.id },
      body: { trigger: 'manual' },
    });
    expect(triggered.status).toBe(202);
    const { backupId } = triggered.body;
    await machines.stepFunctions.settled(executionArnOf(MACHINE_ARNS.Backup, backupId));
    const backup = await call<Backup>(getBackup, {
      method: 'GET',
      resource: '/v1/backups/{id}',
      pathParameters: { id: backupId },
    });
    expect(backup.body).toMatchObject({ status: 'succeeded', trigger: 'manual', tables: 1 });

    const requested = await call<{ restoreId: string }>(createRestore, {
      method: 'POST',
      resource: '/v1/restores',
      body: { backupId, targetSourceId: source.id, targetDatabase: COPY, confirmDatabase: COPY },
    });
    expect(requested.status).toBe(202);
    await machines.stepFunctions.settled(executionArnOf(MACHINE_ARNS.Restore, requested.body.restoreId));
    const restore = await call<Restore>(getRestore, {
      method: 'GET',
      resource: '/v1/restores/{id}',
      pathParameters: { id: requested.body.restoreId },
    });
    expect(restore.body).toMatchObject({ status: 'succeeded', targetDatabase: COPY });
    expect(await rootSql(`SELECT id, v FROM ${COPY}.t ORDER BY id`)).toBe(
      await rootSql(`SELECT id, v FROM ${DATABASE}.t ORDER BY id`),
    );
  });

  it('cancels a running backup: the execution stops, its runner is stopped with it, and no object is left', async () => {
    const big = `${DATABASE}_big`;
    await rootSql(`DROP DATABASE IF EXISTS ${big}; CREATE DATABASE ${big};`);
    await rootSql(
      'CREATE TABLE big (id INT PRIMARY KEY, digest CHAR(128) NOT NULL); INSERT INTO big SELECT seq, SHA2(seq, 512) FROM seq_1_to_300000;',
      big,
    );
    const slow = await machines.createSource('Slow', big, mariadb().password);
    const triggered = await call<{ backupId: string }>(trigger, {
      method: 'POST',
      resource: '/v1/data-sources/{id}/backups',
      pathParameters: { id: slow.id },
    });
    const { backupId } = triggered.body;
    // Running: the record says so once Begin is done; the runner is spawned right after.
    for (let i = 0; i < 100; i++) {
      const current = await call<Backup>(getBackup, {
        method: 'GET',
        resource: '/v1/backups/{id}',
        pathParameters: { id: backupId },
      });
      if (current.body.status === 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const cancelled = await call<Backup>(cancel, {
      method: 'POST',
      resource: '/v1/backups/{id}/cancel',
      pathParameters: { id: backupId },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    await machines.stepFunctions.settled(executionArnOf(MACHINE_ARNS.Backup, backupId));
    // Long enough for an unstopped runner to finish this dump and its upload.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const listed = await testS3Client().send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: `${slow.id}/` }));
    expect(listed.KeyCount ?? 0).toBe(0);
    expect(
      (await call<Backup>(getBackup, { method: 'GET', resource: '/v1/backups/{id}', pathParameters: { id: backupId } }))
        .body.status,
    ).toBe('cancelled');
    await rootSql(`DROP DATABASE IF EXISTS ${big}`);
  });

  it('answers 409 for a second trigger while the first runs, as Step Functions would see one execution per backup', async () => {
    const first = await call<{ backupId: string }>(trigger, {
      method: 'POST',
      resource: '/v1/data-sources/{id}/backups',
      pathParameters: { id: source.id },
    });
    const second = await call(trigger, {
      method: 'POST',
      resource: '/v1/data-sources/{id}/backups',
      pathParameters: { id: source.id },
    });
    expect(first.status).toBe(202);
    expect(second.status).toBe(409);
    await machines.stepFunctions.settled(executionArnOf(MACHINE_ARNS.Backup, first.body.backupId));
  });
});
