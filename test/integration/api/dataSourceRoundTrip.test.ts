import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from '../../../types/api.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import { call } from '../../support/api.ts';
import { SOURCE, SOURCES, sourceBody, startDataSourceApi, type DataSourceApi } from './dataSourceApi.ts';

let api: DataSourceApi;
beforeAll(async () => {
  api = await startDataSourceApi();
});
afterAll(() => api.scheduler.close());

describe('a data source from creation to deletion', () => {
  it('is created, listed, read, updated, disabled, enabled and deleted through the handlers', async () => {
    const created = await call<DataSource>(api.create, { method: 'POST', resource: SOURCES, body: sourceBody() });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Shop production',
      engine: 'mysql',
      port: 3306,
      enabled: true,
      tls: { mode: 'required' },
    });
    expect(created.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body.createdAt).toBe(created.body.updatedAt);
    expect(Object.keys(created.body).sort()).toEqual([
      'createdAt',
      'database',
      'enabled',
      'engine',
      'host',
      'id',
      'name',
      'port',
      'tls',
      'updatedAt',
      'username',
    ]);
    const id = created.body.id;

    const listed = await call<Page<DataSource>>(api.list, { method: 'GET', resource: SOURCES });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ items: [created.body] });

    const got = await call<DataSource>(api.get, { method: 'GET', resource: SOURCE, pathParameters: { id } });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);

    const updated = await call<DataSource>(api.update, {
      method: 'PATCH',
      resource: SOURCE,
      pathParameters: { id },
      body: { name: 'Shop (eu)', port: 3307 },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({ ...created.body, name: 'Shop (eu)', port: 3307, updatedAt: expect.any(String) });
    expect(updated.body.updatedAt >= created.body.updatedAt).toBe(true);
    // Fields not sent keep their values: TLS, enabled and the rest are not reset to defaults.
    const patchedAgain = await call<DataSource>(api.update, {
      method: 'PATCH',
      resource: SOURCE,
      pathParameters: { id },
      body: { tls: { mode: 'verify-identity' }, enabled: false },
    });
    expect(patchedAgain.body).toMatchObject({
      name: 'Shop (eu)',
      port: 3307,
      tls: { mode: 'verify-identity' },
      enabled: false,
    });
    const unchanged = await call<DataSource>(api.update, {
      method: 'PATCH',
      resource: SOURCE,
      pathParameters: { id },
      body: { username: 'backup2' },
    });
    expect(unchanged.body).toMatchObject({
      port: 3307,
      tls: { mode: 'verify-identity' },
      enabled: false,
      username: 'backup2',
    });

    const enabled = await call<DataSource>(api.enable, {
      method: 'POST',
      resource: `${SOURCE}/enable`,
      pathParameters: { id },
    });
    expect(enabled.status).toBe(200);
    expect(enabled.body.enabled).toBe(true);
    const disabled = await call<DataSource>(api.disable, {
      method: 'POST',
      resource: `${SOURCE}/disable`,
      pathParameters: { id },
    });
    expect(disabled.body.enabled).toBe(false);
    expect(
      (await call<DataSource>(api.get, { method: 'GET', resource: SOURCE, pathParameters: { id } })).body.enabled,
    ).toBe(false);

    const deleted = await call(api.remove, { method: 'DELETE', resource: SOURCE, pathParameters: { id } });
    expect(deleted.status).toBe(204);
    expect(deleted.raw.body).toBe('');

    expect((await call(api.get, { method: 'GET', resource: SOURCE, pathParameters: { id } })).status).toBe(404);
    expect((await call<Page<DataSource>>(api.list, { method: 'GET', resource: SOURCES })).body).toEqual({ items: [] });
  });

  it('lists renamed sources in their new place', async () => {
    const names = ['Bravo', 'Delta', 'Charlie'];
    const ids: string[] = [];
    for (const name of names)
      ids.push(
        (await call<DataSource>(api.create, { method: 'POST', resource: SOURCES, body: sourceBody({ name }) })).body.id,
      );
    await call(api.update, {
      method: 'PATCH',
      resource: SOURCE,
      pathParameters: { id: ids[1] ?? '' },
      body: { name: 'alpha' },
    });
    const listed = await call<Page<DataSource>>(api.list, { method: 'GET', resource: SOURCES });
    expect(listed.body.items.map((s) => s.name)).toEqual(['alpha', 'Bravo', 'Charlie']);
    for (const id of ids) await call(api.remove, { method: 'DELETE', resource: SOURCE, pathParameters: { id } });
  });
});

describe('an unknown id', () => {
  const id = 'no-such-source';
  it.each([
    ['GET', () => api.get, SOURCE, undefined],
    ['PATCH', () => api.update, SOURCE, { name: 'x' }],
    ['DELETE', () => api.remove, SOURCE, undefined],
    ['POST', () => api.enable, `${SOURCE}/enable`, undefined],
    ['POST', () => api.disable, `${SOURCE}/disable`, undefined],
    ['POST', () => api.test, `${SOURCE}/test`, undefined],
  ])('%s %s answers 404', async (method, handler, resource, body) => {
    const response = await call(handler(), { method, resource, pathParameters: { id }, body });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: `data source ${id} not found` });
  });
});
