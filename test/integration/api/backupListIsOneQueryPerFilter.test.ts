import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { putBackupRecords, type BackupRecord } from '../../../functions/shared/repositories/backups.ts';
import { encodeCursor } from '../../../functions/shared/keys.ts';
import type { Page } from '../../../types/api.ts';
import type { Backup, BackupStatus } from '../../../types/backup.ts';
import { call } from '../../support/api.ts';
import { BACKUPS, SOURCE_BACKUPS, backupRecord, seedSource, startBackupApi, type BackupApi } from './backupApi.ts';

const STATUSES: BackupStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
const START = Date.parse('2026-01-01T00:00:00.000Z');
const HOUR = 3_600_000;

let api: BackupApi;
/** The handlers' shared client, imported after the test table's endpoint is set (it is created at load). */
let documentClient: DynamoDBDocumentClient;
/** 60 backups one hour apart from 2026-01-01T00:00Z: sources alternate, statuses cycle, so every source+status pair holds 6. */
const seeded: BackupRecord[] = Array.from({ length: 60 }, (_, i) =>
  backupRecord({
    id: `b-${String(i).padStart(2, '0')}`,
    sourceId: i % 2 === 0 ? 'alpha' : 'beta',
    status: STATUSES[i % 5] as BackupStatus,
    createdAt: new Date(START + i * HOUR).toISOString(),
  }),
);
const trashed = [
  backupRecord({
    id: 't-1',
    sourceId: 'alpha',
    createdAt: new Date(START + HOUR / 2).toISOString(),
    trashedAt: '2026-02-01T00:00:00.000Z',
  }),
  backupRecord({
    id: 't-2',
    sourceId: 'beta',
    status: 'failed',
    createdAt: new Date(START + HOUR / 3).toISOString(),
    trashedAt: '2026-02-02T00:00:00.000Z',
  }),
];

beforeAll(async () => {
  api = await startBackupApi();
  ({ documentClient } = await import('../../../functions/shared/clients.ts'));
  await seedSource(api.table, 'alpha');
  await seedSource(api.table, 'beta');
  await putBackupRecords(api.table, [...seeded, ...trashed]);
});
afterEach(() => {
  vi.restoreAllMocks();
});

type Query = Record<string, string>;

const list = (query: Query) =>
  call<Page<Backup> & { error?: string; fields?: Record<string, string> }>(api.list, {
    method: 'GET',
    resource: BACKUPS,
    query,
  });

/** Follows `nextCursor` to the end, checking every page is full but the last. */
async function listAll(query: Query, limit: number, fetchPage = list): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const response = await fetchPage({ ...query, limit: String(limit), ...(cursor && { cursor }) });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    pages++;
    ids.push(...response.body.items.map((b) => b.id));
    cursor = response.body.nextCursor;
    if (cursor) expect(response.body.items).toHaveLength(limit);
  } while (cursor);
  return { ids, pages };
}

/** What a filter should return: the seeded backups, newest first. */
function expected(filter: { sourceId?: string; status?: string; from?: string; to?: string }): string[] {
  return seeded
    .filter(
      (b) => (!filter.sourceId || b.sourceId === filter.sourceId) && (!filter.status || b.status === filter.status),
    )
    .filter((b) => (!filter.from || b.createdAt >= filter.from) && (!filter.to || b.createdAt <= filter.to))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .map((b) => b.id);
}

/** Every DynamoDB command the handlers send while `run` runs. */
async function commandsDuring(
  run: () => Promise<unknown>,
): Promise<{ name: string; input: Record<string, unknown> }[]> {
  const spy = vi.spyOn(documentClient, 'send');
  await run();
  const commands = spy.mock.calls.map(([command]) => ({
    name: command.constructor.name,
    input: (command as unknown as { input: Record<string, unknown> }).input,
  }));
  spy.mockRestore();
  return commands;
}

const FROM = '2026-01-01T10:00:00.000Z';
const TO = '2026-01-02T15:00:00.000Z';

describe('listing backups', () => {
  it('pages through all 60 newest first, 25 at a time, never listing the trash', async () => {
    const { ids, pages } = await listAll({}, 25);
    expect(pages).toBe(3);
    expect(ids).toEqual(expected({}));
    expect(new Set(ids).size).toBe(60);
  });

  it.each([
    [{}, 'gsi1'],
    [{ sourceId: 'alpha' }, 'gsi2'],
    [{ status: 'failed' }, 'gsi3'],
    [{ sourceId: 'beta', status: 'succeeded' }, 'gsi4'],
    [{ from: FROM }, 'gsi1'],
    [{ to: TO }, 'gsi1'],
    [{ from: FROM, to: TO }, 'gsi1'],
    [{ sourceId: 'alpha', from: FROM, to: TO }, 'gsi2'],
    [{ status: 'queued', from: FROM, to: TO }, 'gsi3'],
    [{ sourceId: 'beta', status: 'cancelled', from: FROM }, 'gsi4'],
    [{ sourceId: 'alpha', status: 'running', to: TO }, 'gsi4'],
  ] as const)('filters by %j with Queries on %s only, over pages of 4', async (filter, index) => {
    let result: { ids: string[]; pages: number } = { ids: [], pages: 0 };
    const commands = await commandsDuring(async () => {
      result = await listAll(filter, 4);
    });

    expect(result.ids).toEqual(expected(filter));
    expect(result.pages).toBeGreaterThan(1);
    expect(commands.length).toBeGreaterThanOrEqual(result.pages);
    for (const command of commands) {
      expect(command.name).toBe('QueryCommand');
      expect(command.input.IndexName).toBe(index);
      expect(command.input.FilterExpression).toBeUndefined();
      expect(command.input.ScanIndexForward).toBe(false);
    }
  });

  it('takes whole days for date-only bounds and any offset for date-times', async () => {
    expect((await listAll({ from: '2026-01-02', to: '2026-01-02' }, 100)).ids).toEqual(
      expected({ from: '2026-01-02T00:00:00.000Z', to: '2026-01-02T23:59:59.999Z' }),
    );
    expect((await listAll({ from: '2026-01-02T01:00:00+01:00', to: '2026-01-02T03:00:00+01:00' }, 100)).ids).toEqual([
      'b-26',
      'b-25',
      'b-24',
    ]);
  });

  it('lists one source through its own route, and answers 404 for an unknown source', async () => {
    const ofSource = (query: Query) =>
      call<Page<Backup>>(api.listOfSource, {
        method: 'GET',
        resource: SOURCE_BACKUPS,
        pathParameters: { id: 'beta' },
        query,
      }) as ReturnType<typeof list>;
    expect((await listAll({}, 10, ofSource)).ids).toEqual(expected({ sourceId: 'beta' }));
    expect((await listAll({ status: 'failed', from: FROM }, 2, ofSource)).ids).toEqual(
      expected({ sourceId: 'beta', status: 'failed', from: FROM }),
    );

    const unknown = await call(api.listOfSource, {
      method: 'GET',
      resource: SOURCE_BACKUPS,
      pathParameters: { id: 'gamma' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'data source gamma not found' });
  });

  it('lists the trash, most recently trashed first, all or per source', async () => {
    const all = await call<Page<Backup>>(api.listTrash, { method: 'GET', resource: '/v1/trash' });
    expect(all.body.items.map((b) => b.id)).toEqual(['t-2', 't-1']);
    expect(all.body.items[0]?.trashedAt).toBe('2026-02-02T00:00:00.000Z');
    const ofAlpha = await call<Page<Backup>>(api.listTrash, {
      method: 'GET',
      resource: '/v1/trash',
      query: { sourceId: 'alpha' },
    });
    expect(ofAlpha.body.items.map((b) => b.id)).toEqual(['t-1']);
  });

  const otherListsCursor = encodeCursor({
    pk: 'BACKUP#b-01',
    sk: 'BACKUP',
    gsi1pk: 'BACKUPS',
    gsi1sk: '2026-01-01T01:00:00.000Z#b-01',
  }) as string;
  it.each([
    ['an unknown status', { status: 'done' }, 'status'],
    ['from after to', { from: '2026-01-03', to: '2026-01-02' }, 'from'],
    ['a from that is not a date', { from: 'yesterday' }, 'from'],
    ['an impossible date', { to: '2026-02-30' }, 'to'],
    ['a cursor that is not one of ours', { cursor: 'bm90LWpzb24' }, 'cursor'],
    ['a cursor with characters outside base64url', { cursor: 'abc$' }, 'cursor'],
    ['a cursor from another filter', { sourceId: 'alpha', cursor: otherListsCursor }, 'cursor'],
    ['a cursor outside the date range', { from: '2026-01-02', cursor: otherListsCursor }, 'cursor'],
    ['limit 0', { limit: '0' }, 'limit'],
    ['limit 101', { limit: '101' }, 'limit'],
    ['a limit that is not a number', { limit: 'ten' }, 'limit'],
    ['a malformed source id', { sourceId: 'a b' }, 'sourceId'],
  ])('answers 400 naming the field for %s', async (_name, query, field) => {
    const response = await list(query);
    expect(response.status).toBe(400);
    expect(Object.keys(response.body.fields ?? {})).toEqual([field]);
  });
});
