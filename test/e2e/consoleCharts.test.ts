import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, waitForBackup, waitForRestore, type ApiClient } from '../../types/apiClient.ts';
import type { Page as ApiPage } from '../../types/api.ts';
import type { Backup } from '../../types/backup.ts';
import type { TriggerBackupResponse } from '../../types/backupApi.ts';
import type { DataSource } from '../../types/dataSource.ts';
import type { LogLine, LogPage } from '../../types/jobLogs.ts';
import type { CreateRestoreResponse, Restore } from '../../types/restore.ts';
import type { Schedule } from '../../types/schedule.ts';
import { RETENTION_PRINCIPAL } from '../../types/retention.ts';
import { formatBytes } from '../../web/src/format.ts';
import { describeLogLine } from '../../web/src/logLines.ts';
import { consolePage, launchChromium, screenshot } from '../support/browser.ts';
import { startLocalMode, type LocalModeProcess } from '../support/localMode.ts';
import { mariadb } from '../support/services.ts';
import { rootSql } from '../support/sql.ts';

/**
 * The dashboard's charts, the restore's live log and the audit filters in real headless Chromium against local
 * mode. The history is made through the API (two backups that succeed, one of a missing database that fails, a
 * restore); what the page claims is checked against the backups and log lines the API lists. Screenshots go to
 * test-output/console/.
 */
const DB = `charts_${process.pid}`;
const RESTORED = `${DB}_restored`;

let dataDir: string;
let local: LocalModeProcess;
let api: ApiClient;
let browser: Browser;
let page: Page;
let good: DataSource;
let broken: DataSource;
let restore: Restore;
const pageErrors: string[] = [];

async function backUp(source: DataSource): Promise<Backup> {
  const { backupId } = await api.request<TriggerBackupResponse>('POST', `/v1/data-sources/${source.id}/backups`, {
    trigger: 'api',
  });
  return waitForBackup(api, backupId, 90_000);
}

beforeAll(async () => {
  await rootSql(`DROP DATABASE IF EXISTS ${DB}; DROP DATABASE IF EXISTS ${RESTORED};
    CREATE DATABASE ${DB}; USE ${DB}; CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(40));
    INSERT INTO items SELECT seq, CONCAT('item ', seq) FROM seq_1_to_300;`);
  dataDir = await mkdtemp(join(tmpdir(), 'keepsake-console-charts-'));
  local = await startLocalMode(['--data-dir', dataDir, '--api-port', '0']);
  api = apiClient(local.apiUrl);

  const db = mariadb();
  // The test MariaDB runs without certificates; new sources otherwise default to TLS `required`.
  const connection = {
    engine: 'mariadb',
    host: db.host,
    port: db.port,
    username: db.user,
    password: db.password,
    tls: { mode: 'disabled' },
  };
  good = await api.request<DataSource>('POST', '/v1/data-sources', {
    name: `charts e2e ${process.pid}`,
    database: DB,
    ...connection,
  });
  broken = await api.request<DataSource>('POST', '/v1/data-sources', {
    name: `charts missing ${process.pid}`,
    database: `${DB}_missing`,
    ...connection,
  });
  // A paused schedule that opts the source's manual and API backups into its GFS policy (7 daily by default): after
  // the second backup of the day, retention trashes the first, as its own principal.
  await api.request<Schedule>('POST', `/v1/data-sources/${good.id}/schedules`, {
    cron: '0 2 * * *',
    timeZone: 'UTC',
    enabled: false,
    retention: { includeManualBackups: true },
  });
  for (const source of [good, good, broken]) await backUp(source);
  const [latest] = (
    await api.request<ApiPage<Backup>>('GET', `/v1/data-sources/${good.id}/backups?status=succeeded&limit=1`)
  ).items;
  if (!latest) throw new Error('no succeeded backup to restore');
  const { restoreId } = await api.request<CreateRestoreResponse>('POST', '/v1/restores', {
    backupId: latest.id,
    targetSourceId: good.id,
    targetDatabase: RESTORED,
    confirmDatabase: RESTORED,
  });
  restore = await waitForRestore(api, restoreId, 90_000);
  if (restore.status !== 'succeeded') throw new Error(`restore ${restoreId} ${restore.status}: ${restore.error}`);

  browser = await launchChromium();
  page = await consolePage(browser, pageErrors);
}, 420_000);

afterAll(async () => {
  await browser?.close();
  await local?.stop('SIGINT');
  await rootSql(`DROP DATABASE IF EXISTS ${DB}; DROP DATABASE IF EXISTS ${RESTORED}`);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const shot = (name: string) => screenshot(page, name);
const chart = (title: string) => page.getByRole('region', { name: title });
/** The whole id of an audit row's target, in the title of the short id the Target cell shows. */
const targetId = (row: Locator) => row.getByRole('cell').nth(3).locator('code').getAttribute('title');
const STORAGE = 'Storage, last 30 days';
const PER_DAY = 'Backups per day';

/** The part of a canvas element this test reads (the test's own types have no DOM). */
interface Canvas {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, width: number, height: number): { data: ArrayLike<number> };
  };
}

/** How many pixels of the chart's canvas are within a few steps of `hex`: a series drawn in that colour is there. */
function pixelsOf(card: Locator, hex: string): Promise<number> {
  return card.locator('canvas').evaluate((element, colour: string) => {
    const canvas = element as unknown as Canvas;
    const want = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] === 255 && want.every((v, c) => Math.abs((data[i + c] ?? 0) - v) <= 6)) count++;
    }
    return count;
  }, hex);
}

/** The rows of a chart's table (opened with its "Show as table"), as [day, ...cells]. */
async function tableOf(card: Locator): Promise<string[][]> {
  const details = card.locator('details');
  if ((await details.getAttribute('open')) === null) await card.getByText('Show as table').click();
  const rows = card.getByRole('table', { name: /by UTC day$/ }).locator('tbody tr');
  await rows.nth(29).waitFor();
  const texts: string[][] = [];
  for (const row of await rows.all()) texts.push((await row.locator('th, td').allInnerTexts()).map((c) => c.trim()));
  return texts;
}

describe('the dashboard charts, restore log and audit filters in Chromium against local mode', () => {
  it('draws both charts, and their tables give the backups per day and the bytes stored, as the API lists them', async () => {
    // Every backup of this fresh installation, all finished today: each demo source's first one (MariaDB, and
    // PostgreSQL where it is installed) and ours, the trash included (retention keeps one a day of the good
    // source's and trashes the other, whose object is still stored).
    const listed = (path: string) => api.request<ApiPage<Backup>>('GET', `${path}?limit=100`);
    const trash = (await listed('/v1/trash')).items;
    const backups = [...(await listed('/v1/backups')).items, ...trash];
    const today = new Date().toISOString().slice(0, 10);
    expect(backups.every((b) => b.finishedAt?.startsWith(today))).toBe(true);
    const demos = (await api.request<ApiPage<DataSource>>('GET', '/v1/data-sources?limit=100')).items.filter(
      (s) => s.id !== good.id && s.id !== broken.id,
    );
    expect(demos.length).toBeGreaterThan(0);
    const succeeded = backups.filter((b) => b.status === 'succeeded');
    const failed = backups.filter((b) => b.status === 'failed');
    expect(trash.map((b) => b.sourceId)).toEqual([good.id]);
    expect(succeeded.filter((b) => b.sourceId === good.id)).toHaveLength(2);
    expect(succeeded).toHaveLength(2 + demos.length);
    expect(failed.map((b) => b.sourceId)).toEqual([broken.id]);
    const storedBytes = succeeded.reduce((sum, b) => sum + (b.compressedBytes ?? 0), 0);

    await page.goto(`${local.apiUrl}/`);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    for (const title of [STORAGE, PER_DAY]) {
      const img = chart(title).getByRole('img');
      await img.waitFor();
      expect(await img.getAttribute('aria-label')).toMatch(new RegExp(`^${title}`));
      expect(await chart(title).locator('canvas').count()).toBe(1);
    }
    expect(await chart(PER_DAY).getByRole('img').getAttribute('aria-label')).toBe(
      `Backups per day, last 30 days: ${succeeded.length} succeeded, 1 failed`,
    );
    // Light theme: sky for storage, emerald for successes, red for failures.
    await expect.poll(() => pixelsOf(chart(STORAGE), '#0284c7')).toBeGreaterThan(100);
    expect(await pixelsOf(chart(PER_DAY), '#059669')).toBeGreaterThan(100);
    expect(await pixelsOf(chart(PER_DAY), '#dc2626')).toBeGreaterThan(20);
    await shot('dashboard-charts');

    const perDay = await tableOf(chart(PER_DAY));
    expect(perDay).toHaveLength(30);
    expect(perDay.at(-1)).toEqual([today, String(succeeded.length), '1']);
    expect(perDay.slice(0, -1).every(([, s, f]) => s === '0' && f === '0')).toBe(true);
    const storage = await tableOf(chart(STORAGE));
    expect(storage).toHaveLength(30);
    expect(storage.at(-1)).toEqual([today, formatBytes(storedBytes)]);
    expect(storage.slice(0, -1).every(([, bytes]) => bytes === '0 B')).toBe(true);
    // Oldest first, one row per UTC day.
    expect(storage[0]?.[0]).toBe(new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10));
  });

  it('redraws the charts in the dark theme, and fits them to a phone', async () => {
    await page.getByRole('button', { name: 'Dark mode' }).click();
    expect(await page.evaluate('document.documentElement.classList.contains("dark")')).toBe(true);
    await expect.poll(() => pixelsOf(chart(PER_DAY), '#10b981')).toBeGreaterThan(100);
    expect(await pixelsOf(chart(PER_DAY), '#059669')).toBe(0);
    expect(await pixelsOf(chart(STORAGE), '#38bdf8')).toBeGreaterThan(100);
    await shot('dashboard-charts-dark');

    await page.setViewportSize({ width: 390, height: 844 });
    await expect
      .poll(async () => (await chart(STORAGE).locator('canvas').boundingBox())?.width ?? 999)
      .toBeLessThan(390);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot('dashboard-charts-phone-dark');
    await page.getByRole('button', { name: 'Dark mode' }).click();
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('shows the runner log lines of the restore on its page', async () => {
    const lines: LogLine[] = [];
    let cursor: string | undefined;
    for (let more = true; more;) {
      const logs = await api.request<LogPage>(
        'GET',
        `/v1/restores/${restore.id}/logs${cursor ? `?cursor=${cursor}` : ''}`,
      );
      lines.push(...logs.lines);
      cursor = logs.nextCursor ?? cursor;
      more = logs.more;
    }
    expect(lines.map((l) => l.event)).toContain('done');

    await page.goto(`${local.apiUrl}/restores/${restore.id}`);
    // Titled by its target: source · database · time.
    await page
      .getByRole('heading', { level: 1 })
      .filter({ hasText: ` · ${RESTORED} · ` })
      .waitFor();
    const log = page.getByRole('log', { name: 'Job log' });
    await log.getByText(`restored into ${RESTORED}`).waitFor();
    const shown = await log.innerText();
    for (const line of lines) expect(shown).toContain(describeLogLine(line).text);
    await shot('restore-log');
  });

  it('narrows the audit log by target type and by one target, kept in the URL', async () => {
    await page.goto(`${local.apiUrl}/audit`);
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const rows = page.getByRole('row').filter({ has: page.getByRole('cell') });
    await rows.first().waitFor();
    const before = await rows.count();
    expect(await rows.filter({ hasText: 'dataSource.create' }).count()).toBeGreaterThanOrEqual(2);

    const filters = page.getByRole('search', { name: 'Filter the audit log' });
    await filters.getByLabel('Target type').selectOption({ label: 'Restore' });
    await filters.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/targetType=restore/);
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain('restore.start');
    // The target by name, its whole id in the title of the short one.
    expect(await rows.first().innerText()).toContain(`→ ${good.name}/${RESTORED}`);
    expect(await targetId(rows.first())).toBe(restore.id);

    await filters.getByLabel('Target type').selectOption({ label: 'Data source' });
    await filters.getByLabel('Target id').fill(broken.id);
    await filters.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(new RegExp(`targetType=dataSource.*targetId=${broken.id}`));
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain('dataSource.create');
    expect(await rows.first().innerText()).toContain(broken.name);
    expect(await targetId(rows.first())).toBe(broken.id);
    expect(before).toBeGreaterThan(1);
    await shot('audit-filtered');

    // The URL alone brings the filtered view back; clearing shows everything again.
    await page.reload();
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => rows.count()).toBe(before);
  });

  it('narrows the audit log by day and by principal', async () => {
    const filters = page.getByRole('search', { name: 'Filter the audit log' });
    const rows = page.getByRole('row').filter({ has: page.getByRole('cell') });
    const before = await rows.count();
    // Retention trashed the older of the two backups of the same day, as its own principal.
    const mine = await rows.filter({ hasText: restore.requestedBy }).count();
    const retention = rows.filter({ has: page.getByRole('button', { name: 'Retention', exact: true }) });
    expect(await retention.count()).toBe(1);
    expect(await retention.innerText()).toContain('backup.trash');
    expect(await retention.innerText()).toContain(RETENTION_PRINCIPAL);
    expect(mine).toBeGreaterThan(0);
    expect(mine).toBe(before - 1);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    await filters.getByLabel('From').fill(tomorrow);
    await filters.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No events match these filters.').waitFor();
    expect(page.url()).toContain(`from=${tomorrow}`);

    await filters.getByLabel('From').fill('');
    await filters.getByLabel('Principal').fill('arn:aws:iam::123456789012:user/nobody');
    await filters.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No events match these filters.').waitFor();
    await filters.getByLabel('Principal').fill(restore.requestedBy);
    await filters.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => rows.count()).toBe(mine);
    expect(await rows.filter({ hasText: restore.requestedBy }).count()).toBe(mine);
    await shot('audit-by-principal');
  });

  it('lists a running backup under "Running now", linked to its live log, until it ends', async () => {
    // A server that accepts connections and never greets: the backup runs until the runner's connect timeout.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const db = mariadb();
      const stalled = await api.request<DataSource>('POST', '/v1/data-sources', {
        name: `charts silent ${process.pid}`,
        engine: 'mariadb',
        host: '127.0.0.1',
        port: (silent.address() as AddressInfo).port,
        database: DB,
        username: db.user,
        password: db.password,
        tls: { mode: 'disabled' },
      });
      const { backupId } = await api.request<TriggerBackupResponse>('POST', `/v1/data-sources/${stalled.id}/backups`, {
        trigger: 'api',
      });
      // Opened once the backup is under way: with nothing active the dashboard polls every 15 s, and this backup
      // ends after the runner's 10 s connect timeout, so one started after the page loaded could come and go unseen.
      await page.goto(`${local.apiUrl}/`);
      const running = page.getByRole('list', { name: 'Running jobs' });
      const link = running.getByRole('link', { name: `Backup of ${stalled.name} (${DB})` });
      await link.waitFor({ timeout: 20_000 });
      expect(await link.getAttribute('href')).toBe(`/backups/${backupId}`);
      expect(await running.getByText(/^(queued|running)$/).count()).toBe(1);
      await shot('dashboard-running');
      const ended = await waitForBackup(api, backupId, 90_000);
      expect(ended.status).toBe('failed');
      await page.getByText('Nothing is running.').waitFor({ timeout: 20_000 });
    } finally {
      silent.close();
    }
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
