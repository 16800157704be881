import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRestore, type ApiClient } from '../../types/apiClient.ts';
import type { Backup } from '../../types/backup.ts';
import type { DataSource } from '../../types/dataSource.ts';
import type { LogLine, LogPage } from '../../types/jobLogs.ts';
import type { Restore } from '../../types/restore.ts';
import { consolePage, screenshot } from '../support/browser.ts';
import {
  addMariaDbSource,
  createItemsDatabase,
  startConsoleOnLocalMode,
  type ConsoleOnLocalMode,
  type LocalModeProcess,
} from '../support/localMode.ts';
import { rootSql } from '../support/sql.ts';

/**
 * Issue 19, the console's job pages, in headless Chromium against local mode: starting a backup or a restore lands on
 * its live page; a verification's outcome appears without a reload; detail pages are titled "source · database ·
 * time"; a running restore shows its percentage and time left; downloads are named after source, database and time;
 * at 390 px every row action is on screen without sideways scrolling. Screenshots go to test-output/console/.
 */
const DB = `jobs_${process.pid}`;
const RESTORED = `${DB}_restored`;
// Not plain ASCII, and with a character no file name may hold: the download's name must cope with both.
const SOURCE_NAME = `Jobs café/${process.pid}`;
const PHONE = { width: 390, height: 844 };

let harness: ConsoleOnLocalMode | undefined;
let local: LocalModeProcess;
let api: ApiClient;
let browser: Browser;
let page: Page;
let source: DataSource;
let backup: Backup;
let restore: Restore;
const pageErrors: string[] = [];

beforeAll(async () => {
  await createItemsDatabase(DB, 2000);
  ({ local, api, browser, page } = harness = await startConsoleOnLocalMode('keepsake-console-jobs-', pageErrors, {
    acceptDownloads: true,
  }));
  source = await addMariaDbSource(api, SOURCE_NAME, DB);
}, 240_000);

afterAll(async () => {
  await harness?.close();
  await rootSql(`DROP DATABASE IF EXISTS ${DB}; DROP DATABASE IF EXISTS ${RESTORED}`);
});

const shot = (name: string, on: Page = page) => screenshot(on, name);
/** How the page shows a time (the browser's locale and zone). */
const shown = (iso: string, on: Page = page) => on.evaluate((at) => new Date(at).toLocaleString(), iso);
const heading = (on: Page = page) => on.getByRole('heading', { level: 1 });
/** The value beside a label of the record's label/value rows. */
const field = (label: string, on: Page = page) => on.locator('dt').filter({ hasText: label }).locator('+ dd');
// Strings, not functions: the test project is compiled without the DOM library.
/** A marker set in the page's window: still there means the page was not reloaded. */
const markNoReload = () => page.evaluate('window.keepsakeNoReload = true');
const notReloaded = () => page.evaluate('window.keepsakeNoReload === true');

describe('the pages of backups and restores', () => {
  it('backs up now from the data source and lands on the backup page, titled and with its live log', async () => {
    await page.goto(`${local.apiUrl}/data-sources`);
    const row = page.getByRole('row').filter({ hasText: SOURCE_NAME });
    await row.getByRole('button', { name: 'Back up now' }).click();
    await page.waitForURL(/\/backups\/[^/]+$/);
    const backupId = decodeURIComponent(page.url().split('/').pop() ?? '');
    await page.getByRole('log', { name: 'Job log' }).getByText('backup started').waitFor({ timeout: 60_000 });
    await field('Status')
      .filter({ hasText: /^succeeded$/ })
      .waitFor({ timeout: 60_000 });
    backup = await api.request<Backup>('GET', `/v1/backups/${backupId}`);
    const title = `${SOURCE_NAME} · ${DB} · ${await shown(backup.createdAt)}`;
    expect(await heading().innerText()).toBe(title);
    expect(await page.title()).toBe(`${title} — Backup — Keepsake`);
    expect(await field('Source').innerText()).toBe(SOURCE_NAME);
    await page
      .getByRole('log', { name: 'Job log' })
      .getByText(/backup stored: /)
      .waitFor({ timeout: 30_000 });
    await shot('job-backup-detail');
  }, 120_000);

  it('verifies, and the checksum badge turns to verified without a reload', async () => {
    const badge = field('Verification').getByText(/^(unverified|verifying|verified|failed)$/);
    expect(await badge.innerText()).toBe('unverified');
    await markNoReload();
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.getByRole('button', { name: 'Verifying…' }).waitFor();
    expect(await badge.innerText()).toBe('verifying');
    await expect.poll(() => badge.innerText(), { timeout: 90_000, interval: 500 }).toBe('verified');
    expect(await notReloaded()).toBe(true);
    expect((await api.request<Backup>('GET', `/v1/backups/${backup.id}`)).verification?.status).toBe('verified');
    expect(await page.getByRole('button', { name: 'Verify', exact: true }).isEnabled()).toBe(true);
    await shot('job-backup-verified');
  }, 120_000);

  it('downloads the backup as {source}-{database}-{time}.sql.gz', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download', exact: true }).click(),
    ]);
    // The slash is not kept; the é is, through RFC 5987's filename*.
    const stamp = `${backup.createdAt.slice(0, 19).replace(/:/g, '-')}Z`;
    expect(download.suggestedFilename()).toBe(`Jobs café_${process.pid}-${DB}-${stamp}.sql.gz`);
    await download.cancel();
  });

  it('restores from the backup page and lands on the restore page, titled by its target', async () => {
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore backup' });
    expect(await dialog.getByLabel('New database name', { exact: true }).inputValue()).toBe(RESTORED);
    await dialog.getByText(`${RESTORED} does not exist`).waitFor();
    await dialog.getByRole('button', { name: 'Restore', exact: true }).click();
    await page.waitForURL(/\/restores\/[^/]+$/);
    const restoreId = decodeURIComponent(page.url().split('/').pop() ?? '');
    restore = await api.request<Restore>('GET', `/v1/restores/${restoreId}`);
    expect(restore).toMatchObject({ backupId: backup.id, targetSourceId: source.id, targetDatabase: RESTORED });
    const title = `${SOURCE_NAME} · ${RESTORED} · ${await shown(restore.createdAt)}`;
    await expect.poll(() => heading().innerText()).toBe(title);
    expect(await page.title()).toBe(`${title} — Restore — Keepsake`);
    await field('Status')
      .filter({ hasText: /^succeeded$/ })
      .waitFor({ timeout: 60_000 });
    await page
      .getByRole('log', { name: 'Job log' })
      .getByText(/restored into /)
      .waitFor({ timeout: 30_000 });
    restore = await waitForRestore(api, restoreId, 30_000);
    expect(restore.status, restore.error).toBe('succeeded');
    // Done: no progress section any more, the log has the whole story.
    expect(await page.getByRole('progressbar').count()).toBe(0);
    await shot('job-restore-detail');
  }, 120_000);

  it('shows a running restore’s percentage, pace and time left from its log', async () => {
    // The real restore is over in a second: the page is shown it as running, half read after 4 s.
    const total = backup.compressedBytes ?? 0;
    expect(total).toBeGreaterThan(1000);
    const half = Math.ceil(total / 2);
    const line = (event: string, fields: Record<string, unknown>): LogLine => ({
      time: restore.startedAt ?? restore.createdAt,
      level: 'info',
      event,
      ...fields,
    });
    const running = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    running.on('pageerror', (error) => pageErrors.push(String(error)));
    await running.route(`${local.apiUrl}/v1/restores/${restore.id}`, async (route) => {
      const { finishedAt: _f, durationMs: _d, ...record } = (await (await route.fetch()).json()) as Restore;
      await route.fulfill({ json: { ...record, status: 'running' } });
    });
    await running.route(`${local.apiUrl}/v1/restores/${restore.id}/logs*`, (route) =>
      route.fulfill({
        json: {
          lines: [
            line('start', { mode: 'restore' }),
            line('progress', { phase: 'restoring', bytesRead: half, bytesWritten: half * 5, elapsedMs: 4000 }),
          ],
          more: false,
          running: true,
        } satisfies LogPage,
      }),
    );
    await running.goto(`${local.apiUrl}/restores/${restore.id}`);
    const bar = running.getByRole('progressbar', { name: 'Restore progress' });
    await bar.waitFor();
    expect(await bar.getAttribute('aria-valuenow')).toBe('50');
    const text = running.getByRole('region', { name: 'Progress' }).getByRole('paragraph');
    expect(await text.innerText()).toMatch(/^50% · .+ of .+ · .+\/s · about 4 s left$/);
    await shot('job-restore-progress', running);
    await running.setViewportSize(PHONE);
    expect(await bar.isVisible()).toBe(true);
    await shot('job-restore-progress-phone', running);
    await running.close();
  });
});

describe('at phone width (390 px)', () => {
  let phone: Page;
  beforeAll(async () => {
    phone = await consolePage(browser, pageErrors, { viewport: PHONE });
  });
  afterAll(() => phone?.close());

  const noSidewaysScroll = async () => {
    const { scrollWidth, innerWidth } = (await phone.evaluate(
      '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
    )) as { scrollWidth: number; innerWidth: number };
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    // Nor does any card (a table's among them) scroll sideways inside the page.
    const overflowing = (await phone.evaluate(
      "[...document.querySelectorAll('.card')].map((c) => c.scrollWidth - c.clientWidth).filter((d) => d > 0)",
    )) as number[];
    expect(overflowing).toEqual([]);
  };
  /** Each of `names` in `scope`: wholly on screen horizontally and clickable (a trial click, nothing is done). */
  const reachable = async (scope: ReturnType<Page['locator']>, names: readonly string[], role: 'button' | 'link') => {
    for (const name of names) {
      const control = scope.getByRole(role, { name, exact: true }).first();
      await control.scrollIntoViewIfNeeded();
      const box = await control.boundingBox();
      expect({ name, inside: box !== null && box.x >= 0 && box.x + box.width <= PHONE.width }).toEqual({
        name,
        inside: true,
      });
      await control.click({ trial: true, timeout: 5_000 });
    }
  };

  it('lists data sources as cards whose every action is on screen', async () => {
    await phone.goto(`${local.apiUrl}/data-sources`);
    const row = phone.getByRole('row').filter({ hasText: SOURCE_NAME });
    await row.waitFor();
    await reachable(row, ['Test connection', 'Back up now', 'Edit', 'Disable', 'Delete'], 'button');
    await noSidewaysScroll();
    await shot('job-data-sources-phone', phone);
  });

  it('lists backups as cards whose every action is on screen', async () => {
    await phone.goto(`${local.apiUrl}/backups?sourceId=${encodeURIComponent(source.id)}`);
    const row = phone.getByRole('row').filter({ has: phone.locator(`a[href="/backups/${backup.id}"]`) });
    await row.waitFor();
    await reachable(row, ['Download', 'Verify', 'Restore', 'Trash'], 'button');
    expect(await row.getByText('verified', { exact: true }).isVisible()).toBe(true);
    await noSidewaysScroll();
    await shot('job-backups-phone', phone);
  });

  it('lists restores as cards whose every link is on screen', async () => {
    await phone.goto(`${local.apiUrl}/restores`);
    const row = phone.getByRole('row').filter({ has: phone.locator(`a[href="/restores/${restore.id}"]`) });
    await row.waitFor();
    await reachable(row, [await shown(restore.createdAt, phone), SOURCE_NAME], 'link');
    await noSidewaysScroll();
    await shot('job-restores-phone', phone);
  });

  it('shows the backup and restore pages without sideways scrolling, actions on screen', async () => {
    await phone.goto(`${local.apiUrl}/backups/${backup.id}`);
    await heading(phone).filter({ hasText: SOURCE_NAME }).waitFor();
    await reachable(phone.locator('main'), ['Download', 'Verify', 'Restore', 'Trash'], 'button');
    await noSidewaysScroll();
    await shot('job-backup-detail-phone', phone);
    await phone.goto(`${local.apiUrl}/restores/${restore.id}`);
    await heading(phone).filter({ hasText: RESTORED }).waitFor();
    await noSidewaysScroll();
    await shot('job-restore-detail-phone', phone);
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
