import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from '../../../types/api.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import { call } from '../../support/api.ts';
import { SOURCES, sourceBody, startDataSourceApi, type DataSourceApi } from './dataSourceApi.ts';

let api: DataSourceApi;
beforeAll(async () => {
  api = await startDataSourceApi();
});
afterAll(() => api.scheduler.close());

describe('listing data sources page by page', () => {
  it('walks 30 sources in pages of 7 with the cursor, each seen once, ordered by name regardless of case', async () => {
    // Created in a scrambled order, names in mixed case: the order comes from the index, not from insertion.
    const names = Array.from(
      { length: 30 },
      (_, i) => `${i % 3 === 0 ? 'DB' : 'db'}-${String((i * 7) % 30).padStart(2, '0')}`,
    );
    const created = new Map<string, string>();
    for (const name of names) {
      const response = await call<DataSource>(api.create, {
        method: 'POST',
        resource: SOURCES,
        body: sourceBody({ name }),
      });
      expect(response.status).toBe(201);
      created.set(response.body.id, name);
    }

    const seen: DataSource[] = [];
    const pageSizes: number[] = [];
    let cursor: string | undefined;
    do {
      const response = await call<Page<DataSource>>(api.list, {
        method: 'GET',
        resource: SOURCES,
        query: { limit: '7', ...(cursor && { cursor }) },
      });
      expect(response.status).toBe(200);
      pageSizes.push(response.body.items.length);
      seen.push(...response.body.items);
      cursor = response.body.nextCursor;
      expect(pageSizes.length).toBeLessThan(10);
    } while (cursor);

    expect(pageSizes.slice(0, 4)).toEqual([7, 7, 7, 7]);
    expect(pageSizes.slice(4).reduce((a, b) => a + b, 0)).toBe(2);
    expect(seen.map((s) => s.id).sort()).toEqual([...created.keys()].sort());
    expect(new Set(seen.map((s) => s.id)).size).toBe(30);
    const sorted = [...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
    expect(seen.map((s) => s.name)).toEqual(sorted);
  });

  it('uses 25 per page by default', async () => {
    const response = await call<Page<DataSource>>(api.list, { method: 'GET', resource: SOURCES });
    expect(response.body.items).toHaveLength(25);
    expect(response.body.nextCursor).toEqual(expect.any(String));
  });
});
