import { beforeEach, describe, expect, it } from 'vitest';
import type { DataSource } from '../../../types/dataSource.ts';
import type { Schedule } from '../../../types/schedule.ts';
import { ApiResponseError, type ApiTransport } from '../../../types/apiClient.ts';
import { errorMessage, useApiTransport } from '../../../web/src/api.ts';
import { everyDataSource, everySchedule } from '../../../web/src/queries.ts';

const source = (n: number): DataSource => ({
  id: `src-${String(n).padStart(3, '0')}`,
  name: `Source ${n}`,
  engine: 'mysql',
  host: 'db.internal',
  port: 3306,
  database: 'shop',
  username: 'backup',
  tls: { mode: 'required' },
  enabled: true,
  createdAt: '2026-03-01T12:00:00.000Z',
  updatedAt: '2026-03-01T12:00:00.000Z',
});

/** An API holding `items` under `/v1/data-sources` that pages them as the real one does: `limit`, then `nextCursor`. */
function pagedApi(items: readonly unknown[]) {
  const asked: URL[] = [];
  const transport: ApiTransport = {
    baseUrl: 'https://api.example',
    send: async (request) => {
      const url = new URL(request.url);
      asked.push(url);
      const start = Number(url.searchParams.get('cursor')?.slice(1) ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 25);
      const next = start + limit < items.length ? `p${start + limit}` : undefined;
      const page = { items: items.slice(start, start + limit), ...(next && { nextCursor: next }) };
      return Response.json(page);
    },
  };
  return { asked, transport };
}

describe('the console reads the lists it shows whole to their end', () => {
  const sources = Array.from({ length: 101 }, (_, i) => source(i + 1));
  let asked: URL[];

  beforeEach(() => {
    const api = pagedApi(sources);
    asked = api.asked;
    useApiTransport(api.transport);
  });

  it('lists and offers the 101st data source, following nextCursor', async () => {
    const { items } = await everyDataSource();
    expect(items).toHaveLength(101);
    expect(items.at(-1)?.name).toBe('Source 101');
    expect(asked.map((url) => `${url.pathname}${url.search}`)).toEqual([
      '/v1/data-sources?limit=100',
      '/v1/data-sources?limit=100&cursor=p100',
    ]);
  });

  it('lists the 101st schedule too', async () => {
    const schedules = sources.map((s): Schedule => ({
      id: `sch-${s.id}`,
      sourceId: s.id,
      cron: '0 3 * * *',
      timeZone: 'UTC',
      enabled: true,
      retention: { daily: 7, weekly: 4, monthly: 6, keepLast: 0, includeManualBackups: false },
      verify: { when: 'never', testRestore: false },
      createdAt: '2026-03-01T12:00:00.000Z',
      updatedAt: '2026-03-01T12:00:00.000Z',
      nextRuns: [],
    }));
    const api = pagedApi(schedules);
    useApiTransport(api.transport);
    const { items } = await everySchedule();
    expect(items.map((schedule) => schedule.id)).toEqual(schedules.map((schedule) => schedule.id));
    expect(api.asked.map((url) => url.searchParams.get('cursor'))).toEqual([null, 'p100']);
  });
});

describe('an answer that breaks the contract is an error, not a cast', () => {
  it('names the field the answer got wrong', async () => {
    const { host: _host, ...hostless } = source(7);
    useApiTransport(pagedApi([hostless]).transport);
    const failed = everyDataSource();
    await expect(failed).rejects.toBeInstanceOf(ApiResponseError);
    const message = errorMessage(await failed.catch((error: unknown) => error));
    expect(message).toMatch(/^listDataSources answered with what its contract does not allow: items\.0\.host: /);
  });

  it("shows the API's own message when it refuses", async () => {
    useApiTransport({
      baseUrl: 'https://api.example',
      send: async () =>
        Response.json({ error: 'Invalid request', fields: { limit: 'limit must be 1-100' } }, { status: 400 }),
    });
    expect(errorMessage(await everyDataSource().catch((error: unknown) => error))).toBe(
      'Invalid request (limit: limit must be 1-100)',
    );
  });
});
