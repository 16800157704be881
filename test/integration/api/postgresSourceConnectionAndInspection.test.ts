import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wireProtocolTester } from '../../../functions/dataSources/connectionTester.ts';
import { freePort } from '../../../scripts/local/processes.ts';
import type { ConnectionTestResult, DatabaseInspection } from '../../../types/apiDataSources.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import { call } from '../../support/api.ts';
import { hasPostgres, recreateDatabase, startTestPostgres, type TestPostgres } from '../../support/postgres.ts';
import { SOURCE, SOURCES, startDataSourceApi, type DataSourceApi } from './dataSourceApi.ts';

const SHOP = 'shop';

describe.runIf(await hasPostgres())('PostgreSQL sources: connection test and inspection against a real server', () => {
  let api: DataSourceApi;
  let server: TestPostgres;
  let otherCa: string;

  const settings = (overrides: Record<string, unknown> = {}) => ({
    engine: 'postgresql',
    host: 'localhost',
    port: server.port,
    database: SHOP,
    username: server.user,
    password: server.password,
    tls: { mode: 'verify-identity', caPem: server.caCert },
    ...overrides,
  });
  const testSettings = async (overrides: Record<string, unknown> = {}) => {
    const response = await call<ConnectionTestResult>(api.testSettings, {
      method: 'POST',
      resource: `${SOURCES}/test`,
      body: settings(overrides),
    });
    expect(response.status).toBe(200);
    expect(response.raw.body).not.toContain(server.password);
    return response.body;
  };

  beforeAll(async () => {
    [api, server] = await Promise.all([startDataSourceApi(), startTestPostgres()]);
    await recreateDatabase(server, SHOP);
    await server.psql(
      `CREATE SCHEMA sales; CREATE SCHEMA "Odd ""Name""";
       CREATE TABLE sales.orders (id int PRIMARY KEY, total numeric);
       INSERT INTO sales.orders SELECT g, g * 1.5 FROM generate_series(1, 1000) g; ANALYZE sales.orders;
       CREATE TABLE public.customers (id int); CREATE VIEW sales.big_orders AS SELECT * FROM sales.orders WHERE total > 100;
       CREATE TABLE "Odd ""Name""".t (x int);
       GRANT USAGE ON SCHEMA sales, "Odd ""Name""" TO ${server.user};`,
      SHOP,
    );
    // A second server's CA: a certificate it did not sign must be refused under verify-ca.
    const other = await startTestPostgres();
    otherCa = other.caCert;
    await other.stop();
  }, 60_000);
  afterAll(async () => {
    await Promise.all([api?.scheduler.close(), server?.stop()]);
  });

  it('a create body without a port gets PostgreSQL’s 5432', async () => {
    const { port: _port, ...body } = settings();
    const created = await call<DataSource>(api.create, {
      method: 'POST',
      resource: SOURCES,
      body: { ...body, name: 'pg without port', schemas: ['sales'] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ engine: 'postgresql', port: 5432, schemas: ['sales'] });
  });

  it('verify-full (verify-identity) logs in with SCRAM-SHA-256 and reports the version and TLS', async () => {
    const version = (await server.psql('SHOW server_version')).trim();
    expect(await testSettings()).toEqual({
      ok: true,
      serverVersion: version,
      tls: 'verified',
      tlsProtocol: expect.stringMatching(/^TLSv1\.[23]$/),
      durationMs: expect.any(Number),
    });
    expect(await testSettings({ tls: { mode: 'required' } })).toMatchObject({
      ok: true,
      tls: 'encrypted (unverified)',
    });
  });

  it('verify-ca checks the CA but not the name (127.0.0.1 is in the SAN, but no name check is asked)', async () => {
    expect(await testSettings({ host: '127.0.0.1', tls: { mode: 'verify-ca', caPem: server.caCert } })).toMatchObject({
      ok: true,
      tls: 'verified',
    });
  });

  it('a certificate another CA signed is refused as a TLS problem, under verify-ca and verify-full', async () => {
    for (const mode of ['verify-ca', 'verify-identity']) {
      const result = await testSettings({ tls: { mode, caPem: otherCa } });
      expect(result).toMatchObject({ ok: false, problem: 'tls' });
      expect(result.ok === false && result.error).toMatch(/not signed by the given CA/);
    }
  });

  it('a wrong password is an authentication problem with the server’s 28P01, the password never shown', async () => {
    const result = await testSettings({ password: 'definitely-not-the-password' });
    expect(result).toMatchObject({ ok: false, problem: 'authentication' });
    expect(result.ok === false && result.error).toMatch(/^FATAL 28P01: password authentication failed for user/);
    expect(JSON.stringify(result)).not.toContain('definitely-not-the-password');
  });

  it('an unknown database is 3D000, named as such', async () => {
    const result = await testSettings({ database: 'no_such_db' });
    expect(result).toMatchObject({ ok: false, problem: 'unknown-database' });
    expect(result.ok === false && result.error).toMatch(/3D000: database "no_such_db" does not exist/);
  });

  it('a port nothing listens on is unreachable, answered at once', async () => {
    const result = await testSettings({ port: await freePort() });
    expect(result).toMatchObject({ ok: false, problem: 'unreachable' });
    expect(result.durationMs).toBeLessThan(5000);
  });

  it('a server that accepts and never answers is a timeout within the deadline', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const result = await wireProtocolTester({ connectTimeoutMs: 500, deadlineMs: 1000 }).test(
        { ...settings({ host: '127.0.0.1', port }), engine: 'postgresql', tls: { mode: 'required' } },
        server.password,
      );
      expect(result).toMatchObject({ ok: false, problem: 'timeout' });
      expect(result.ok === false && result.error).toMatch(/127\.0\.0\.1:\d+/);
      expect(result.durationMs).toBeLessThan(3000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('inspection lists the schemas and tables a restore would overwrite, or says the database is absent', async () => {
    const created = await call<DataSource>(api.create, {
      method: 'POST',
      resource: SOURCES,
      body: { ...settings(), name: 'pg shop' },
    });
    expect(created.status).toBe(201);
    const inspect = (database: string) =>
      call<DatabaseInspection>(api.inspect, {
        method: 'GET',
        resource: `${SOURCE}/databases/{database}`,
        pathParameters: { id: created.body.id, database },
      });

    const shop = await inspect(SHOP);
    expect(shop.status).toBe(200);
    expect(shop.body).toEqual({
      database: SHOP,
      exists: true,
      schemas: ['Odd "Name"', 'public', 'sales'],
      tableCount: 4,
      tables: [
        { schema: 'Odd "Name"', name: 't', kind: 'table', bytes: expect.any(Number) },
        { schema: 'public', name: 'customers', kind: 'table', bytes: expect.any(Number) },
        { schema: 'sales', name: 'big_orders', kind: 'view' },
        { schema: 'sales', name: 'orders', kind: 'table', approxRows: 1000, bytes: expect.any(Number) },
      ],
    });
    expect((await inspect('not_there')).body).toEqual({ database: 'not_there', exists: false });
  });
});
