import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, apiClient } from '../../types/apiClient.ts';
import type { Page as ApiPage } from '../../types/api.ts';
import type { DataSource } from '../../types/dataSource.ts';
import { launchChromium, screenshot } from '../support/browser.ts';
import { startLocalMode, type LocalModeProcess } from '../support/localMode.ts';

/** A viewer in the console (local mode started with `--role viewer`): sees everything, can change nothing. */

let dataDir: string;
let local: LocalModeProcess;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'keepsake-viewer-'));
  local = await startLocalMode(['--data-dir', dataDir, '--api-port', '0', '--role', 'viewer']);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await local?.stop('SIGINT');
  await rm(dataDir, { recursive: true, force: true });
});

describe('a viewer in the console', () => {
  it('sees the data sources and backups but none of the buttons that change them', async () => {
    await page.goto(`${local.apiUrl}/data-sources`);
    const row = page.getByRole('row').filter({ hasText: 'demo (local MariaDB)' });
    await row.waitFor();
    for (const name of ['Add data source', 'Back up now', 'Test connection', 'Disable', 'Delete']) {
      expect({ name, count: await page.getByRole('button', { name, exact: true }).count() }).toEqual({
        name,
        count: 0,
      });
    }
    expect(
      await page
        .getByText(/viewer/)
        .first()
        .isVisible(),
    ).toBe(true);
    await shot('viewer-data-sources');

    await page.getByRole('link', { name: 'Backups' }).click();
    await page.getByRole('row').filter({ hasText: 'succeeded' }).first().waitFor();
    for (const name of ['Download', 'Verify', 'Restore', 'Trash']) {
      expect({ name, count: await page.getByRole('button', { name, exact: true }).count() }).toEqual({
        name,
        count: 0,
      });
    }
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).count()).toBe(
      0,
    );
    await shot('viewer-backups');
  });

  it('is refused by the API too (403 naming the role needed), whatever the page shows', async () => {
    const api = apiClient(local.apiUrl);
    const [source] = (await api.request<ApiPage<DataSource>>('GET', '/v1/data-sources')).items;
    const refused = await api
      .request('POST', `/v1/data-sources/${source?.id}/backups`, { trigger: 'manual' })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).status).toBe(403);
    expect((refused as ApiError).message).toBe('the viewer role cannot triggerBackup: it needs operator');
  });
});

const shot = (name: string) => screenshot(page, name);
