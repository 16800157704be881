import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_PG_PASSWORD } from '../../scripts/local/postgres.ts';
import type { ApiClient } from '../../types/apiClient.ts';
import type { Page as ApiPage } from '../../types/api.ts';
import type { Backup } from '../../types/backup.ts';
import type { DataSource } from '../../types/dataSource.ts';
import { screenshot } from '../support/browser.ts';
import { startConsoleOnLocalMode, type ConsoleOnLocalMode, type LocalModeProcess } from '../support/localMode.ts';
import { hasPostgres } from '../support/postgres.ts';

/**
 * A PostgreSQL source through the console in headless Chromium, against local mode's demo PostgreSQL: the form
 * follows the engine (port 5432, sslmode names, a CA field for verify-full, a schema filter), the connection test
 * logs in over verified TLS, and the restore dialog lists the target's schemas and tables.
 */
const NAME = `pg console ${process.pid}`;

let harness: ConsoleOnLocalMode | undefined;
let local: LocalModeProcess;
let api: ApiClient;
let page: Page;
let demo: DataSource;
const pageErrors: string[] = [];

const sources = async () => (await api.request<ApiPage<DataSource>>('GET', '/v1/data-sources')).items;

describe.runIf(await hasPostgres())('a PostgreSQL source in the console', () => {
  beforeAll(async () => {
    ({ local, api, page } = harness = await startConsoleOnLocalMode('keepsake-console-pg-', pageErrors));
    demo = (await sources()).find((s) => s.engine === 'postgresql') as DataSource;
  }, 240_000);

  afterAll(async () => {
    await harness?.close();
  });

  it('is added with the engine’s port, sslmode names, its CA and a schema filter, and its connection tested', async () => {
    await page.goto(`${local.apiUrl}/data-sources`);
    await page.getByRole('button', { name: 'Add data source' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Add a data source' });
    expect(await dialog.getByLabel('Port', { exact: true }).inputValue()).toBe('3306');
    await dialog.getByLabel('Engine', { exact: true }).selectOption('postgresql');
    expect(await dialog.getByLabel('Port', { exact: true }).inputValue()).toBe('5432');
    const tls = dialog.getByLabel('TLS (sslmode)', { exact: true });
    expect(await tls.locator('option').allTextContents()).toEqual([
      'require (encrypted, certificate not checked)',
      'verify-ca (certificate checked against the CA)',
      'verify-full (certificate and host name checked)',
      'disable (cleartext)',
    ]);

    await dialog.getByLabel('Name', { exact: true }).fill(NAME);
    await dialog.getByLabel('Host', { exact: true }).fill('localhost');
    await dialog.getByLabel('Port', { exact: true }).fill(String(demo.port));
    await dialog.getByLabel('Database', { exact: true }).fill(demo.database);
    await dialog.getByLabel('Username', { exact: true }).fill(demo.username);
    await dialog.getByLabel('Password', { exact: true }).fill(LOCAL_PG_PASSWORD);
    await tls.selectOption('verify-identity');
    await dialog.getByLabel('CA certificate (PEM)', { exact: true }).fill(demo.tls.caPem ?? '');
    await dialog.getByLabel('Schemas', { exact: true }).fill('shop, public');

    await dialog.getByRole('button', { name: 'Test connection' }).click();
    const connected = dialog.getByRole('status').filter({ hasText: /Connected to 1\d\.\d+/ });
    await connected.waitFor();
    expect(await connected.textContent()).toMatch(/TLS verified \(TLSv1\.3\)/);
    await screenshot(page, 'data-source-postgresql-connected');

    await dialog.getByRole('button', { name: 'Add data source' }).click();
    await expect
      .poll(async () => (await sources()).find((s) => s.name === NAME))
      .toMatchObject({
        engine: 'postgresql',
        port: demo.port,
        tls: { mode: 'verify-identity' },
        schemas: ['shop', 'public'],
        enabled: true,
      });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('the restore dialog lists the schemas and tables a restore over the demo database would overwrite', async () => {
    const backups = await api.request<ApiPage<Backup>>('GET', `/v1/data-sources/${demo.id}/backups?status=succeeded`);
    const [backup] = backups.items;
    expect(backup).toBeDefined();
    await page.goto(`${local.apiUrl}/backups/${backup?.id}`);
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore backup' });
    await dialog.getByLabel(/Over the source's/).check();
    const note = dialog.getByRole('note', { name: 'What will be overwritten' });
    await note.waitFor();
    expect(await note.textContent()).toMatch(/Schemas: public, shop/);
    const tables = note.getByRole('region', { name: `Tables of ${demo.database}` });
    expect(await tables.getByRole('row').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^shop\.customers/), expect.stringMatching(/^shop\.order_totals/)]),
    );
    await screenshot(page, 'restore-dialog-postgresql-target');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
