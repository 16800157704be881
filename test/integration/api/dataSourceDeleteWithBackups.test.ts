import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collections, keys, timeSortKey } from '../../../functions/shared/keys.ts';
import type { Page } from '../../../types/api.ts';
import type { AuditEvent } from '../../../types/audit.ts';
import type { DataSource, ErrorResponse } from '../../../types/index.ts';
import { call } from '../../support/api.ts';
import { SOURCE, SOURCES, sourceBody, startDataSourceApi, type DataSourceApi } from './dataSourceApi.ts';

let api: DataSourceApi;
beforeAll(async () => {
  api = await startDataSourceApi();
});
afterAll(() => api.scheduler.close());

const createdAt = '2026-01-01T00:00:00.000Z';

/** A backup item laid out as the backups service writes it (only the keys matter here). */
async function seedBackup(sourceId: string, id: string): Promise<void> {
  const sortKey = timeSortKey(createdAt, id);
  await api.table.client.send(
    new PutCommand({
      TableName: api.table.tableName,
      Item: {
        ...keys.backup(id),
        gsi1pk: collections.backups,
        gsi1sk: sortKey,
        gsi2pk: collections.backupsOf(sourceId),
        gsi2sk: sortKey,
        id,
        sourceId,
        status: 'succeeded',
      },
    }),
  );
}

/** A schedule item laid out as the schedules service writes it. */
async function seedSchedule(sourceId: string, id: string): Promise<void> {
  const sortKey = timeSortKey(createdAt, id);
  await api.table.client.send(
    new PutCommand({
      TableName: api.table.tableName,
      Item: {
        ...keys.schedule(id),
        gsi1pk: collections.schedules,
        gsi1sk: sortKey,
        gsi2pk: collections.schedulesOf(sourceId),
        gsi2sk: sortKey,
        id,
        sourceId,
      },
    }),
  );
}

const exists = async (key: Record<string, string>): Promise<boolean> =>
  (await api.table.client.send(new GetCommand({ TableName: api.table.tableName, Key: key }))).Item !== undefined;

async function secretRefOf(id: string): Promise<string> {
  const item = (
    await api.table.client.send(new GetCommand({ TableName: api.table.tableName, Key: keys.dataSource(id) }))
  ).Item;
  return String(item?.passwordSecretArn);
}

describe('deleting a data source that holds backups', () => {
  let id: string;
  let otherId: string;
  let secretRef: string;

  beforeAll(async () => {
    id = (
      await call<DataSource>(api.create, { method: 'POST', resource: SOURCES, body: sourceBody({ name: 'Doomed' }) })
    ).body.id;
    otherId = (
      await call<DataSource>(api.create, { method: 'POST', resource: SOURCES, body: sourceBody({ name: 'Bystander' }) })
    ).body.id;
    secretRef = await secretRefOf(id);
    for (const backup of ['bk-1', 'bk-2', 'bk-3']) await seedBackup(id, backup);
    await seedBackup(otherId, 'bk-other');
    for (const schedule of ['sch-a', 'sch-b']) await seedSchedule(id, schedule);
    await seedSchedule(otherId, 'sch-other');
  });

  it('answers 409 naming how many backups it holds, and changes nothing', async () => {
    const response = await call<ErrorResponse>(api.remove, {
      method: 'DELETE',
      resource: SOURCE,
      pathParameters: { id },
    });
    expect(response.status).toBe(409);
    expect(response.body.error).toBe(
      `data source ${id} holds 3 backups: delete with ?force=true to delete the source and its schedules anyway (its backups are kept)`,
    );
    expect((await call(api.get, { method: 'GET', resource: SOURCE, pathParameters: { id } })).status).toBe(200);
    expect(await exists(keys.schedule('sch-a'))).toBe(true);
    expect(api.scheduler.deleted).toEqual([]);

    const explicit = await call(api.remove, {
      method: 'DELETE',
      resource: SOURCE,
      pathParameters: { id },
      query: { force: 'false' },
    });
    expect(explicit.status).toBe(409);
  });

  it('with force=true deletes the source, its schedules (items and EventBridge schedules) and its secret; keeps the backups', async () => {
    // Imported only now, like the handlers: its module reads the environment startDataSourceApi() set.
    const { secretStoreFromEnv } = await import('../../../functions/shared/secretStore.ts');
    const getSecretStore = () => secretStoreFromEnv();
    await expect(getSecretStore().get(secretRef)).resolves.toContain('password');

    const response = await call(api.remove, {
      method: 'DELETE',
      resource: SOURCE,
      pathParameters: { id },
      query: { force: 'true' },
      principal: 'arn:aws:iam::123456789012:role/admin',
    });
    expect(response.status).toBe(204);

    expect((await call(api.get, { method: 'GET', resource: SOURCE, pathParameters: { id } })).status).toBe(404);
    expect(api.scheduler.deleted).toEqual([
      { name: 'keepsake-sch-a', group: 'keepsake-test' },
      { name: 'keepsake-sch-b', group: 'keepsake-test' },
    ]);
    expect(await exists(keys.schedule('sch-a'))).toBe(false);
    expect(await exists(keys.schedule('sch-b'))).toBe(false);
    for (const backup of ['bk-1', 'bk-2', 'bk-3']) expect(await exists(keys.backup(backup))).toBe(true);
    await expect(getSecretStore().get(secretRef)).rejects.toThrow(/not found/);

    // The other source is untouched.
    expect((await call(api.get, { method: 'GET', resource: SOURCE, pathParameters: { id: otherId } })).status).toBe(
      200,
    );
    expect(await exists(keys.schedule('sch-other'))).toBe(true);
    expect(await exists(keys.backup('bk-other'))).toBe(true);
    await expect(getSecretStore().get(await secretRefOf(otherId))).resolves.toContain('password');

    const audit = await call<Page<AuditEvent>>(api.audit, {
      method: 'GET',
      resource: '/v1/audit',
      query: { limit: '1' },
    });
    expect(audit.body.items[0]).toMatchObject({
      action: 'dataSource.delete',
      targetId: id,
      principal: 'arn:aws:iam::123456789012:role/admin',
      summary: expect.stringMatching(/2 schedule\(s\) deleted; 3 backup\(s\) kept/),
    });
  });

  it('answers 404 when deleted again', async () => {
    const response = await call(api.remove, {
      method: 'DELETE',
      resource: SOURCE,
      pathParameters: { id },
      query: { force: 'true' },
    });
    expect(response.status).toBe(404);
  });
});
