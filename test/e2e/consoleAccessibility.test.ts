import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForBackup, waitForRestore, type ApiClient } from '../../types/apiClient.ts';
import type { Page as ApiPage } from '../../types/api.ts';
import type { Backup } from '../../types/backup.ts';
import type { TriggerBackupResponse } from '../../types/backupApi.ts';
import type { ConsoleConfig } from '../../types/consoleConfig.ts';
import type { DataSource } from '../../types/dataSource.ts';
import type { CreateRestoreResponse, Restore } from '../../types/restore.ts';
import type { StatsResponse } from '../../types/stats.ts';
import { expectNoSeriousViolations } from '../support/axe.ts';
import { screenshot } from '../support/browser.ts';
import { startConsoleOnLocalMode, type ConsoleOnLocalMode, type LocalModeProcess } from '../support/localMode.ts';

/**
 * axe-core on every page and dialog of the console in real Chromium against local mode, in the light and the dark
 * theme (as the system asks for them), at desktop and phone width: any serious or critical violation fails. Then
 * what a phone makes visible: the navigation fits, toasts stack at most three and expire, and the charts' axis
 * labels are whole. Screenshots go to test-output/console/.
 */
const DEMO = 'demo (local MariaDB)';
const RESTORED = 'axe_restored';
const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;
const SCHEMES = ['light', 'dark'] as const;

let harness: ConsoleOnLocalMode | undefined;
let local: LocalModeProcess;
let api: ApiClient;
let page: Page;
let backup: Backup;
let restore: Restore;
const pageErrors: string[] = [];

beforeAll(async () => {
  ({ local, api, page } = harness = await startConsoleOnLocalMode('keepsake-a11y-', pageErrors));
  const [demo] = (await api.request<ApiPage<DataSource>>('GET', '/v1/data-sources')).items;
  if (!demo) throw new Error('local mode made no demo source');
  // The MariaDB demo's own backup: the newest of all may be the PostgreSQL demo's, which MariaDB cannot restore.
  const [latest] = (
    await api.request<ApiPage<Backup>>('GET', `/v1/data-sources/${demo.id}/backups?status=succeeded&limit=1`)
  ).items;
  if (!latest) throw new Error('local mode made no first backup');
  backup = latest;
  const { restoreId } = await api.request<CreateRestoreResponse>('POST', '/v1/restores', {
    backupId: backup.id,
    targetSourceId: demo.id,
    targetDatabase: RESTORED,
    confirmDatabase: RESTORED,
  });
  restore = await waitForRestore(api, restoreId, 60_000);
  // A second backup, in the trash for the Trash page.
  const { backupId } = await api.request<TriggerBackupResponse>('POST', `/v1/data-sources/${demo.id}/backups`, {
    trigger: 'api',
  });
  await waitForBackup(api, backupId, 60_000);
  await api.request('POST', `/v1/backups/${backupId}/trash`);
}, 240_000);

afterAll(async () => {
  await harness?.close();
});

/** What is visible of `text` in the page's main part (a table at one width may be cards at another). */
const shown = (text: string | RegExp) => page.locator('main').getByText(text).filter({ visible: true }).first();

/** Until the page's colours follow `scheme` (the console follows the system until a person picks a theme). */
async function useScheme(scheme: (typeof SCHEMES)[number]): Promise<void> {
  await page.emulateMedia({ colorScheme: scheme });
  await expect.poll(() => page.evaluate('getComputedStyle(document.documentElement).colorScheme')).toBe(scheme);
}

/**
 * axe on the page as it stands (an open dialog included) in both themes at both widths, with a screenshot of the
 * dark theme at each width; it leaves the page light at desktop width.
 */
async function checkEveryWay(name: string): Promise<void> {
  for (const [width, viewport] of Object.entries(WIDTHS)) {
    await page.setViewportSize(viewport);
    for (const scheme of SCHEMES) {
      await useScheme(scheme);
      await expectNoSeriousViolations(page, `${name}, ${scheme}, ${viewport.width} px`);
    }
    await screenshot(page, `a11y-${name}-dark-${width}`);
  }
  await page.setViewportSize(WIDTHS.desktop);
  await useScheme('light');
}

/** Opens a dialog with `opener`, checks it every way, and closes it with Escape (so nothing is confirmed). */
async function checkDialog(name: string, opener: Locator, ready?: (dialog: Locator) => Promise<void>): Promise<void> {
  await opener.click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await ready?.(dialog);
  await checkEveryWay(name);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
}

const row = (text: string) => page.getByRole('row').filter({ hasText: text });

describe('the console passes axe-core in both themes at desktop and phone width', () => {
  it('the sign-in page of a deployment that signs in with Cognito', async () => {
    const config: ConsoleConfig = {
      apiUrl: local.apiUrl,
      region: 'eu-west-1',
      auth: {
        kind: 'cognito',
        userPoolId: 'eu-west-1_a11y',
        userPoolClientId: 'a11y',
        identityPoolId: 'eu-west-1:00000000-0000-0000-0000-000000000000',
        authDomain: 'https://a11y.auth.eu-west-1.amazoncognito.com',
        identityEndpoint: 'https://cognito-identity.eu-west-1.amazonaws.com',
      },
    };
    // Signed out, the console shows its sign-in page without calling Cognito.
    await page.route('**/config.json', (route) => route.fulfill({ json: config }));
    try {
      await page.goto(`${local.apiUrl}/`);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      await checkEveryWay('sign-in');
    } finally {
      await page.unroute('**/config.json');
    }
  });

  it('the dashboard', async () => {
    await page.goto(`${local.apiUrl}/`);
    await shown(DEMO).waitFor();
    await page
      .getByRole('region', { name: /^Storage/ })
      .locator('canvas')
      .waitFor();
    await checkEveryWay('dashboard');
  });

  it('data sources, with the add, edit and delete dialogs', async () => {
    await page.goto(`${local.apiUrl}/data-sources`);
    await shown(DEMO).waitFor();
    await checkEveryWay('data-sources');
    await checkDialog('data-source-add', page.getByRole('button', { name: 'Add data source' }).first());
    await checkDialog('data-source-edit', row(DEMO).getByRole('button', { name: 'Edit' }));
    await checkDialog('data-source-delete', row(DEMO).getByRole('button', { name: 'Delete' }));
  });

  it('schedules, with the new schedule and delete dialogs', async () => {
    await page.goto(`${local.apiUrl}/schedules`);
    await shown(DEMO).waitFor();
    await checkEveryWay('schedules');
    await checkDialog('schedule-new', page.getByRole('button', { name: 'New schedule' }));
    await checkDialog('schedule-delete', row(DEMO).getByRole('button', { name: 'Delete' }));
  });

  it('backups, and a backup with its restore dialog (a new database, then over the source)', async () => {
    await page.goto(`${local.apiUrl}/backups`);
    await shown(DEMO).waitFor();
    await checkEveryWay('backups');
    await page.goto(`${local.apiUrl}/backups/${backup.id}`);
    await page
      .getByRole('log', { name: 'Job log' })
      .getByText(/backup stored/)
      .waitFor();
    await checkEveryWay('backup-detail');
    await checkDialog('restore-new-database', page.getByRole('button', { name: 'Restore', exact: true }), (dialog) =>
      dialog.getByText(/it will be created/).waitFor(),
    );
    await checkDialog(
      'restore-over-source',
      page.getByRole('button', { name: 'Restore', exact: true }),
      async (dialog) => {
        await dialog.getByRole('radio', { name: /Over the source's database/ }).check();
        await dialog.getByRole('note', { name: 'What will be overwritten' }).getByRole('row').nth(1).waitFor();
      },
    );
  });

  it('restores, and the restore with its log', async () => {
    expect(restore.status, restore.error).toBe('succeeded');
    await page.goto(`${local.apiUrl}/restores`);
    await shown(RESTORED).waitFor();
    await checkEveryWay('restores');
    await page.goto(`${local.apiUrl}/restores/${restore.id}`);
    await page.getByRole('log', { name: 'Job log' }).getByText(`restored into ${RESTORED}`).waitFor();
    await checkEveryWay('restore-detail');
  });

  it('the trash, with its delete confirmation', async () => {
    await page.goto(`${local.apiUrl}/trash`);
    await shown(DEMO).waitFor();
    await checkEveryWay('trash');
    await checkDialog('trash-delete', page.getByRole('button', { name: 'Delete permanently' }).first());
  });

  it('the audit log', async () => {
    await page.goto(`${local.apiUrl}/audit`);
    await shown('restore.start').waitFor();
    await checkEveryWay('audit');
  });
});

/** The part of a canvas element this test reads (the test's own types have no DOM). */
interface Canvas {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, width: number, height: number): { data: ArrayLike<number> };
  };
}

/** Drawn pixels in the outermost column or row on each side of a canvas (a label cut off by the edge leaves some). */
function pixelsOnEdges(canvas: Locator): Promise<{ left: number; right: number; top: number; bottom: number }> {
  return canvas.evaluate((element) => {
    const canvas = element as unknown as Canvas;
    const { width, height } = canvas;
    const { data } = canvas.getContext('2d').getImageData(0, 0, width, height);
    const edges = { left: 0, right: 0, top: 0, bottom: 0 };
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if ((data[(y * width + x) * 4 + 3] ?? 0) === 0) continue;
        if (x === 0) edges.left++;
        if (x === width - 1) edges.right++;
        if (y === 0) edges.top++;
        if (y === height - 1) edges.bottom++;
      }
    }
    return edges;
  });
}

describe('the console on a phone', () => {
  it('fits every navigation link in the width of a 390 px screen, without sideways scrolling', async () => {
    await page.setViewportSize(WIDTHS.phone);
    await page.goto(`${local.apiUrl}/`);
    const links = page.getByRole('navigation', { name: 'Main' }).getByRole('link');
    await links.first().waitFor();
    expect(await links.allInnerTexts()).toEqual([
      'Dashboard',
      'Data sources',
      'Schedules',
      'Backups',
      'Restores',
      'Trash',
      'Audit log',
    ]);
    for (const link of await links.all()) {
      const box = await link.boundingBox();
      expect(box, await link.innerText()).not.toBeNull();
      expect(box?.x).toBeGreaterThanOrEqual(0);
      expect((box?.x ?? 0) + (box?.width ?? 0), await link.innerText()).toBeLessThanOrEqual(WIDTHS.phone.width);
    }
    expect(await page.evaluate('document.documentElement.scrollWidth <= innerWidth')).toBe(true);
    await links.last().click();
    await page.waitForURL(/\/audit$/);
    await screenshot(page, 'navigation-phone');
    await page.setViewportSize(WIDTHS.desktop);
  });

  it('shows at most three toasts at once, and each goes by itself', async () => {
    await page.goto(`${local.apiUrl}/data-sources`);
    const test = row(DEMO).getByRole('button', { name: 'Test connection' });
    const toasts = page.getByRole('status').filter({ hasText: `Connection to "${DEMO}" OK` });
    let most = 0;
    for (let i = 1; i <= 5; i++) {
      await test.click();
      await expect.poll(() => toasts.count()).toBe(Math.min(i, 3));
      most = Math.max(most, await toasts.count());
    }
    expect(most).toBe(3);
    await screenshot(page, 'toasts');
    await page.setViewportSize(WIDTHS.phone);
    await screenshot(page, 'toasts-phone');
    await page.setViewportSize(WIDTHS.desktop);
    // A success toast goes after 6 s; the last of these came a moment ago.
    await expect.poll(() => toasts.count(), { timeout: 8_000 }).toBe(0);
  });

  it('draws the charts with whole axis labels, also for hundreds of MiB, at desktop and phone width', async () => {
    // The real statistics, scaled so the newest day holds 500 MiB: the bytes axis then reads up to "512.0 MiB".
    await page.route('**/v1/stats', async (route) => {
      const stats = (await (await route.fetch()).json()) as StatsResponse;
      const most = Math.max(...stats.daily.map((d) => d.storedBytes));
      const scale = (500 * 1024 ** 2) / most;
      await route.fulfill({
        json: { ...stats, daily: stats.daily.map((d) => ({ ...d, storedBytes: Math.round(d.storedBytes * scale) })) },
      });
    });
    try {
      await page.goto(`${local.apiUrl}/`);
      const charts = page.locator('main section[aria-label] canvas');
      await expect.poll(() => charts.count()).toBe(2);
      for (const [width, viewport] of Object.entries(WIDTHS)) {
        await page.setViewportSize(viewport);
        for (const canvas of await charts.all()) {
          await expect.poll(async () => (await canvas.boundingBox())?.width ?? 0).toBeLessThan(viewport.width);
          // Polled: the chart redraws at its new width a frame after the resize.
          await expect.poll(() => pixelsOnEdges(canvas)).toEqual({ left: 0, right: 0, top: 0, bottom: 0 });
        }
        await screenshot(page, `dashboard-charts-whole-labels-${width}`);
      }
    } finally {
      await page.unroute('**/v1/stats');
      await page.setViewportSize(WIDTHS.desktop);
    }
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
