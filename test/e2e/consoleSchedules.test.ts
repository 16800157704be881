import { SchedulerClient, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../functions/shared/repositories/audit.ts';
import { transactNamedItems } from '../../functions/shared/repositories/transactions.ts';
import { putNewSchedule } from '../../functions/shared/repositories/schedules.ts';
import type { TableRef } from '../../functions/shared/repositories/table.ts';
import type { LocalHttpApi } from '../../scripts/local/httpApi.ts';
import type { Page as ApiPage } from '../../types/api.ts';
import { DEFAULT_RETENTION, type Schedule } from '../../types/schedule.ts';
import { seedSource } from '../integration/api/backupApi.ts';
import { useTestTable } from '../support/api.ts';
import { expectNoSeriousViolations } from '../support/axe.ts';
import { consolePage, screenshot } from '../support/browser.ts';
import { startConsoleOnLocalApi, type ConsoleOnLocalApi } from '../support/consoleOnLocalApi.ts';

/**
 * Issue 19, schedules: every builder mode validates (weekly needs a day), schedules can be edited, the data
 * sources page's "none" link opens the form on that source, and next runs read in the schedule's own zone, labelled
 * with it, the viewer's clock beneath. Real headless Chromium on the built console (its clock in New York), the real
 * API handlers behind local mode's HTTP server over DynamoDB Local, EventBridge Scheduler stubbed at its SDK client.
 * Screenshots at desktop and phone width go to test-output/console/.
 */
const VIEWER_ZONE = 'America/New_York';
const SCHEDULED = 'sched-e2e-a';
const UNSCHEDULED = 'sched-e2e-z';
const NIGHTLY = `${SCHEDULED}-nightly`;

const scheduler = mockClient(SchedulerClient);
let table: TableRef;
let harness: ConsoleOnLocalApi | undefined;
let api: LocalHttpApi;
let browser: Browser;
const pageErrors: string[] = [];

beforeAll(async () => {
  table = await useTestTable();
  delete process.env.KEEPSAKE_SCHEDULER;
  Object.assign(process.env, {
    SCHEDULE_GROUP_NAME: 'keepsake-schedules',
    BACKUP_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:keepsake-backup',
    SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/keepsake-scheduler',
  });
  scheduler.onAnyCommand().resolves({});
  await seedSource(table, SCHEDULED);
  await seedSource(table, UNSCHEDULED);
  await transactNamedItems(table, {
    schedule: putNewSchedule(table, {
      id: NIGHTLY,
      sourceId: SCHEDULED,
      name: 'nightly',
      cron: '0 2 * * *',
      timeZone: 'UTC',
      enabled: true,
      retention: { ...DEFAULT_RETENTION, keepLast: 3 },
      verify: { when: 'afterEachBackup', testRestore: false },
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      revision: 1,
    }),
  });
  ({ api, browser } = harness = await startConsoleOnLocalApi('local:schedules-e2e'));
}, 120_000);

afterAll(async () => {
  await harness?.close();
  scheduler.restore();
});

const schedules = async () =>
  ((await (await fetch(`${api.url}/v1/schedules?limit=100`)).json()) as ApiPage<Schedule>).items;

async function open(path: string, width: number): Promise<Page> {
  const page = await consolePage(browser, pageErrors, {
    viewport: { width, height: width < 500 ? 844 : 900 },
    timezoneId: VIEWER_ZONE,
  });
  await page.goto(`${api.url}${path}`);
  return page;
}
const toast = (page: Page, text: string) => page.getByRole('status').filter({ hasText: text });
const rowOf = (page: Page, sourceName: string) => page.getByRole('row').filter({ hasText: sourceName });
/** A run as the page labels it: "Mon 8 Dec 02:00 Europe/Berlin" (the year only when not this year). */
const run = (time: string, zone: string) => new RegExp(`^\\w{3} \\d{1,2} \\w{3}( \\d{4})? ${time} ${zone}`);

describe('the Schedules page', () => {
  for (const [width, suffix] of [
    [1280, ''],
    [390, '-phone'],
  ] as const) {
    it(`refuses a weekly schedule with no day ticked, naming the days, and saves nothing (${width} px)`, async () => {
      const before = await schedules();
      const page = await open('/schedules', width);
      await page.getByRole('button', { name: 'New schedule' }).click();
      const dialog = page.getByRole('dialog', { name: 'New schedule' });
      await dialog.getByLabel('Repeat', { exact: true }).selectOption('weekly');
      // Monday is ticked when switching to weekly; untick it.
      await dialog.getByLabel('Mon', { exact: true }).uncheck();
      await dialog.getByText('No runs: tick at least one day of the week').waitFor();
      expect(await dialog.getByRole('list', { name: 'Next runs' }).count()).toBe(0);

      await dialog.getByRole('button', { name: 'Save schedule' }).click();
      const days = dialog.getByRole('group', { name: 'Days' });
      await days.getByText('tick at least one day of the week', { exact: true }).waitFor();
      expect(await days.getAttribute('aria-describedby')).toBeTruthy();
      await expectNoSeriousViolations(page, `new schedule, weekly with no day (${width} px)`);
      await screenshot(page, `schedule-weekly-needs-a-day${suffix}`);
      expect(await dialog.isVisible()).toBe(true);
      expect(await schedules()).toEqual(before);

      await dialog.getByLabel('Wed', { exact: true }).check();
      await expect.poll(() => dialog.getByRole('list', { name: 'Next runs' }).getByRole('listitem').count()).toBe(3);
      await page.close();
    });
  }

  it("edits a schedule's time and zone; its next runs read in that zone, labelled, New York's clock beneath", async () => {
    const page = await open('/schedules', 1280);
    const row = rowOf(page, `Source ${SCHEDULED}`);
    const nextRun = row.getByRole('cell').nth(2);
    await expect.poll(() => nextRun.innerText()).toMatch(run('02:00', 'UTC'));
    expect(await nextRun.innerText()).toMatch(/\nyour time: \w{3} \d{1,2} \w{3}( \d{4})? \d\d:00 America\/New_York$/);

    await row.getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit schedule' });
    expect(await dialog.getByLabel('Name (optional)', { exact: true }).inputValue()).toBe('nightly');
    expect(await dialog.getByLabel('Repeat', { exact: true }).inputValue()).toBe('daily');
    expect(await dialog.getByLabel('At (time of day)', { exact: true }).inputValue()).toBe('02:00');
    expect(await dialog.getByLabel('latest', { exact: true }).inputValue()).toBe('3');
    expect(await dialog.getByLabel('Data source', { exact: true }).isDisabled()).toBe(true);

    await dialog.getByLabel('Time zone', { exact: true }).selectOption('Europe/Berlin');
    await dialog.getByLabel('At (time of day)', { exact: true }).fill('03:30');
    const runs = dialog.getByRole('list', { name: 'Next runs' }).getByRole('listitem');
    await expect.poll(async () => (await runs.allInnerTexts()).join('|')).toMatch(/03:30 Europe\/Berlin/);
    for (const text of await runs.allInnerTexts()) {
      expect(text).toMatch(run('03:30', 'Europe\\/Berlin'));
      expect(text).toMatch(/\nyour time: .* America\/New_York$/);
    }
    await expectNoSeriousViolations(page, 'edit schedule (1280 px)');
    await screenshot(page, 'schedule-edit');

    await dialog.getByRole('button', { name: 'Save schedule' }).click();
    await toast(page, 'Schedule updated: daily at 03:30 (Europe/Berlin)').waitFor();
    await expect.poll(() => nextRun.innerText()).toMatch(run('03:30', 'Europe\\/Berlin'));
    await screenshot(page, 'schedules-next-run-in-zone');

    const saved = (await schedules()).find((s) => s.id === NIGHTLY);
    expect(saved).toMatchObject({
      name: 'nightly',
      cron: '30 3 * * *',
      timeZone: 'Europe/Berlin',
      retention: { ...DEFAULT_RETENTION, keepLast: 3 },
      verify: { when: 'afterEachBackup' },
    });
    expect(scheduler).toHaveReceivedCommandWith(UpdateScheduleCommand, {
      Name: `keepsake-${NIGHTLY}`,
      ScheduleExpression: 'cron(30 3 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
    // Only what the form changed is sent, so the audit names just that.
    const audit = (await listAudit(table, { limit: 100 })).items.filter((event) => event.targetId === NIGHTLY);
    expect(audit.map((event) => [event.action, event.summary])).toEqual([
      ['schedule.update', 'changed cron, timeZone'],
    ]);
    await page.close();
  });

  it('shows the schedules as cards at 390 px, Edit reachable without sideways scrolling', async () => {
    const page = await open('/schedules', 390);
    const edit = rowOf(page, `Source ${SCHEDULED}`).getByRole('button', { name: 'Edit' });
    await edit.waitFor();
    const card = page.locator('.card').filter({ has: page.getByRole('table') });
    expect(
      await card.evaluate((el) => {
        // The test's compiler has no DOM types; a card is an HTMLElement in the page.
        const box = el as unknown as { scrollWidth: number; clientWidth: number };
        return box.scrollWidth - box.clientWidth;
      }),
    ).toBe(0);
    const box = await edit.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 390).toBe(true);
    await screenshot(page, 'schedules-phone');
    await edit.click();
    await page.getByRole('dialog', { name: 'Edit schedule' }).getByLabel('Time zone', { exact: true }).waitFor();
    await expectNoSeriousViolations(page, 'edit schedule (390 px)');
    await screenshot(page, 'schedule-edit-phone');
    await page.close();
  });

  it('follows the "none" link of a source without schedules into the new-schedule form, that source chosen', async () => {
    const page = await open('/data-sources', 1280);
    await rowOf(page, `Source ${UNSCHEDULED}`).getByRole('link', { name: 'none' }).click();
    await page.waitForURL(/\/schedules\?source=sched-e2e-z$/);
    const dialog = page.getByRole('dialog', { name: 'New schedule' });
    const source = dialog.getByLabel('Data source', { exact: true });
    await source.waitFor();
    expect(await source.inputValue()).toBe(UNSCHEDULED);
    await screenshot(page, 'schedule-new-preselected');

    await dialog.getByRole('button', { name: 'Save schedule' }).click();
    await toast(page, 'Schedule saved: daily at 02:00').waitFor();
    await page.waitForURL(/\/schedules$/);
    expect((await schedules()).filter((s) => s.sourceId === UNSCHEDULED)).toHaveLength(1);
    await page.close();
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
