import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../scripts/local/processes.ts';
import type { Page } from '../../../types/api.ts';
import type { ConnectionTestResult } from '../../../types/apiDataSources.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import { call } from '../../support/api.ts';
import { mariadb, services } from '../../support/services.ts';
import { rootSql } from '../../support/sql.ts';
import { SOURCES, startDataSourceApi, type DataSourceApi } from './dataSourceApi.ts';

/**
 * `POST /v1/data-sources/test` against the shared MariaDB (no certificates): settings tried before they are saved,
 * each failure named as the kind a person acts on, in plain words, with the server's own message beneath.
 */
describe.runIf(services().mariadb !== null)('testing unsaved data-source settings', () => {
  let api: DataSourceApi;
  const settings = (overrides: Record<string, unknown> = {}) => ({
    name: 'New shop',
    engine: 'mariadb',
    host: mariadb().host,
    port: mariadb().port,
    database: 'mysql',
    username: mariadb().user,
    password: mariadb().password,
    tls: { mode: 'disabled' },
    ...overrides,
  });
  const tryThem = async (body: Record<string, unknown>) => {
    const response = await call<ConnectionTestResult>(api.testSettings, {
      method: 'POST',
      resource: `${SOURCES}/test`,
      body,
    });
    expect(response.raw.body).not.toContain(mariadb().password);
    return response;
  };
  const sourcesStored = async () =>
    (await call<Page<DataSource>>(api.list, { method: 'GET', resource: SOURCES })).body.items.length;

  beforeAll(async () => {
    api = await startDataSourceApi();
  });
  afterAll(() => api.scheduler.close());

  it('answers ok with the server version for a create body that works, and stores nothing', async () => {
    const version = (await rootSql('SELECT VERSION()')).trim();
    const response = await tryThem(settings());
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ok: true, serverVersion: version, tls: 'none', durationMs: expect.any(Number) });
    expect(await sourcesStored()).toBe(0);
  });

  it('calls a wrong password an authentication problem, explains it, and keeps the server message beneath', async () => {
    const response = await tryThem(settings({ password: 'not-the-password' }));
    expect(response.body).toEqual({
      ok: false,
      problem: 'authentication',
      explanation: expect.stringContaining(`did not accept user "${mariadb().user}" with this password`),
      error: expect.stringMatching(
        /^ERROR 1045 \(28000\): Access denied for user 'keepsake'@'[^']+' \(using password: YES\)$/,
      ),
      durationMs: expect.any(Number),
    });
    expect(response.raw.body).not.toContain('not-the-password');
  });

  it('names an unknown database', async () => {
    const { body } = await tryThem(settings({ database: 'no_such_shop' }));
    expect(body).toMatchObject({
      ok: false,
      problem: 'unknown-database',
      explanation: expect.stringContaining('has no database "no_such_shop"'),
      error: "ERROR 1049 (42000): Unknown database 'no_such_shop'",
    });
  });

  it('calls a port nothing listens on unreachable', async () => {
    const port = await freePort();
    const { body } = await tryThem(settings({ port }));
    expect(body).toMatchObject({
      ok: false,
      problem: 'unreachable',
      explanation: expect.stringContaining(`Nothing accepted a connection at 127.0.0.1:${port}`),
      error: expect.stringMatching(/connection refused/),
    });
  });

  it('calls TLS "required" against a server without TLS a TLS problem', async () => {
    expect(await rootSql("SHOW VARIABLES LIKE 'have_ssl'")).not.toMatch(/\tYES/);
    const { body } = await tryThem(settings({ tls: { mode: 'required' } }));
    expect(body).toMatchObject({
      ok: false,
      problem: 'tls',
      explanation: expect.stringContaining('TLS mode "required"'),
      error: expect.stringMatching(/does not support TLS, which tls mode 'required' requires$/),
    });
  });

  it("tries an edit's changed fields with the stored password when none is typed", async () => {
    const created = await call<DataSource>(api.create, {
      method: 'POST',
      resource: SOURCES,
      body: settings({ name: 'Saved shop', database: 'no_such_shop' }),
    });
    expect(created.status).toBe(201);
    const { password: _typed, ...withoutPassword } = settings();
    const response = await tryThem({ ...withoutPassword, passwordOf: created.body.id });
    expect(response.body).toMatchObject({ ok: true, tls: 'none' });
    expect((await tryThem({ ...withoutPassword, passwordOf: 'no-such-source' })).status).toBe(404);
  });

  it('refuses settings without a password or a source to take it from, naming the field', async () => {
    const { password: _typed, ...withoutPassword } = settings();
    const response = await call<{ fields: Record<string, string> }>(api.testSettings, {
      method: 'POST',
      resource: `${SOURCES}/test`,
      body: withoutPassword,
    });
    expect(response.status).toBe(400);
    expect(response.body.fields.password).toMatch(/password is required/);
  });
});
