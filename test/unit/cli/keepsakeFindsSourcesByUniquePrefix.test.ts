import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { matchSource } from '../../../scripts/cli/keepsake.ts';
import { keepsake, SOURCES, startFakeApi, type FakeApi } from './fakeApi.ts';

let api: FakeApi;
beforeAll(async () => (api = await startFakeApi()));
afterAll(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
});

describe('a data source named on the command line', () => {
  it('is found by the start of its name, so the README\'s "list --source demo" lists demo (local MariaDB)', async () => {
    const result = await keepsake(api, ['list', '--source', 'demo']);
    expect(result.code, result.stderr).toBe(0);
    expect(api.requests).toContain('GET /v1/backups?limit=25&sourceId=src-demo');
    expect(result.stdout).toContain('b-1');
  });

  it('matches any case, and by id or exact name first', () => {
    const sources = Object.values(SOURCES);
    expect(matchSource(sources, 'DEMO').id).toBe('src-demo');
    expect(matchSource(sources, 'src-ship').id).toBe('src-ship');
    expect(matchSource(sources, 'Shop').id).toBe('src-shop');
    const withExact = [...sources, { ...SOURCES.shop, id: 'src-shop-eu', name: 'Shop EU' }];
    expect(matchSource(withExact, 'Shop').id).toBe('src-shop');
  });

  it('is refused when the start matches more than one, listing them, with exit 2 and nothing done', async () => {
    const result = await keepsake(api, ['backup', 'sh']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"sh" matches 2 data sources; give more of the name or the id:');
    expect(result.stderr).toContain('Shop  (src-shop)');
    expect(result.stderr).toContain('Shipping  (src-ship)');
    expect(api.requests.filter((r) => r.startsWith('POST'))).toEqual([]);
  });

  it('that matches nothing is exit 2, pointing at keepsake sources', async () => {
    const result = await keepsake(api, ['list', '--source', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no data source has the id or name "nope" (keepsake sources lists them)');
  });

  it('by prefix in restore --to as well', async () => {
    const result = await keepsake(api, ['restore', 'b-1', '--to', 'dem/shop_new']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('into demo (local MariaDB)/shop_new');
  });
});

describe('keepsake sources', () => {
  it('lists every data source under a header, with the id to script with', async () => {
    const result = await keepsake(api, ['sources']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'NAME                  ENGINE   SERVER          DATABASE  ENABLED  ID',
      'demo (local MariaDB)  mariadb  127.0.0.1:3306  shop      yes      src-demo',
      'Shop                  mariadb  127.0.0.1:3306  shop      yes      src-shop',
      'Shipping              mariadb  127.0.0.1:3306  parcels   yes      src-ship',
      '',
    ]);
  });
});
