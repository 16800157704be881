import { createServer, type AddressInfo, type Socket } from 'node:net';
import { freePort } from '../../../scripts/local/processes.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionTestResult } from '../../../types/apiDataSources.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import { call } from '../../support/api.ts';
import { connectionTo, mariadb, services } from '../../support/services.ts';
import { rootSql } from '../../support/sql.ts';
import { SOURCE, SOURCES, startDataSourceApi, type DataSourceApi } from './dataSourceApi.ts';

describe.runIf(services().mariadb !== null)('testing a data source connection against the shared MariaDB', () => {
  let api: DataSourceApi;
  let id: string;

  const testConnection = async (sourceId = id) => {
    const response = await call<ConnectionTestResult>(api.test, {
      method: 'POST',
      resource: `${SOURCE}/test`,
      pathParameters: { id: sourceId },
    });
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

  it('reports ok with the server version, as SELECT VERSION() has it, for the stored credentials', async () => {
    const version = (await rootSql('SELECT VERSION()')).trim();
    expect(version).toMatch(/^\d+\.\d+\.\d+.*MariaDB/);
    // The shared MariaDB runs without certificates: `preferred` goes on in clear, and says so.
    expect(await testConnection()).toEqual({
      ok: true,
      serverVersion: version,
      tls: 'none',
      durationMs: expect.any(Number),
    });
  });

  it('reports the server refusing a wrong password (after the secret is updated), then ok again once it is put right', async () => {
    expect((await patch({ password: 'definitely-not-the-password' })).status).toBe(200);
    const result = await testConnection();
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.error).toMatch(
      /^ERROR 1045 \(28000\): Access denied for user 'keepsake'@'[^']+' \(using password: YES\)$/,
    );
    expect(JSON.stringify(result)).not.toContain('definitely-not-the-password');

    expect((await patch({ password: mariadb().password })).status).toBe(200);
    expect((await testConnection()).ok).toBe(true);
  });

  it('reports an unknown database by name', async () => {
    await patch({ database: 'no_such_database' });
    const result = await testConnection();
    expect(result.ok === false && result.error).toBe("ERROR 1049 (42000): Unknown database 'no_such_database'");
    await patch({ database: 'mysql' });
  });

  it('reports a server that is not there well within 10 s', async () => {
    await patch({ host: '127.0.0.1', port: await freePort() });
    const started = Date.now();
    const result = await testConnection();
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.error).toMatch(/^Can't connect to 127\.0\.0\.1:\d+: connection refused/);
    expect(Date.now() - started).toBeLessThan(10_000);
    await patch({ host: mariadb().host, port: mariadb().port });
  });

  it('gives up on a server that accepts the connection and never speaks, at the 10 s bound', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      await patch({ host: '127.0.0.1', port });
      const started = Date.now();
      const result = await testConnection();
      expect(result).toEqual({
        ok: false,
        problem: 'timeout',
        explanation: expect.stringContaining(`127.0.0.1:${port} did not answer in time`),
        error: `no answer from 127.0.0.1:${port} within 10 s: the connection was accepted, but no greeting came`,
        durationMs: expect.any(Number),
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(9_900);
      expect(Date.now() - started).toBeLessThan(11_000);
    } finally {
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
      await patch({ host: mariadb().host, port: mariadb().port });
    }
  });

  it('follows the tls mode: "disabled" logs in in clear, "required" needs the server to offer TLS', async () => {
    await patch({ tls: { mode: 'disabled' } });
    expect(await testConnection()).toMatchObject({ ok: true, tls: 'none' });

    // The test server is started without certificates (have_ssl DISABLED) unless that changes.
    const tlsOffered = /\tYES/.test(await rootSql("SHOW VARIABLES LIKE 'have_ssl'"));
    await patch({ tls: { mode: 'required' } });
    const result = await testConnection();
    if (tlsOffered) expect(result).toMatchObject({ ok: true, tls: 'encrypted (unverified)' });
    else
      expect(result).toMatchObject({
        ok: false,
        error: expect.stringMatching(/^127\.0\.0\.1:\d+ does not support TLS, which tls mode 'required' requires$/),
      });
    await patch({ tls: { mode: 'preferred' } });
  });
});
