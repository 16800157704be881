import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, waitForRestore, type ApiClient } from '../../types/apiClient.ts';
import type { Page as ApiPage } from '../../types/api.ts';
import type { Backup } from '../../types/backup.ts';
import type { Restore } from '../../types/restore.ts';
import { consolePage, launchChromium, screenshot } from '../support/browser.ts';
import { startLocalMode, type LocalModeProcess } from '../support/localMode.ts';
import { mariadb } from '../support/services.ts';
import { rootSql } from '../support/sql.ts';

/**
 * The console in real headless Chromium against local mode, as a person uses it: every step through the page,
 * the API only read to check what the page claims. Screenshots of each page go to test-output/console/.
 */
const DB = `console_${process.pid}`;

let dataDir: string;
let local: LocalModeProcess;
let api: ApiClient;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const checksums = async (db: string) =>
  (await rootSql(`CHECKSUM TABLE ${db}.items`))
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t')[1]);

beforeAll(async () => {
  await rootSql(`DROP DATABASE IF EXISTS ${DB}; DROP DATABASE IF EXISTS ${DB}_restored;
    CREATE DATABASE ${DB}; USE ${DB}; CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(40));
    INSERT INTO items SELECT seq, CONCAT('item ', seq) FROM seq_1_to_500;`);
  dataDir = await mkdtemp(join(tmpdir(), 'keepsake-console-'));
  local = await startLocalMode(['--data-dir', dataDir, '--api-port', '0']);
  api = apiClient(local.apiUrl);
  browser = await launchChromium();
  page = await consolePage(browser, pageErrors, { acceptDownloads: true });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await local?.stop('SIGINT');
  await rootSql(`DROP DATABASE IF EXISTS ${DB}; DROP DATABASE IF EXISTS ${DB}_restored`);
  await rm(dataDir, { recursive: true, force: true });
});

const shot = (name: string) => screenshot(page, name);
const toast = (text: string | RegExp) =>
  page
    .getByRole('status')
    .filter({ hasText: text })
    .or(page.getByRole('alert').filter({ hasText: text }));

describe('the console in Chromium against local mode', () => {
  let backupId = '';

  it('opens on the dashboard with the demo source backed up', async () => {
    await page.goto(`${local.apiUrl}/`);
    await expect.poll(() => page.getByRole('heading', { name: 'Dashboard' }).isVisible()).toBe(true);
    const row = page.getByRole('row').filter({ hasText: 'demo (local MariaDB)' });
    await row.waitFor();
    expect(await row.getByText('succeeded').isVisible()).toBe(true);
    await shot('dashboard');
  });

  it('adds a data source: empty fields are refused with their messages first, nothing is sent', async () => {
    const before = (await api.request<ApiPage<unknown>>('GET', '/v1/data-sources')).items.length;
    await page.getByRole('link', { name: 'Data sources' }).click();
    await page.getByRole('button', { name: 'Add data source' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Add a data source' });
    await dialog.getByRole('button', { name: 'Add data source' }).click();
    for (const message of [
      'name is required',
      'host is required',
      'database is required',
      'username is required',
      'password is required',
    ]) {
      await dialog.getByText(message, { exact: true }).waitFor();
    }
    expect(await dialog.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect((await api.request<ApiPage<unknown>>('GET', '/v1/data-sources')).items).toHaveLength(before);
    await shot('data-source-field-errors');
    const db = mariadb();
    await dialog.getByLabel('Name', { exact: true }).fill('console e2e');
    await dialog.getByLabel('Engine', { exact: true }).selectOption('mariadb');
    await dialog.getByLabel('Host', { exact: true }).fill(db.host);
    await dialog.getByLabel('Port', { exact: true }).fill(String(db.port));
    await dialog.getByLabel('Database', { exact: true }).fill(DB);
    await dialog.getByLabel('Username', { exact: true }).fill(db.user);
    await dialog.getByLabel('Password', { exact: true }).fill(db.password);
    // The test MariaDB runs without certificates; the form starts at `required`.
    await dialog.getByLabel('TLS', { exact: true }).selectOption('disabled');
    await dialog.getByRole('button', { name: 'Add data source' }).click();
    await toast('Data source "console e2e" added').waitFor();
    await page.getByRole('row').filter({ hasText: 'console e2e' }).waitFor();
    await shot('data-sources');
  });

  it('schedules it with the cron builder, seeing the next 3 runs in the chosen time zone before saving', async () => {
    await page.getByRole('link', { name: 'Schedules' }).click();
    await page.getByRole('button', { name: 'New schedule' }).click();
    const dialog = page.getByRole('dialog', { name: 'New schedule' });
    await dialog.getByLabel('Data source', { exact: true }).selectOption({ label: 'console e2e' });
    await dialog.getByLabel('Time zone', { exact: true }).selectOption('Asia/Tokyo');
    await dialog.getByLabel('Repeat', { exact: true }).selectOption('raw');
    await dialog.getByLabel('Cron expression', { exact: true }).fill('0 25 * * *');
    await dialog.getByText(/hour/).first().waitFor();
    expect(await dialog.getByRole('list', { name: 'Next runs' }).count()).toBe(0);
    await dialog.getByLabel('Repeat', { exact: true }).selectOption('weekly');
    await dialog.getByLabel('Wed', { exact: true }).check();
    await dialog.getByLabel('At (time of day)', { exact: true }).fill('03:15');
    const runs = dialog.getByRole('list', { name: 'Next runs' }).getByRole('listitem');
    await expect.poll(() => runs.count()).toBe(3);
    for (const run of await runs.allTextContents()) expect(run).toMatch(/^(Mon|Wed) .* 03:15 Asia\/Tokyo/);
    await shot('schedule-form');
    await dialog.getByRole('button', { name: 'Save schedule' }).click();
    await toast('Schedule saved: weekly on Mon, Wed at 03:15 (Asia/Tokyo)').waitFor();
    const row = page.getByRole('row').filter({ hasText: 'console e2e' });
    await row.getByText('weekly on Mon, Wed at 03:15').waitFor();
    await shot('schedules');
  });

  it('tests the connection and backs up now, then watches the backup until it succeeds', async () => {
    await page.getByRole('link', { name: 'Data sources' }).click();
    const row = page.getByRole('row').filter({ hasText: 'console e2e' });
    // The source's row now names the schedule just made.
    await row.getByText('weekly on Mon, Wed at 03:15 (Asia/Tokyo)').waitFor();
    await row.getByRole('button', { name: 'Test connection' }).click();
    await toast(/Connection to "console e2e" OK: .*MariaDB/).waitFor();
    await row.getByRole('button', { name: 'Back up now' }).click();
    await page.waitForURL(/\/backups\/[\w-]+$/);
    backupId = page.url().split('/').pop() ?? '';
    await page
      .getByRole('definition')
      .filter({ hasText: /^succeeded$/ })
      .waitFor({ timeout: 60_000 });
    const record = await api.request<Backup>('GET', `/v1/backups/${backupId}`);
    expect(record.status).toBe('succeeded');
    expect(await page.getByText(record.sha256 ?? 'no checksum').isVisible()).toBe(true);
    // The runner's live log under the record, from its start line to its summary.
    const log = page.getByRole('log', { name: 'Job log' });
    await log.getByText(/backup stored: .* tables? in/).waitFor({ timeout: 30_000 });
    expect(await log.getByText('backup started').count()).toBe(1);
    expect(await log.getByText(/read → .* written/).count()).toBeGreaterThan(0);
    await shot('backup-detail');
  }, 90_000);

  it('downloads the backup: the saved file has the recorded SHA-256', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.sql\.gz$/);
    const file = join(dataDir, 'download.sql.gz');
    await download.saveAs(file);
    const record = await api.request<Backup>('GET', `/v1/backups/${backupId}`);
    expect(
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex'),
    ).toBe(record.sha256);
  });

  it('restores into a new database (the default), which ends up identical', async () => {
    await page.getByRole('button', { name: 'Restore' }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore backup' });
    expect(await dialog.getByLabel('New database name', { exact: true }).inputValue()).toBe(`${DB}_restored`);
    await shot('restore-dialog');
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await toast(/Restore .* started/).waitFor();
    // The restore's own page opens, to follow it there.
    await page.waitForURL(/\/restores\/[^/]+$/);
    const started = await api.request<Restore>('GET', `/v1/restores/${page.url().split('/').pop() ?? ''}`);
    expect(started.backupId).toBe(backupId);
    const ended = await waitForRestore(api, started.id, 60_000);
    expect(ended.status, ended.error).toBe('succeeded');
    expect(await checksums(`${DB}_restored`)).toEqual(await checksums(DB));
  }, 90_000);

  it('trashes the backup and restores it from the trash', async () => {
    await page.getByRole('link', { name: backupId }).click();
    await page.getByRole('button', { name: 'Trash' }).click();
    await toast('Backup moved to the trash').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Trash' }).click();
    const row = page.getByRole('row').filter({ hasText: 'console e2e' });
    await row.waitFor();
    await shot('trash');
    await row.getByRole('button', { name: 'Restore from trash' }).click();
    await toast('Backup restored from the trash').waitFor();
    await page.getByText('The trash is empty.').waitFor();
    expect((await api.request<Backup>('GET', `/v1/backups/${backupId}`)).trashedAt).toBeUndefined();
  });

  it('filters the backup history by source and status', async () => {
    await page.getByRole('link', { name: 'Backups' }).click();
    await page.getByLabel('Source', { exact: true }).selectOption({ label: 'console e2e' });
    await page.getByLabel('Status', { exact: true }).selectOption('succeeded');
    await page.waitForURL(/sourceId=.*status=succeeded/);
    const rows = page.getByRole('row').filter({ hasText: 'succeeded' });
    await rows.first().waitFor();
    expect(await page.getByRole('row').filter({ hasText: 'demo (local MariaDB)' }).count()).toBe(0);
    expect(await rows.count()).toBe(1);
    await shot('backups-filtered');
  });

  it('works at phone width and in dark mode, and the page raised no errors', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await shot('dashboard-phone');
    await page.getByRole('button', { name: 'Dark mode' }).click();
    expect(await page.evaluate('document.documentElement.classList.contains("dark")')).toBe(true);
    await shot('dashboard-phone-dark');
    expect(pageErrors).toEqual([]);
  });
});
