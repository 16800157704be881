import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../types/apiClient.ts';
import type { Page as ApiPage } from '../../types/api.ts';
import type { DataSource } from '../../types/dataSource.ts';
import { screenshot } from '../support/browser.ts';
import { startConsoleOnLocalMode, type ConsoleOnLocalMode, type LocalModeProcess } from '../support/localMode.ts';
import { mariadb } from '../support/services.ts';
import { rootSql } from '../support/sql.ts';

/**
 * The add/edit data-source dialog in headless Chromium against local mode and the shared MariaDB: "Test connection"
 * before anything is saved, a wrong password explained in plain words with the server's message beneath, the right
 * one connecting; saving tests first, saves nothing on a failure unless asked to save disabled.
 */
const DB = `dialog_${process.pid}`;
const NAME = `dialog e2e ${process.pid}`;

let harness: ConsoleOnLocalMode | undefined;
let local: LocalModeProcess;
let api: ApiClient;
let page: Page;
const pageErrors: string[] = [];

const sources = async () => (await api.request<ApiPage<DataSource>>('GET', '/v1/data-sources')).items;
const toast = (text: string | RegExp) =>
  page
    .getByRole('status')
    .filter({ hasText: text })
    .or(page.getByRole('alert').filter({ hasText: text }));

beforeAll(async () => {
  await rootSql(`DROP DATABASE IF EXISTS ${DB}; CREATE DATABASE ${DB};`);
  ({ local, api, page } = harness = await startConsoleOnLocalMode('keepsake-console-dialog-', pageErrors));
}, 240_000);

afterAll(async () => {
  await harness?.close();
  await rootSql(`DROP DATABASE IF EXISTS ${DB}`);
});

/** Fills the add dialog with the shared MariaDB's settings and `password`. */
async function fill(dialog: Locator, name: string, password: string): Promise<void> {
  const db = mariadb();
  await dialog.getByLabel('Name', { exact: true }).fill(name);
  await dialog.getByLabel('Engine', { exact: true }).selectOption('mariadb');
  await dialog.getByLabel('Host', { exact: true }).fill(db.host);
  await dialog.getByLabel('Port', { exact: true }).fill(String(db.port));
  await dialog.getByLabel('Database', { exact: true }).fill(DB);
  await dialog.getByLabel('Username', { exact: true }).fill(db.user);
  await dialog.getByLabel('Password', { exact: true }).fill(password);
  // The test MariaDB runs without certificates; the form starts at `required`.
  await dialog.getByLabel('TLS', { exact: true }).selectOption('disabled');
}

describe('the data-source dialog tests the connection', () => {
  it('explains a wrong password in plain words with the server message beneath, before anything is saved', async () => {
    await page.goto(`${local.apiUrl}/data-sources`);
    await page.getByRole('button', { name: 'Add data source' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Add a data source' });
    await fill(dialog, NAME, 'not-the-password');
    await dialog.getByRole('button', { name: 'Test connection' }).click();
    const result = dialog.getByRole('alert').filter({ hasText: 'The server refused the login' });
    await result.waitFor();
    expect(await result.textContent()).toContain(`did not accept user "${mariadb().user}" with this password`);
    expect(await result.getByText(/^ERROR 1045 \(28000\): Access denied for user 'keepsake'@/).isVisible()).toBe(true);
    expect((await sources()).map((s) => s.name)).not.toContain(NAME);
    await screenshot(page, 'data-source-test-wrong-password');
    await page.setViewportSize({ width: 390, height: 844 });
    await result.scrollIntoViewIfNeeded();
    await screenshot(page, 'data-source-test-wrong-password-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('saves nothing when the test on save fails, and the right password then connects and saves enabled', async () => {
    const dialog = page.getByRole('dialog', { name: 'Add a data source' });
    await dialog.getByRole('button', { name: 'Add data source' }).click();
    await dialog.getByRole('button', { name: 'Save anyway, disabled' }).waitFor();
    expect((await sources()).map((s) => s.name)).not.toContain(NAME);

    await dialog.getByLabel('Password', { exact: true }).fill(mariadb().password);
    // The failed result spoke for the old password: it goes with the edit.
    await expect.poll(() => dialog.getByRole('alert').count()).toBe(0);
    await dialog.getByRole('button', { name: 'Test connection' }).click();
    const connected = dialog.getByRole('status').filter({ hasText: /Connected to \d+\.\d+\.\d+.*MariaDB/ });
    await connected.waitFor();
    expect(await dialog.getByText('TLS none, answered in').isVisible()).toBe(true);
    await screenshot(page, 'data-source-test-connected');
    await page.setViewportSize({ width: 390, height: 844 });
    await connected.scrollIntoViewIfNeeded();
    await screenshot(page, 'data-source-test-connected-phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    await dialog.getByRole('button', { name: 'Add data source' }).click();
    await toast(`Data source "${NAME}" added`).waitFor();
    expect((await sources()).find((s) => s.name === NAME)?.enabled).toBe(true);
  });

  it('saves a source whose test failed only when asked to, and then disabled', async () => {
    await page.getByRole('button', { name: 'Add data source' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Add a data source' });
    await fill(dialog, `${NAME} later`, 'will-be-set-later');
    await dialog.getByRole('button', { name: 'Add data source' }).click();
    await dialog.getByRole('button', { name: 'Save anyway, disabled' }).click();
    await toast(`Data source "${NAME} later" added, disabled`).waitFor();
    expect((await sources()).find((s) => s.name === `${NAME} later`)?.enabled).toBe(false);
  });

  it('on edit, tries the changed fields with the stored password when none is typed', async () => {
    const row = page.getByRole('row').filter({ hasText: new RegExp(`^${NAME}(?! later)`) });
    await row.getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog', { name: `Edit "${NAME}"` });
    await dialog.getByLabel('Database', { exact: true }).fill('no_such_shop');
    await dialog.getByRole('button', { name: 'Test connection' }).click();
    const result = dialog.getByRole('alert').filter({ hasText: 'The database does not exist' });
    await result.waitFor();
    expect(await result.getByText("ERROR 1049 (42000): Unknown database 'no_such_shop'").isVisible()).toBe(true);
    await screenshot(page, 'data-source-edit-test-unknown-database');
    await dialog.getByLabel('Database', { exact: true }).fill(DB);
    await dialog.getByRole('button', { name: 'Test connection' }).click();
    await dialog.getByRole('status').filter({ hasText: 'Connected to' }).waitFor();
    expect(pageErrors).toEqual([]);
  });
});
