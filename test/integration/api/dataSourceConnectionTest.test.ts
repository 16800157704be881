import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionTestResult } from '../../../types/apiDataSources.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import { call } from '../../support/api.ts';
import { connectionTo, mariadb, services } from '../../support/services.ts';
import { SOURCE, SOURCES, startDataSourceApi, type DataSourceApi } from './dataSourceApi.ts';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.runIf(services().mariadb !== null)('testing a data source connection against the shared MariaDB', () => {
  let api: DataSourceApi;
  let id: string;

  const testConnection = async (sourceId = id) => {
    const response = await call<ConnectionTestResult>(api.test, { method: 'POST', resource: `${SOURCE}/test`, pathParameters: { id: sourceId } });
    expect(response.status).toBe(200);
    expect(response.raw.body).not.toContain(mariadb().password);
    return response.body;
  };
  const patch = (body: Record<string, unknown>, sourceId = id) =>
    call<DataSource>(api.update, { method: 'PATCH', resource: SOURCE, pathParameters: { id: sourceId }, body });

  beforeAll(async () => {
    api = await startDataSourceApi();
    const body = { name: 'Local MariaDB', ...connectionTo('mysql'), password: mariadb().password };
    const created = await call<DataSource>(api.create, { method: 'POST', resource: SOURCES, body });
    expect(created.status).toBe(201);
    id = created.body.id;
  });
  afterAll(() => api.scheduler.close());

  it('reports ok with the server version for the stored credentials', async () => {
    const result = await testConnection();
    expect(result).toEqual({ ok: true, serverVersion: expect.stringMatching(/^\d+\.\d+\.\d+.*MariaDB/), durationMs: expect.any(Number) });
  });

  it('reports the server refusing a wrong password (after the secret is updated), then ok again once it is put right', async () => {
    expect((await patch({ password: 'definitely-not-the-password' })).status).toBe(200);
    const result = await testConnection();
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.error).toMatch(/Access denied for user/);
    expect(JSON.stringify(result)).not.toContain('definitely-not-the-password');

    expect((await patch({ password: mariadb().password })).status).toBe(200);
    expect((await testConnection()).ok).toBe(true);
  });

  it('reports an unknown database by name', async () => {
    await patch({ database: 'no_such_database' });
    const result = await testConnection();
    expect(result.ok === false && result.error).toMatch(/Unknown database 'no_such_database'/);
    await patch({ database: 'mysql' });
  });

  it('reports a server that is not there well within 10 s', async () => {
    await patch({ host: '127.0.0.1', port: await closedPort() });
    const started = Date.now();
    const result = await testConnection();
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.error).toMatch(/Can't connect/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
