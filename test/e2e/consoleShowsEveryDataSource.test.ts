import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../types/apiClient.ts';
import { startConsoleOnLocalMode, type ConsoleOnLocalMode, type LocalModeProcess } from '../support/localMode.ts';
import { mariadb } from '../support/services.ts';

/**
 * More data sources than one page of the API holds (100): the console's list and its source pickers must still show
 * the last one, in real headless Chromium against local mode.
 */
const COUNT = 101;
const nameOf = (n: number) => `many e2e ${String(n).padStart(3, '0')}`;
const LAST = nameOf(COUNT);

let harness: ConsoleOnLocalMode | undefined;
let local: LocalModeProcess;
let api: ApiClient;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  ({ local, api, page } = harness = await startConsoleOnLocalMode('keepsake-console-many-', pageErrors));
  const db = mariadb();
  for (let n = 1; n <= COUNT; n++)
    await api.createDataSource({
      name: nameOf(n),
      engine: 'mariadb',
      host: db.host,
      port: db.port,
      database: 'many',
      username: db.user,
      password: db.password,
      tls: { mode: 'disabled' },
    });
}, 420_000);

afterAll(async () => {
  await harness?.close();
});

describe('a console with more data sources than one page of the API', () => {
  it('has more than a page to show (the API pages at 100)', async () => {
    const first = await api.listDataSources({ limit: 100 });
    expect(first.items).toHaveLength(100);
    expect(first.nextCursor).toBeDefined();
  });

  it('lists the 101st on the Data sources page', async () => {
    await page.goto(`${local.apiUrl}/data-sources`);
    await page.getByRole('heading', { name: 'Data sources' }).waitFor();
    await page.getByText(LAST, { exact: true }).first().waitFor({ timeout: 15_000 });
  });

  it('offers the 101st in the Backups page source picker', async () => {
    await page.goto(`${local.apiUrl}/backups`);
    const picker = page.getByRole('combobox', { name: 'Source' });
    await expect.poll(() => picker.locator('option').allInnerTexts(), { timeout: 15_000 }).toContain(LAST);
    expect(await picker.locator('option').count()).toBeGreaterThan(COUNT);
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
