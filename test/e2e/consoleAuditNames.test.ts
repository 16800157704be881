import { AdminGetUserCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditItem, type AuditInput } from '../../functions/shared/repositories/audit.ts';
import type { LocalHttpApi } from '../../scripts/local/httpApi.ts';
import { cognitoPrincipal } from '../../types/audit.ts';
import { useTestTable } from '../support/api.ts';
import { givenAuditHistory, SHOP_NAME, type AuditHistory } from '../support/auditHistory.ts';
import { consolePage, screenshot } from '../support/browser.ts';
import { startConsoleOnLocalApi, type ConsoleOnLocalApi } from '../support/consoleOnLocalApi.ts';

/**
 * The audit log as an admin reads it in AWS, in real headless Chromium: the real API handlers (in this process,
 * behind local mode's HTTP server) over DynamoDB Local, with USER_POOL_ID set and the user pool stubbed, so console
 * users are named by e-mail; schedules, a restore and retention's trashing written by Keepsake's own services, with
 * UUIDs as in AWS. Issue 19: names instead of ids, cron in words, a filter that takes any part of a principal or an
 * e-mail, at desktop and phone width. Screenshots go to test-output/console/.
 */
const POOL = 'eu-west-1_AbCdEfGhI';
const ADA_SUB = '1b6f0c3e-2d4a-4f5b-9c8d-7e6f5a4b3c2d';
const BEN_SUB = '2c7a1d4f-3e5b-4a6c-8d9e-0f1a2b3c4d5e';
const ADA = cognitoPrincipal(ADA_SUB);
const BEN = cognitoPrincipal(BEN_SUB);
const ALICE = 'arn:aws:iam::123456789012:user/alice';
const CI = 'arn:aws:iam::123456789012:role/ci';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
/** More than a page of the console's (25) between the newest events and the people's older ones. */
const CI_EVENTS = 30;

const cognito = mockClient(CognitoIdentityProviderClient);
let harness: ConsoleOnLocalApi | undefined;
let api: LocalHttpApi;
let browser: Browser;
let history: AuditHistory;
const pageErrors: string[] = [];

beforeAll(async () => {
  const table = await useTestTable();
  process.env.USER_POOL_ID = POOL;
  for (const [sub, email] of [
    [ADA_SUB, 'ada@example.com'],
    [BEN_SUB, 'ben@example.com'],
  ] as const) {
    cognito
      .on(AdminGetUserCommand, { UserPoolId: POOL, Username: sub })
      .resolves({ Username: sub, UserAttributes: [{ Name: 'email', Value: email }] });
  }
  // Oldest: four people's events on backups since deleted, then CI's backups of the shop; newest: the history.
  const events: [string, AuditInput['action'], string][] = [
    [ADA, 'backup.delete', 'bk-1'],
    [BEN, 'backup.trash', 'bk-2'],
    [ALICE, 'backup.download', 'bk-3'],
    [ADA, 'backup.trash', 'bk-4'],
  ];
  const put = (input: AuditInput, at: number) =>
    table.client.send(new PutCommand({ TableName: table.tableName, Item: auditItem(input, new Date(at)) }));
  for (const [i, [principal, action, targetId]] of events.entries())
    await put({ principal, action, targetType: 'backup', targetId }, Date.parse('2026-03-01T12:00:00Z') + i * 60_000);
  history = await givenAuditHistory(table, { scheduler: ADA, otherScheduler: BEN, restorer: ALICE });
  for (let i = 0; i < CI_EVENTS; i++)
    await put(
      {
        principal: CI,
        action: 'backup.trigger',
        targetType: 'backup',
        targetId: history.backup.id,
        summary: `data source ${history.shopId}, trigger api`,
      },
      Date.parse('2026-03-02T00:00:00Z') + i * 60_000,
    );
  ({ api, browser } = harness = await startConsoleOnLocalApi('local:audit-names'));
}, 120_000);

afterAll(async () => {
  await harness?.close();
  delete process.env.USER_POOL_ID;
  cognito.restore();
});

const rows = (page: Page) => page.getByRole('row').filter({ has: page.getByRole('cell') });
const filters = (page: Page) => page.getByRole('search', { name: 'Filter the audit log' });
const principalField = (page: Page) => filters(page).getByLabel('Principal or e-mail');
/** The row of `action` by the person shown as `who`. */
const rowOf = (page: Page, action: string, who: string) =>
  rows(page)
    .filter({ hasText: action })
    .filter({ has: page.getByRole('button', { name: who, exact: true }) });
const cell = (row: Locator, column: number) => row.getByRole('cell').nth(column);
/** The Target (3) and Details (4) cells as shown; at phone width each starts with its label. */
const targetAndDetails = async (row: Locator) =>
  [await cell(row, 3).innerText(), await cell(row, 4).innerText()].map((text) => text.trim());

async function open(width: number, path = '/audit'): Promise<Page> {
  const page = await consolePage(browser, pageErrors, { viewport: { width, height: width < 500 ? 844 : 900 } });
  await page.goto(`${api.url}${path}`);
  await rows(page).first().waitFor({ timeout: 20_000 });
  return page;
}

/** Filters by what a person types into the principal field. */
async function typePrincipal(page: Page, text: string): Promise<void> {
  await principalField(page).fill(text);
  await filters(page).getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL((url) => url.searchParams.get('principalContains') === text);
  await page.getByText('Looking further back…').waitFor({ state: 'hidden' });
}
const principalsShown = async (page: Page) =>
  Promise.all((await rows(page).all()).map(async (row) => (await cell(row, 1).innerText()).trim()));

/**
 * How far the page, and each card of its main part (the filters, the table), reach past their width: 0 each when
 * nothing scrolls sideways. A string: this file's own code has no DOM types.
 */
const overflows = (page: Page) =>
  page.evaluate<number[]>(
    `[document.documentElement, ...document.querySelectorAll('main .card')].map((el) => el.scrollWidth - el.clientWidth)`,
  );

describe('the audit log reads by name', () => {
  it('names each target and what the summary mentions, with cron in words, and shows no UUID there', async () => {
    const page = await open(1280);
    const local = (iso: string) => page.evaluate((at) => new Date(at).toLocaleString(), iso);
    const backupTitle = `${SHOP_NAME} · shop · ${await local(history.backup.createdAt)}`;
    const goneSource = `deleted source (${history.goneId.slice(0, 8)}…)`;

    expect(await targetAndDetails(rowOf(page, 'schedule.create', 'ada@example.com'))).toEqual([
      `schedule\nweekly on Mon, Wed at 01:30 Europe/Berlin · ${SHOP_NAME}\n${history.weeklyId.slice(0, 8)}`,
      `weekly on Mon, Wed at 01:30 Europe/Berlin for data source ${SHOP_NAME}`,
    ]);
    // Ben's schedule and its source are gone since.
    const goneSchedule = `schedule\ndeleted schedule (${history.nightlyId.slice(0, 8)}…)`;
    expect(await targetAndDetails(rowOf(page, 'schedule.create', 'ben@example.com'))).toEqual([
      goneSchedule,
      `daily at 02:00 UTC for ${goneSource}`,
    ]);
    expect(await targetAndDetails(rowOf(page, 'schedule.delete', 'ben@example.com'))).toEqual([
      goneSchedule,
      `schedule of ${goneSource}`,
    ]);
    const restore = rowOf(page, 'restore.start', ALICE);
    expect(await targetAndDetails(restore)).toEqual([
      `restore\n→ ${SHOP_NAME}/shop_copy\n${history.restoreId.slice(0, 8)}`,
      `backup ${backupTitle} into data source ${SHOP_NAME}, database shop_copy`,
    ]);
    expect(await restore.getByRole('link', { name: `→ ${SHOP_NAME}/shop_copy` }).getAttribute('href')).toBe(
      `/restores/${history.restoreId}`,
    );
    // The whole id stays at hand, in the short id's title.
    expect(await cell(restore, 3).locator('code').getAttribute('title')).toBe(history.restoreId);

    // Retention, with its reason; the backup's source has been deleted since.
    const retention = rowOf(page, 'backup.trash', 'Retention');
    expect((await cell(retention, 1).innerText()).trim()).toBe('Retention\nkeepsake:retention');
    const goneBackup = `${goneSource} · shop · ${await local(history.goneBackup.createdAt)}`;
    expect(await targetAndDetails(retention)).toEqual([
      `backup\n${goneBackup}\n${history.goneBackup.id.slice(0, 8)}`,
      `${goneSource}: ${history.retentionReason}`,
    ]);
    expect(await targetAndDetails(rows(page).filter({ hasText: 'backup.trigger' }).first())).toEqual([
      `backup\n${backupTitle}\n${history.backup.id.slice(0, 8)}`,
      `data source ${SHOP_NAME}, trigger api`,
    ]);

    for (const row of await rows(page).all())
      for (const text of await targetAndDetails(row)) expect(text).not.toMatch(UUID);
    await screenshot(page, 'audit-names');
  });

  it('filters by any part of an e-mail in any case, finding events older than the first page', async () => {
    const page = await open(1280);
    await typePrincipal(page, 'BEN@Example');

    await expect.poll(() => principalsShown(page)).toEqual(Array(3).fill(`ben@example.com\n${BEN}`));
    expect(await rows(page).nth(2).innerText()).toContain('backup.trash');
    await screenshot(page, 'audit-filter-part-of-email');

    await typePrincipal(page, 'user/ALI');
    await expect.poll(() => principalsShown(page)).toEqual([ALICE, ALICE]);
    await typePrincipal(page, 'retention');
    await expect.poll(() => principalsShown(page)).toEqual(['Retention\nkeepsake:retention']);
    await typePrincipal(page, 'nobody');
    await page.getByText('No events match these filters.').waitFor();
  });

  it("filters by exactly a person's principal when their name is clicked, and shows it in the field", async () => {
    const page = await open(1280);
    await page.getByRole('button', { name: 'ada@example.com' }).first().click();
    await page.waitForURL((url) => url.searchParams.get('principal') === ADA);

    await expect.poll(() => rows(page).count()).toBe(3);
    expect(await principalField(page).inputValue()).toBe(ADA);
    expect(new Set(await principalsShown(page))).toEqual(new Set([`ada@example.com\n${ADA}`]));
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => rows(page).count()).toBe(25);
  });

  it('shows the same at 390 px as labelled cards, nothing wider than the screen', async () => {
    const page = await open(390);
    const restore = rowOf(page, 'restore.start', ALICE);
    expect((await targetAndDetails(restore))[0]).toBe(
      `Target\nrestore\n→ ${SHOP_NAME}/shop_copy\n${history.restoreId.slice(0, 8)}`,
    );
    expect(await overflows(page)).toEqual([0, 0, 0]);
    await screenshot(page, 'audit-names-phone');

    await typePrincipal(page, 'ada@');
    await expect.poll(() => rows(page).count()).toBe(3);
    expect(await overflows(page)).toEqual([0, 0, 0]);
    await screenshot(page, 'audit-filter-part-of-email-phone');
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
