import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForBackup, waitForRestore, type ApiClient } from '../../types/apiClient.ts';
import type { Backup } from '../../types/backup.ts';
import type { TriggerBackupResponse } from '../../types/backupApi.ts';
import type { ConsoleConfig } from '../../types/consoleConfig.ts';
import type { DataSource } from '../../types/dataSource.ts';
import type { CreateRestoreResponse, Restore } from '../../types/restore.ts';
import { formatDuration } from '../../web/src/format.ts';
import { screenshot } from '../support/browser.ts';
import {
  addMariaDbSource,
  createItemsDatabase,
  startConsoleOnLocalMode,
  type ConsoleOnLocalMode,
  type LocalModeProcess,
} from '../support/localMode.ts';
import { rootSql } from '../support/sql.ts';

/**
 * The console's history pages (Restores, Audit log) in real headless Chromium against local mode. The history is
 * made through the API (a data source, a backup of it, a restore into a new database); the pages must show it as
 * the API recorded it. Screenshots go to test-output/console/.
 */
const DB = `history_${process.pid}`;
const RESTORED = `${DB}_restored`;
const SOURCE_NAME = `history e2e ${process.pid}`;
/** Disable/enable pairs made after the source's creation: 26 newer events push `dataSource.create` off the first page of 25. */
const TOGGLES = 13;

let harness: ConsoleOnLocalMode | undefined;
let local: LocalModeProcess;
let api: ApiClient;
let page: Page;
let principal: string;
let source: DataSource;
let backupId: string;
let restore: Restore;
const pageErrors: string[] = [];

beforeAll(async () => {
  await createItemsDatabase(DB, 200);
  ({ local, api, page } = harness = await startConsoleOnLocalMode('keepsake-console-history-', pageErrors));
  const config = (await (await fetch(`${local.apiUrl}/config.json`)).json()) as ConsoleConfig;
  if (config.auth.kind !== 'local') throw new Error(`local mode serves auth kind ${config.auth.kind}`);
  principal = config.auth.principal;

  source = await addMariaDbSource(api, SOURCE_NAME, DB);
  for (let i = 0; i < TOGGLES; i++) {
    await api.request('POST', `/v1/data-sources/${source.id}/disable`, {});
    await api.request('POST', `/v1/data-sources/${source.id}/enable`, {});
  }
  ({ backupId } = await api.request<TriggerBackupResponse>('POST', `/v1/data-sources/${source.id}/backups`, {
    trigger: 'api',
  }));
  const backup = await waitForBackup(api, backupId, 90_000);
  if (backup.status !== 'succeeded') throw new Error(`backup ${backupId} ${backup.status}: ${backup.error}`);
  const { restoreId } = await api.request<CreateRestoreResponse>('POST', '/v1/restores', {
    backupId,
    targetSourceId: source.id,
    targetDatabase: RESTORED,
    confirmDatabase: RESTORED,
  });
  restore = await waitForRestore(api, restoreId, 90_000);
  if (restore.status !== 'succeeded') throw new Error(`restore ${restoreId} ${restore.status}: ${restore.error}`);
}, 420_000);

afterAll(async () => {
  await harness?.close();
  await rootSql(`DROP DATABASE IF EXISTS ${DB}; DROP DATABASE IF EXISTS ${RESTORED}`);
});

const shot = (name: string) => screenshot(page, name);
/** A time as the page shows it (the browser's locale and zone). */
const shown = (iso: string) => page.evaluate((at) => new Date(at).toLocaleString(), iso);
const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

describe('the console history pages in Chromium against local mode', () => {
  it('lists the restore as succeeded, into its target source and new database, linked to its backup', async () => {
    await page.goto(`${local.apiUrl}/`);
    await nav('Restores').click();
    await page.getByRole('heading', { name: 'Restores' }).waitFor();
    const row = page.getByRole('row').filter({ hasText: RESTORED });
    await row.waitFor();
    expect(await row.count()).toBe(1);
    // Source names arrive with their own query: wait for them rather than read the row before they do.
    await expect
      .poll(() => row.getByRole('cell').nth(2).innerText(), { timeout: 10_000 })
      .toBe(`${SOURCE_NAME}\n${RESTORED}`);
    const [requested, backup, , status, , duration, safety] = (await row.getByRole('cell').allInnerTexts()).map((c) =>
      c.trim(),
    );
    expect(requested).toContain(principal);
    expect(backup).toBe(`${SOURCE_NAME}\n${backupId.slice(0, 8)}`);
    expect(status).toBe('succeeded');
    expect(duration).toBe(formatDuration(restore.durationMs));
    // Into a new database: nothing was overwritten, so no safety backup was taken.
    expect(restore.safetyBackupKey).toBeUndefined();
    expect(safety).toBe('—');
    await shot('restores');

    await row.getByRole('link', { name: SOURCE_NAME }).click();
    await page.waitForURL(new RegExp(`/backups/${backupId}$`));
    const record = await api.request<Backup>('GET', `/v1/backups/${backupId}`);
    await page.getByRole('heading', { name: `${SOURCE_NAME} · ${DB} · ${await shown(record.createdAt)}` }).waitFor();
  });

  it('opens the restore on its own page', async () => {
    await nav('Restores').click();
    await page.getByRole('row').filter({ hasText: RESTORED }).getByRole('link').first().click();
    await page.waitForURL(new RegExp(`/restores/${restore.id}$`));
    await page
      .getByRole('heading', { name: `${SOURCE_NAME} · ${RESTORED} · ${await shown(restore.createdAt)}` })
      .waitFor();
    const target = page.getByRole('definition').filter({ hasText: `${SOURCE_NAME} / ${RESTORED}` });
    expect(await target.count()).toBe(1);
    expect(
      await page
        .getByRole('definition')
        .filter({ hasText: /^succeeded$/ })
        .count(),
    ).toBe(1);
  });

  it('lists the restore and, a page further, the data source creation, each with the local principal', async () => {
    await nav('Audit log').click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const rows = page.getByRole('row').filter({ has: page.getByRole('cell') });
    // Each target by name, linked to its page, its id cut short beneath with the whole id in the title.
    const restoreName = `→ ${SOURCE_NAME}/${RESTORED}`;
    const restoreRow = rows
      .filter({ hasText: 'restore.start' })
      .filter({ has: page.getByRole('link', { name: restoreName, exact: true }) });
    await restoreRow.waitFor();
    expect(await restoreRow.count()).toBe(1);
    const [, who, action, target, details] = (await restoreRow.getByRole('cell').allInnerTexts()).map((c) => c.trim());
    expect(who).toBe(principal);
    expect(action).toBe('restore.start');
    expect(target).toBe(`restore\n${restoreName}\n${restore.id.slice(0, 8)}`);
    expect(await restoreRow.getByRole('cell').nth(3).locator('code').getAttribute('title')).toBe(restore.id);
    expect(await restoreRow.getByRole('link', { name: restoreName }).getAttribute('href')).toBe(
      `/restores/${restore.id}`,
    );
    // The summary names the backup as its page is titled and the source by name, with no id left in it.
    const backup = await api.request<Backup>('GET', `/v1/backups/${backupId}`);
    expect(details).toBe(
      `backup ${SOURCE_NAME} · ${DB} · ${await shown(backup.createdAt)} into data source ${SOURCE_NAME}, database ${RESTORED}`,
    );
    expect(details).not.toContain(backupId);
    expect(details).not.toContain(source.id);
    expect(await rows.filter({ hasText: 'dataSource.disable' }).count()).toBeGreaterThan(0);

    // 26 enable/disable events, the backup and the restore are newer than the creation: it is past the first page.
    const createRow = rows
      .filter({ hasText: 'dataSource.create' })
      .filter({ has: page.getByRole('link', { name: SOURCE_NAME, exact: true }) });
    expect(await createRow.count()).toBe(0);
    await page.getByRole('button', { name: 'Load more' }).click();
    await createRow.waitFor();
    expect(await createRow.count()).toBe(1);
    expect((await createRow.getByRole('cell').nth(3).innerText()).trim()).toBe(
      `data source\n${SOURCE_NAME}\n${source.id.slice(0, 8)}`,
    );
    expect(await createRow.getByRole('cell').nth(3).locator('code').getAttribute('title')).toBe(source.id);
    const [, creator, , , summary] = (await createRow.getByRole('cell').allInnerTexts()).map((c) => c.trim());
    expect(creator).toBe(principal);
    expect(summary).toContain(`"${SOURCE_NAME}" (mariadb`);
    expect(summary).toContain(`/${DB})`);
    await shot('audit');
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
