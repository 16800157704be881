import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, waitForBackup, waitForRestore, type ApiClient } from '../../types/apiClient.ts';
import type { Backup } from '../../types/backup.ts';
import type { TriggerBackupResponse } from '../../types/backupApi.ts';
import type { DataSource } from '../../types/dataSource.ts';
import type { CreateRestoreResponse, Restore } from '../../types/restore.ts';
import { shortId } from '../../web/src/format.ts';
import { consolePage, launchChromium, screenshot } from '../support/browser.ts';
import { addMariaDbSource, createItemsDatabase, startLocalMode, type LocalModeProcess } from '../support/localMode.ts';
import { rootSql } from '../support/sql.ts';

/**
 * Rolling a restore back from the console, in headless Chromium against local mode: a restore over a live database
 * (automatic rollback asked for), then Roll back on its page puts back exactly what the database held before
 * (CHECKSUM TABLE). A viewer afterwards sees the safety backups but none of the buttons.
 */
const DB = `rollback_${process.pid}`;
const SOURCE_NAME = `rollback e2e ${process.pid}`;
const TRAP = `${DB}_trap`;

let dataDir: string;
let local: LocalModeProcess;
let api: ApiClient;
let browser: Browser;
let page: Page;
let source: DataSource;
let backupId: string;
const pageErrors: string[] = [];

const checksum = async () => (await rootSql(`CHECKSUM TABLE ${DB}.items`)).trim().split('\t')[1];
const shot = (name: string) => screenshot(page, name);
// A string, not a function: the test project is compiled without the DOM library.
const FOCUSED_NAME = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const label = el.labels && el.labels[0] ? el.labels[0].textContent : el.textContent;
  return (label || '').trim();
})()`;
/** The accessible name of what has the focus (its label, or its text), or null when nothing has. */
const focusedName = async () => (await page.evaluate(FOCUSED_NAME)) as string | null;

beforeAll(async () => {
  await createItemsDatabase(DB, 300);
  dataDir = await mkdtemp(join(tmpdir(), 'keepsake-console-rollback-'));
  local = await startLocalMode(['--data-dir', dataDir, '--api-port', '0']);
  api = apiClient(local.apiUrl);
  source = await addMariaDbSource(api, SOURCE_NAME, DB);
  ({ backupId } = await api.request<TriggerBackupResponse>('POST', `/v1/data-sources/${source.id}/backups`, {
    trigger: 'api',
  }));
  const backup = await waitForBackup(api, backupId, 90_000);
  if (backup.status !== 'succeeded') throw new Error(`backup ${backupId} ${backup.status}: ${backup.error}`);
  browser = await launchChromium();
  page = await consolePage(browser, pageErrors, { acceptDownloads: true });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await local?.stop('SIGINT');
  await rootSql(
    `DROP DATABASE IF EXISTS ${DB}; DROP DATABASE IF EXISTS ${DB}_restored; DROP DATABASE IF EXISTS ${TRAP}`,
  );
  await rm(dataDir, { recursive: true, force: true });
});

describe('rolling a restore back in the console', () => {
  let atBackup = '';
  let beforeRestore = '';
  let restore: Restore;
  let rollback: Restore;
  /** The newest rollback, rolled back by nobody: an admin would see Roll back on it. */
  let latest: Restore;

  it('restores a backup over the live database with automatic rollback asked for', async () => {
    atBackup = (await checksum()) ?? '';
    await rootSql(`USE ${DB}; UPDATE items SET label = 'changed since the backup' WHERE id <= 50;
      INSERT INTO items SELECT seq, CONCAT('new ', seq) FROM seq_301_to_320;`);
    beforeRestore = (await checksum()) ?? '';
    expect(beforeRestore).not.toBe(atBackup);

    await page.goto(`${local.apiUrl}/backups/${backupId}`);
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore backup' });
    await dialog.getByLabel(/Over the source's database/).check();
    await dialog.getByRole('note', { name: 'What will be overwritten' }).waitFor();
    // The promise it makes is the one the restore page keeps: Roll back, not "restoring it undoes this restore".
    await dialog.getByText(/Roll back there puts back the tables and views/).waitFor();
    await dialog.getByLabel(`Type ${DB} to confirm`, { exact: true }).fill(DB);
    await dialog.getByLabel('Roll back automatically if the restore fails').check();
    await shot('restore-dialog-rollback-on-failure');
    await dialog.getByRole('button', { name: 'Restore', exact: true }).click();
    // The restore's own page opens, to follow it there.
    await page.waitForURL(/\/restores\/[^/]+$/);
    const restoreId = decodeURIComponent(page.url().split('/').pop() ?? '');

    restore = await waitForRestore(api, restoreId, 90_000);
    expect(restore.status, restore.error).toBe('succeeded');
    expect(restore.rollbackOnFailure).toBe(true);
    expect(restore.safetyBackupId).toBeDefined();
    expect(await checksum()).toBe(atBackup);
  }, 120_000);

  it('links the safety backup on the restore page, restorable and downloadable', async () => {
    await page.goto(`${local.apiUrl}/restores/${restore.id}`);
    const panel = page.getByRole('region', { name: 'Safety backup' });
    const link = panel.getByRole('link', { name: `Safety backup of ${SOURCE_NAME}/${DB}` });
    expect(await link.getAttribute('href')).toBe(`/backups/${restore.safetyBackupId}`);
    await panel.getByText('taken before this restore').waitFor();
    expect(await page.getByRole('definition').filter({ hasText: 'roll back automatically' }).count()).toBe(1);
    await shot('restore-safety-backup');

    // Restore opens the usual dialog preset with the safety backup; Escape gives the focus back to the button.
    const restoreButton = panel.getByRole('button', { name: 'Restore', exact: true });
    await restoreButton.click();
    const dialog = page.getByRole('dialog', { name: 'Restore backup' });
    await dialog.getByText(`Backup of ${DB} from`).waitFor();
    expect(await dialog.getByLabel('New database name', { exact: true }).inputValue()).toBe(`${DB}_restored`);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    // Radix gives the focus back in a timer once the dialog has left the page.
    await expect.poll(focusedName, { timeout: 5_000 }).toBe('Restore');

    const safety = await api.request<Backup>('GET', `/v1/backups/${restore.safetyBackupId}`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      panel.getByRole('button', { name: 'Download', exact: true }).click(),
    ]);
    const file = join(dataDir, 'safety.sql.gz');
    await download.saveAs(file);
    expect(
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex'),
    ).toBe(safety.sha256);
  });

  it('rolls back once the name is typed, then follows the rollback to its end', async () => {
    const panel = page.getByRole('region', { name: 'Safety backup' });
    await panel.getByRole('button', { name: 'Roll back', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Roll back restore ${restore.id}` });
    await dialog.getByText(/kept first, in a new safety backup/).waitFor();
    const confirm = dialog.getByLabel(`Type ${DB} to confirm`, { exact: true });
    // The focus lands in the dialog's one field, so the name can be typed at once.
    await expect.poll(focusedName).toBe(`Type ${DB} to confirm`);
    const submit = dialog.getByRole('button', { name: 'Roll back', exact: true });
    await page.keyboard.type(DB.toUpperCase());
    expect(await submit.isDisabled()).toBe(true);
    await confirm.fill(DB);
    await shot('rollback-dialog');
    await page.keyboard.press('Enter');

    await page.waitForURL((url) => /\/restores\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith(restore.id));
    const rollbackId = decodeURIComponent(page.url().split('/').pop() ?? '');
    await page.getByText(`Rollback of restore ${restore.id}`).waitFor();
    await page
      .getByRole('definition')
      .filter({ hasText: /^succeeded$/ })
      .waitFor({ timeout: 90_000 });
    rollback = await api.request<Restore>('GET', `/v1/restores/${rollbackId}`);
    expect(rollback).toMatchObject({
      status: 'succeeded',
      rollbackOf: restore.id,
      backupId: restore.safetyBackupId,
      targetSourceId: source.id,
      targetDatabase: DB,
    });
    expect(await checksum()).toBe(beforeRestore);
    // The rollback is protected by a safety backup of its own, so it can be rolled back in turn.
    const ownPanel = page.getByRole('region', { name: 'Safety backup' });
    await ownPanel.getByRole('button', { name: 'Roll back', exact: true }).waitFor();
    await shot('rollback-restore');

    await page.getByRole('link', { name: `restore ${restore.id}`, exact: true }).click();
    const original = page.getByRole('region', { name: 'Safety backup' });
    await original.getByText(`Rolled back by restore ${rollbackId}`).waitFor();
    expect(await original.getByRole('button', { name: 'Roll back', exact: true }).count()).toBe(0);
    expect((await api.request<Restore>('GET', `/v1/restores/${restore.id}`)).rolledBackBy).toBe(rollbackId);
  }, 120_000);

  it('labels safety backups with their restore in the backup page and list, and rollbacks in the restores list', async () => {
    await page
      .getByRole('region', { name: 'Safety backup' })
      .getByRole('link', { name: `Safety backup of ${SOURCE_NAME}/${DB}` })
      .click();
    const trigger = page.getByRole('definition').filter({ hasText: 'Safety backup before restore' });
    expect(await trigger.getByRole('link', { name: `restore ${restore.id}` }).getAttribute('href')).toBe(
      `/restores/${restore.id}`,
    );
    await shot('safety-backup-detail');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Backups' }).click();
    const row = page.getByRole('row').filter({ hasText: `Safety backup before restore ${shortId(restore.id)}` });
    await row.first().waitFor();
    expect(await row.count()).toBe(1);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Restores' }).click();
    const rows = page.getByRole('row');
    await rows.filter({ hasText: 'rollback' }).first().waitFor();
    expect(await rows.filter({ hasText: `Rollback of restore ${restore.id}` }).count()).toBe(1);
    expect(await rows.filter({ hasText: `Rolled back by restore ${rollback.id}` }).count()).toBe(1);
    await shot('restores-with-rollback');
  });

  it("shows the API's refusal in the dialog when someone else rolled back first", async () => {
    await page.goto(`${local.apiUrl}/restores/${rollback.id}`);
    await page.getByRole('region', { name: 'Safety backup' }).getByRole('button', { name: 'Roll back' }).click();
    const dialog = page.getByRole('dialog', { name: `Roll back restore ${rollback.id}` });
    await dialog.getByLabel(`Type ${DB} to confirm`, { exact: true }).fill(DB);
    const { restoreId } = await api.request<CreateRestoreResponse>('POST', `/v1/restores/${rollback.id}/rollback`, {
      confirmDatabase: DB,
    });
    await dialog.getByRole('button', { name: 'Roll back', exact: true }).click();
    await dialog
      .getByRole('alert')
      .filter({
        hasText: `Could not roll back: restore ${rollback.id} was already rolled back by restore ${restoreId}`,
      })
      .waitFor();
    expect(page.url()).toBe(`${local.apiUrl}/restores/${rollback.id}`);
    await shot('rollback-refused');
    await page.keyboard.press('Escape');
    latest = await waitForRestore(api, restoreId, 90_000);
    expect(latest.status, latest.error).toBe('succeeded');
    await page.goto(`${local.apiUrl}/restores/${latest.id}`);
    await page.getByRole('region', { name: 'Safety backup' }).getByRole('button', { name: 'Roll back' }).waitFor();
  }, 120_000);

  it('shows a failed restore that rolled itself back, on its page and in the list', async () => {
    await rootSql(`DROP DATABASE IF EXISTS ${TRAP}; CREATE DATABASE ${TRAP}; USE ${TRAP};
      CREATE TABLE base (id INT PRIMARY KEY, label VARCHAR(40)); INSERT INTO base VALUES (7, 'seven');
      CREATE VIEW items AS SELECT * FROM base;`);
    // The backup's CREATE TABLE items meets the view named items: the restore fails after its safety backup.
    const { restoreId } = await api.request<CreateRestoreResponse>('POST', '/v1/restores', {
      backupId,
      targetSourceId: source.id,
      targetDatabase: TRAP,
      confirmDatabase: TRAP,
      rollbackOnFailure: true,
    });
    const failed = await waitForRestore(api, restoreId, 90_000);
    expect(failed.status).toBe('failed');
    expect(failed.autoRollback?.status, failed.autoRollback?.error).toBe('succeeded');
    expect(await rootSql(`SELECT id, label FROM ${TRAP}.items`)).toBe('7\tseven\n');

    await page.goto(`${local.apiUrl}/restores/${restoreId}`);
    await page
      .getByRole('status')
      .filter({ hasText: `Rolled back automatically at` })
      .filter({ hasText: `${TRAP} was put back from its safety backup` })
      .waitFor();
    const panel = page.getByRole('region', { name: 'Safety backup' });
    await panel.getByRole('link', { name: `Safety backup of ${SOURCE_NAME}/${TRAP}` }).waitFor();
    // Put back already: no second Roll back, but the safety backup can still be restored elsewhere. The actions
    // appear once the safety backup's record has loaded: wait for them before counting.
    await panel.getByRole('button', { name: 'Restore', exact: true }).waitFor();
    expect(await panel.getByRole('button', { name: 'Restore', exact: true }).count()).toBe(1);
    expect(await panel.getByRole('button', { name: 'Roll back', exact: true }).count()).toBe(0);
    await shot('restore-rolled-back-automatically');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Restores' }).click();
    const row = page.getByRole('row').filter({ hasText: 'rolled back automatically' });
    await row.waitFor();
    expect(await row.locator(`a[href="/restores/${restoreId}"]`).count()).toBe(1);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('shows a viewer the safety backups but no Roll back, Restore or Download', async () => {
    await local.stop('SIGINT');
    local = await startLocalMode(['--data-dir', dataDir, '--api-port', '0', '--role', 'viewer']);
    await page.goto(`${local.apiUrl}/restores/${latest.id}`);
    const panel = page.getByRole('region', { name: 'Safety backup' });
    await panel.getByRole('link', { name: `Safety backup of ${SOURCE_NAME}/${DB}` }).waitFor();
    for (const name of ['Roll back', 'Restore', 'Download']) {
      expect({ name, count: await panel.getByRole('button', { name, exact: true }).count() }).toEqual({
        name,
        count: 0,
      });
    }
    await shot('viewer-rollback-restore');
  }, 240_000);
});
