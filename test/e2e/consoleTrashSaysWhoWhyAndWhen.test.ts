import { AdminGetUserCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trashBackup } from '../../functions/backups/trashService.ts';
import { applyRetention } from '../../functions/retention/retentionService.ts';
import { transactNamedItems } from '../../functions/shared/repositories/transactions.ts';
import { putNewSchedule } from '../../functions/shared/repositories/schedules.ts';
import type { TableRef } from '../../functions/shared/repositories/table.ts';
import type { LocalHttpApi } from '../../scripts/local/httpApi.ts';
import { cognitoPrincipal } from '../../types/audit.ts';
import { DEFAULT_RETENTION } from '../../types/schedule.ts';
import { backupRecord, seedSource } from '../integration/api/backupApi.ts';
import { useTestTable } from '../support/api.ts';
import { seedWithObjects } from '../support/backupHistory.ts';
import { consolePage, screenshot } from '../support/browser.ts';
import { startConsoleOnLocalApi, type ConsoleOnLocalApi } from '../support/consoleOnLocalApi.ts';
import { services, testS3Client } from '../support/services.ts';

/**
 * Issue 19: the Trash page says who or what trashed each backup, why, and when it will be deleted for good. Real
 * headless Chromium on the built console, the real API handlers behind local mode's HTTP server over DynamoDB Local,
 * and retention itself (over s3rver) putting backups in the trash; the user pool is stubbed so a console user is
 * named by e-mail. Screenshots at desktop and phone width go to test-output/console/.
 */
const POOL = 'eu-west-1_TrashTest1';
const ADA_SUB = '3d8b2e5a-4f6c-4b7d-9e0f-1a2b3c4d5e6f';
const ADA = cognitoPrincipal(ADA_SUB);
const SOURCE = 'trash-e2e';
const DAY_MS = 86_400_000;

const cognito = mockClient(CognitoIdentityProviderClient);
let table: TableRef;
let harness: ConsoleOnLocalApi | undefined;
let api: LocalHttpApi;
let browser: Browser;
const pageErrors: string[] = [];
const ago = (days: number) => new Date(Date.now() - days * DAY_MS).toISOString();
const ids = { yesterday: `${SOURCE}-yesterday`, manual: `${SOURCE}-manual`, byHand: `${SOURCE}-by-hand` };

beforeAll(async () => {
  table = await useTestTable();
  const { endpoint, bucket } = services().s3;
  Object.assign(process.env, { USER_POOL_ID: POOL, KEEPSAKE_S3_ENDPOINT: endpoint, BACKUP_BUCKET_NAME: bucket });
  cognito
    .on(AdminGetUserCommand, { UserPoolId: POOL, Username: ADA_SUB })
    .resolves({ Username: ADA_SUB, UserAttributes: [{ Name: 'email', Value: 'ada@example.com' }] });

  await seedSource(table, SOURCE);
  await transactNamedItems(table, {
    schedule: putNewSchedule(table, {
      id: `${SOURCE}-nightly`,
      sourceId: SOURCE,
      cron: '0 2 * * *',
      timeZone: 'UTC',
      enabled: true,
      retention: { ...DEFAULT_RETENTION, daily: 1, weekly: 0, monthly: 0 },
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      revision: 1,
    }),
  });
  await seedWithObjects(table, testS3Client(), bucket, [
    backupRecord({ id: `${SOURCE}-today`, sourceId: SOURCE, createdAt: ago(0.01) }),
    backupRecord({ id: ids.yesterday, sourceId: SOURCE, createdAt: ago(1) }),
    backupRecord({ id: ids.manual, sourceId: SOURCE, createdAt: ago(40), trigger: 'manual' }),
    backupRecord({ id: ids.byHand, sourceId: SOURCE, createdAt: ago(2), trigger: 'manual' }),
  ]);
  const now = () => new Date();
  await applyRetention({ table, s3: testS3Client(), bucket, now, defaultRetention: { ...DEFAULT_RETENTION } }, SOURCE);
  await trashBackup({ table, now }, { backupId: ids.byHand, principal: ADA });

  ({ api, browser } = harness = await startConsoleOnLocalApi('local:trash-e2e'));
}, 120_000);

afterAll(async () => {
  await harness?.close();
  delete process.env.USER_POOL_ID;
  cognito.restore();
});

async function openTrash(width: number): Promise<Page> {
  const page = await consolePage(browser, pageErrors, { viewport: { width, height: 900 } });
  await page.goto(`${api.url}/trash`);
  await expect.poll(() => rowOf(page, ids.yesterday).count(), { timeout: 20_000 }).toBe(1);
  return page;
}
const rowOf = (page: Page, backupId: string) =>
  page.getByRole('row').filter({ has: page.locator(`a[href="/backups/${backupId}"]`) });
const cellsOf = async (page: Page, backupId: string) =>
  Object.fromEntries(
    await Promise.all(
      ['Trashed', 'Why', 'Deleted for good'].map(async (column, i) => [
        column,
        (
          await rowOf(page, backupId)
            .getByRole('cell')
            .nth(i + 1)
            .innerText()
        ).trim(),
      ]),
    ),
  );

describe('the Trash page', () => {
  it('says who or what trashed each backup, why, and when the sweep deletes it', async () => {
    const page = await openTrash(1280);
    const shown = (iso: string) => page.evaluate((at) => new Date(at).toLocaleString(), iso);
    const listed = (await (await fetch(`${api.url}/v1/trash?sourceId=${SOURCE}`)).json()) as {
      items: { id: string; purgeAfter: string; trashedAt: string }[];
    };
    const purgeAfter = (id: string) => listed.items.find((b) => b.id === id)?.purgeAfter ?? '';
    const trashedAt = (id: string) => listed.items.find((b) => b.id === id)?.trashedAt ?? '';

    expect(await cellsOf(page, ids.yesterday)).toEqual({
      Trashed: `Retention (automatic)\n${await shown(trashedAt(ids.yesterday))}`,
      Why: 'GFS: not among the newest 1 daily backups (days in UTC)',
      'Deleted for good': `after ${await shown(purgeAfter(ids.yesterday))}\nin 7 days, at the first daily sweep after`,
    });
    expect((await cellsOf(page, ids.manual)).Why).toBe('manual backup older than 30 days');
    expect(await cellsOf(page, ids.byHand)).toMatchObject({
      Trashed: `ada@example.com\n${ADA}\n${await shown(trashedAt(ids.byHand))}`,
      Why: `trashed by ${ADA}`,
    });
    // The nightly backup GFS keeps is not in the trash: three rows, no more.
    expect(
      await page
        .getByRole('row')
        .filter({ has: page.getByRole('cell') })
        .count(),
    ).toBe(3);
    await screenshot(page, 'trash-who-why-when');
  });

  it('shows the same at phone width as labelled cards, every action reachable without sideways scrolling', async () => {
    const page = await openTrash(390);
    expect(await cellsOf(page, ids.yesterday)).toMatchObject({
      Trashed: expect.stringMatching(/^Trashed\nRetention \(automatic\)\n/),
      Why: 'Why\nGFS: not among the newest 1 daily backups (days in UTC)',
      'Deleted for good': expect.stringMatching(/^Deleted for good\nafter .*\nin 7 days/),
    });
    const card = page.locator('.card').filter({ has: page.getByRole('table') });
    expect(
      await card.evaluate((el) => {
        // The test's compiler has no DOM types; a card is an HTMLElement in the page.
        const box = el as unknown as { scrollWidth: number; clientWidth: number };
        return box.scrollWidth - box.clientWidth;
      }),
    ).toBe(0);
    const restore = rowOf(page, ids.yesterday).getByRole('button', { name: 'Restore from trash' });
    const box = await restore.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 390).toBe(true);
    await screenshot(page, 'trash-who-why-when-phone');
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
