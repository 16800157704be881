import { AdminGetUserCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditItem } from '../../functions/shared/repositories/audit.ts';
import { startLocalHttpApi, type LocalHttpApi } from '../../scripts/local/httpApi.ts';
import { cognitoPrincipal } from '../../types/audit.ts';
import { useTestTable } from '../support/api.ts';
import { consolePage, launchChromium, screenshot } from '../support/browser.ts';

/**
 * The audit log as an admin reads it in AWS, in real headless Chromium: the real API handlers (in this process,
 * behind local mode's HTTP server) over DynamoDB Local, with USER_POOL_ID set and the user pool stubbed, so console
 * users are named by e-mail. Screenshots go to test-output/console/.
 */
const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));
const POOL = 'eu-west-1_AbCdEfGhI';
const ADA_SUB = '1b6f0c3e-2d4a-4f5b-9c8d-7e6f5a4b3c2d';
const BEN_SUB = '2c7a1d4f-3e5b-4a6c-8d9e-0f1a2b3c4d5e';
const ADA = cognitoPrincipal(ADA_SUB);
const BEN = cognitoPrincipal(BEN_SUB);
const ALICE = 'arn:aws:iam::123456789012:user/alice';

const cognito = mockClient(CognitoIdentityProviderClient);
let api: LocalHttpApi;
let browser: Browser;
let page: Page;
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
  const events: [string, string, string][] = [
    [ADA, 'backup.delete', 'bk-1'],
    [BEN, 'backup.trash', 'bk-2'],
    [ALICE, 'backup.download', 'bk-3'],
    [ADA, 'backup.trash', 'bk-4'],
  ];
  for (const [i, [principal, action, targetId]] of events.entries()) {
    const item = auditItem(
      { principal, action, targetType: 'backup', targetId },
      new Date(Date.parse('2026-03-01T12:00:00Z') + i * 60_000),
    );
    await table.client.send(new PutCommand({ TableName: table.tableName, Item: item }));
  }
  api = await startLocalHttpApi({
    port: 0,
    principal: 'local:audit-names',
    role: () => 'admin',
    console: {
      dir: WEB_DIST,
      config: (origin) => ({
        apiUrl: origin,
        region: 'local',
        auth: { kind: 'local', principal: 'local:audit-names', role: 'admin' },
      }),
    },
  });
  browser = await launchChromium();
  page = await consolePage(browser, pageErrors);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  delete process.env.USER_POOL_ID;
  cognito.restore();
});

const rows = () => page.getByRole('row').filter({ has: page.getByRole('cell') });
const principalCells = async () => (await rows().all()).map((row) => row.getByRole('cell').nth(1));
const filters = () => page.getByRole('search', { name: 'Filter the audit log' });

describe('the audit log names console users', () => {
  it('shows each console user by e-mail with the recorded principal beneath, and others by their principal', async () => {
    await page.goto(`${api.url}/audit`);
    await expect.poll(() => rows().count(), { timeout: 20_000 }).toBe(4);
    const cells = await Promise.all((await principalCells()).map((cell) => cell.innerText()));
    expect(cells.map((text) => text.trim().split('\n'))).toEqual([
      ['ada@example.com', ADA],
      ['arn:aws:iam::123456789012:user/alice'],
      ['ben@example.com', BEN],
      ['ada@example.com', ADA],
    ]);
    expect(await page.getByRole('button', { name: 'ada@example.com' }).first().getAttribute('title')).toBe(
      `Show only the events of ${ADA}`,
    );
    await screenshot(page, 'audit-names');
  });

  it("filters by a person's principal when their name is clicked", async () => {
    await page.getByRole('button', { name: 'ada@example.com' }).first().click();
    await page.waitForURL((url) => url.searchParams.get('principal') === ADA);
    await expect.poll(() => rows().count()).toBe(2);
    expect(await filters().getByLabel('Principal').inputValue()).toBe(ADA);
    for (const row of await rows().all()) expect(await row.innerText()).toContain('ada@example.com');
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => rows().count()).toBe(4);
  });

  it('explains that the filter takes principals when an e-mail is typed, and offers the principal shown under it', async () => {
    await filters().getByLabel('Principal').fill('Ben@example.com');
    const hint = filters().getByRole('status');
    await hint.waitFor();
    expect(await hint.innerText()).toContain('takes a principal');
    await screenshot(page, 'audit-email-typed');
    await hint.getByRole('button', { name: 'Show the events of Ben@example.com' }).click();
    await page.waitForURL((url) => url.searchParams.get('principal') === BEN);
    await expect.poll(() => rows().count()).toBe(1);
    expect(await rows().first().innerText()).toContain('backup.trash');

    // An address nobody listed is known by: explained, with the click to make instead.
    await filters().getByLabel('Principal').fill('nobody@example.com');
    expect(await filters().getByRole('status').innerText()).toContain('Click a person in the list');
    await filters().getByLabel('Principal').fill(ALICE);
    expect(await filters().getByRole('status').count()).toBe(0);
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
