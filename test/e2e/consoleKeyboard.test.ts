import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page as ApiPage } from '../../types/api.ts';
import type { ApiClient } from '../../types/apiClient.ts';
import type { DatabaseInspection } from '../../types/apiDataSources.ts';
import type { AuditEvent } from '../../types/audit.ts';
import type { DataSource } from '../../types/dataSource.ts';
import { formatBytes } from '../../web/src/format.ts';
import { screenshot } from '../support/browser.ts';
import { startConsoleOnLocalMode, type ConsoleOnLocalMode, type LocalModeProcess } from '../support/localMode.ts';

/**
 * The console driven by the keyboard alone (Tab, Shift+Tab, Enter, Space, Escape, typing; arrow keys only inside
 * a radio group, as radio groups work) in headless Chromium against local mode: every control reached shows a
 * focus indicator, dialogs take the focus, keep it and give it back. The API is only read, to check the page.
 */

/** Where the focus is, read in the page: what the element is, where it sits, and whether a focus indicator is drawn. */
interface Focus {
  readonly tag: string;
  readonly name: string;
  readonly inDialog: boolean;
  readonly inMain: boolean;
  readonly indicator: boolean;
  readonly style: string;
}

// A string, not a function: the test project is compiled without the DOM library.
const FOCUS_PROBE = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow !== 'none' && style.boxShadow !== '';
  const label = el.getAttribute('aria-label') || (el.labels && el.labels[0] ? el.labels[0].textContent : '') || el.textContent || '';
  return {
    tag: el.tagName === 'INPUT' ? 'input[' + el.type + ']' : el.tagName.toLowerCase(),
    name: label.replace(/\\s+/g, ' ').trim().slice(0, 80),
    inDialog: el.closest('[role=dialog]') !== null,
    inMain: el.closest('main') !== null,
    indicator: outline || shadow,
    style: 'outline: ' + style.outlineStyle + ' ' + style.outlineWidth + ' ' + style.outlineColor + '; box-shadow: ' + style.boxShadow,
  };
})()`;

let harness: ConsoleOnLocalMode | undefined;
let local: LocalModeProcess;
let api: ApiClient;
let page: Page;
const pageErrors: string[] = [];
/** Every stop the focus made, for the indicator check at the end. */
const visited: Focus[] = [];

beforeAll(async () => {
  ({ local, api, page } = harness = await startConsoleOnLocalMode('keepsake-keyboard-', pageErrors));
}, 240_000);

afterAll(async () => {
  await harness?.close();
});

const shot = (name: string) => screenshot(page, name);
const show = (f: Focus | null) => (f ? `${f.tag} "${f.name}"` : '(nothing)');

async function focus(): Promise<Focus | null> {
  const now = (await page.evaluate(FOCUS_PROBE)) as Focus | null;
  if (now) visited.push(now);
  return now;
}

async function press(key: string): Promise<Focus | null> {
  await page.keyboard.press(key);
  return focus();
}

/** Presses Tab (or Shift+Tab) until the focus is on what `wanted` accepts; fails naming every stop on the way. */
async function tabTo(wanted: (f: Focus) => boolean, options: { back?: boolean; max?: number } = {}): Promise<Focus[]> {
  const path: Focus[] = [];
  for (let i = 0; i < (options.max ?? 40); i++) {
    const now = await press(options.back ? 'Shift+Tab' : 'Tab');
    if (now) path.push(now);
    if (now && wanted(now)) return path;
  }
  throw new Error(`focus never got there; it went ${path.map(show).join(' → ')}`);
}

const named = (name: string, tag?: string) => (f: Focus) => f.name === name && (tag === undefined || f.tag === tag);

/**
 * Waits for a closed dialog to give the focus back. Radix hands it back in a timer after the dialog leaves the page,
 * so right after the dialog is gone the focus may still be on the body for a moment (long enough, on a loaded machine,
 * for a probe or a key press to land first); it must then arrive on `opener`.
 */
async function expectFocusGivenBackTo(dialog: Locator, opener: string): Promise<void> {
  await dialog.waitFor({ state: 'detached' });
  await expect.poll(async () => show(await focus()), { timeout: 5_000 }).toBe(opener);
}

/** Tab and Shift+Tab, each more times than the dialog has controls: the focus must never leave it. */
async function expectFocusTrapped(presses = 25): Promise<void> {
  for (const key of ['Tab', 'Shift+Tab']) {
    const escaped: string[] = [];
    for (let i = 0; i < presses; i++) {
      const now = await press(key);
      if (!now?.inDialog) escaped.push(`${key} #${i + 1}: ${show(now)}`);
    }
    expect(escaped).toEqual([]);
  }
}

describe('the console by keyboard alone', () => {
  it('starts with a skip link, then walks the navigation in order and follows a link with Enter', async () => {
    await page.goto(`${local.apiUrl}/`);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const skip = await press('Tab');
    expect(show(skip)).toBe('a "Skip to content"');
    expect(await page.getByRole('link', { name: 'Skip to content' }).isVisible()).toBe(true);
    await press('Enter');
    expect((await press('Tab'))?.inMain).toBe(true);

    await page.goto(`${local.apiUrl}/`);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const path = await tabTo(named('Audit log', 'a'));
    expect(path.filter((f) => f.tag === 'a').map((f) => f.name)).toEqual([
      'Skip to content',
      'Dashboard',
      'Data sources',
      'Schedules',
      'Backups',
      'Restores',
      'Trash',
      'Audit log',
    ]);
    await tabTo(named('Data sources', 'a'), { back: true });
    await press('Enter');
    await page.waitForURL(/\/data-sources$/);
    await page.getByRole('heading', { name: 'Data sources' }).waitFor();
  });

  it('opens the create-source form with Enter: the focus lands in it, stays in it, and Escape gives it back to the button', async () => {
    await tabTo(named('Add data source', 'button'));
    await press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Add a data source' });
    await dialog.waitFor();
    const first = await focus();
    expect(first?.inDialog, show(first)).toBe(true);
    await expectFocusTrapped();
    await shot('keyboard-create-source');

    await press('Escape');
    await expectFocusGivenBackTo(dialog, 'button "Add data source"');
  });

  it('edits a source from its Edit button: the password starts blank, and saving nothing changed sends nothing', async () => {
    await tabTo(named('Edit', 'button'));
    await press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Edit "demo (local MariaDB)"' });
    await dialog.waitFor();
    expect(await dialog.getByLabel('Database', { exact: true }).inputValue()).toBe('keepsake_demo');
    expect(await dialog.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await dialog.getByText('Leave blank to keep the stored password').waitFor();
    await tabTo(named('Save changes', 'button'));
    await press('Enter');
    await page.getByRole('status').filter({ hasText: 'Nothing changed' }).waitFor();
    await expectFocusGivenBackTo(dialog, 'button "Edit"');
    const audit = await api.request<ApiPage<AuditEvent>>('GET', '/v1/audit');
    expect(audit.items.filter((event) => event.action === 'dataSource.update')).toEqual([]);
  });

  it('opens the restore dialog with Space and lists what restoring over the demo database would overwrite', async () => {
    await tabTo(named('Backups', 'a'), { back: true });
    await press('Enter');
    await page.waitForURL(/\/backups$/);
    // Local mode also has a demo PostgreSQL whose backup may be the newest: keep to the MariaDB demo's backups.
    const sources = await api.request<ApiPage<DataSource>>('GET', '/v1/data-sources');
    const mariadbDemo = sources.items.find((source) => source.name === 'demo (local MariaDB)');
    expect(mariadbDemo).toBeDefined();
    await page.goto(`${local.apiUrl}/backups?sourceId=${mariadbDemo?.id}`);
    await page.getByRole('row').filter({ hasText: 'succeeded' }).first().waitFor({ timeout: 60_000 });
    await tabTo(named('Restore', 'button'));
    await press('Space');
    const dialog = page.getByRole('dialog', { name: 'Restore backup' });
    await dialog.waitFor();
    expect((await focus())?.inDialog).toBe(true);

    // The default: a new database, looked up as it is named.
    await dialog
      .getByText('keepsake_demo_restored does not exist on demo (local MariaDB): it will be created.')
      .waitFor();
    expect(await dialog.getByRole('button', { name: 'Restore' }).isEnabled()).toBe(true);

    // What the page itself was answered: row and size estimates move as InnoDB refreshes its statistics, so a second
    // request made by the test could differ from what the dialog shows.
    const answered: DatabaseInspection[] = [];
    page.on('response', (response) => {
      if (new URL(response.url()).pathname.endsWith('/databases/keepsake_demo') && response.ok()) {
        void response.json().then((body: DatabaseInspection) => answered.push(body));
      }
    });

    // Over the source's database: the radio group takes the arrow keys.
    await tabTo(named('Into a new database (safe)', 'input[radio]'));
    await press('ArrowDown');
    expect(show(await focus())).toBe(`input[radio] "Over the source's database "keepsake_demo""`);
    const overwritten = dialog.getByRole('note', { name: 'What will be overwritten' });
    await overwritten.getByText('keepsake_demo exists on demo (local MariaDB) with 2 tables and 1 view.').waitFor();
    await overwritten
      .getByText(
        /are dropped and recreated with the backup's data; the other tables of keepsake_demo are kept\. A safety backup of keepsake_demo is taken first/,
      )
      .waitFor();

    await expect.poll(() => answered.length).toBeGreaterThan(0);
    const inspection = answered.at(-1) as DatabaseInspection;
    expect(inspection.exists && inspection.tables.map((t) => t.name).sort()).toEqual([
      'customers',
      'order_totals',
      'orders',
    ]);
    const rows = overwritten.getByRole('region', { name: 'Tables of keepsake_demo' }).getByRole('row');
    const shownRows = async (): Promise<string[][]> =>
      Promise.all((await rows.all()).slice(1).map((row) => row.getByRole('cell').allTextContents()));
    const expected = (i: DatabaseInspection) =>
      i.exists
        ? i.tables.map((t) =>
            t.kind === 'view'
              ? [`${t.name}view`, '—', '—']
              : [t.name, `≈ ${t.approxRows?.toLocaleString('en-US')}`, formatBytes(t.bytes)],
          )
        : [];
    // Compared with the newest answer at each try: a refetch may land while the rows are read.
    await expect
      .poll(async () => ({ shown: await shownRows(), answered: expected(answered.at(-1) as DatabaseInspection) }))
      .toSatisfy(
        ({ shown, answered: wanted }: { shown: string[][]; answered: string[][] }) =>
          JSON.stringify(shown) === JSON.stringify(wanted),
      );

    // Nothing is overwritten until the name is typed.
    const restore = dialog.getByRole('button', { name: 'Restore' });
    expect(await restore.isDisabled()).toBe(true);
    await tabTo(named('Type keepsake_demo to confirm', 'input[text]'));
    await page.keyboard.type('keepsake_dem');
    expect(await restore.isDisabled()).toBe(true);
    await page.keyboard.type('o');
    expect(await restore.isEnabled()).toBe(true);
    await shot('keyboard-restore-overwrite-list');
    await expectFocusTrapped();

    await press('Escape');
    await expectFocusGivenBackTo(dialog, 'button "Restore"');
  });

  it('asks for the name too when the "new" database typed already exists', async () => {
    await press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Restore backup' });
    await dialog.waitFor();
    await tabTo(named('New database name', 'input[text]'));
    await page.keyboard.press('Control+A');
    await page.keyboard.type('keepsake_demo');
    await dialog.getByText('keepsake_demo exists on demo (local MariaDB) with 2 tables and 1 view.').waitFor();
    expect(await dialog.getByLabel('Type keepsake_demo to confirm').isVisible()).toBe(true);
    expect(await dialog.getByRole('button', { name: 'Restore' }).isDisabled()).toBe(true);
    await press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('showed a focus indicator on every control the focus reached, and the page raised no errors', () => {
    expect(visited.length).toBeGreaterThan(50);
    const without = visited.filter((f) => !f.indicator).map((f) => `${show(f)} (${f.style})`);
    expect([...new Set(without)]).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
