import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionArnOf } from '../../../functions/shared/stepFunctions.ts';
import type { Backup } from '../../../types/backup.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import type { Restore } from '../../../types/restore.ts';
import { call } from '../../support/api.ts';
import { MACHINE_ARNS, startLocalMachines, type LocalMachines } from '../../support/localMachines.ts';
import { mariadb, services } from '../../support/services.ts';
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

  beforeAll(async () => {
    machines = await startLocalMachines();
    [trigger, getBackup, createRestore, getRestore] = (
      await Promise.all([
        import('../../../functions/backups/triggerBackup.ts'),
        import('../../../functions/backups/getBackup.ts'),
        import('../../../functions/restores/createRestore.ts'),
        import('../../../functions/restores/getRestore.ts'),
      ])
    ).map((module) => module.handler as Handler) as [Handler, Handler, Handler, Handler];
    await rootSql(`DROP DATABASE IF EXISTS ${DATABASE}; DROP DATABASE IF EXISTS ${COPY}; CREATE DATABASE ${DATABASE};
      CREATE TABLE ${DATABASE}.t (id INT PRIMARY KEY, v VARCHAR(10)); INSERT INTO ${DATABASE}.t VALUES (1, 'one'), (2, 'two');`);
    source = await machines.createSource('Through the API', DATABASE, mariadb().password);
  });

  afterAll(async () => {
    await machines.stepFunctions.close();
    await rootSql(`DROP DATABASE IF EXISTS ${DATABASE}; DROP DATABASE IF EXISTS ${COPY};`);
  });

  it('runs a backup triggered over the API to succeeded, then a restore requested over the API', async () => {
    const triggered = await call<{ backupId: string }>(trigger, { method: 'POST', resource: '/v1/data-sources/{id}/backups', pathParameters: { id: source.id }, body: { trigger: 'manual' } });
    expect(triggered.status).toBe(202);
    const { backupId } = triggered.body;
    await machines.stepFunctions.settled(executionArnOf(MACHINE_ARNS.Backup, backupId));
    const backup = await call<Backup>(getBackup, { method: 'GET', resource: '/v1/backups/{id}', pathParameters: { id: backupId } });
    expect(backup.body).toMatchObject({ status: 'succeeded', trigger: 'manual', tables: 1 });

    const requested = await call<{ restoreId: string }>(createRestore, {
      method: 'POST',
      resource: '/v1/restores',
      body: { backupId, targetSourceId: source.id, targetDatabase: COPY, confirmDatabase: COPY },
    });
    expect(requested.status).toBe(202);
    await machines.stepFunctions.settled(executionArnOf(MACHINE_ARNS.Restore, requested.body.restoreId));
    const restore = await call<Restore>(getRestore, { method: 'GET', resource: '/v1/restores/{id}', pathParameters: { id: requested.body.restoreId } });
    expect(restore.body).toMatchObject({ status: 'succeeded', targetDatabase: COPY });
    expect(await rootSql(`SELECT id, v FROM ${COPY}.t ORDER BY id`)).toBe(await rootSql(`SELECT id, v FROM ${DATABASE}.t ORDER BY id`));
  });

  it('answers 409 for a second trigger while the first runs, as Step Functions would see one execution per backup', async () => {
    const first = await call<{ backupId: string }>(trigger, { method: 'POST', resource: '/v1/data-sources/{id}/backups', pathParameters: { id: source.id } });
    const second = await call(trigger, { method: 'POST', resource: '/v1/data-sources/{id}/backups', pathParameters: { id: source.id } });
    expect(first.status).toBe(202);
    expect(second.status).toBe(409);
    await machines.stepFunctions.settled(executionArnOf(MACHINE_ARNS.Backup, first.body.backupId));
  });
});
