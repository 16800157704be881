import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKUPS, keepsake, RESTORES, SOURCES, startFakeApi, type FakeApi } from './fakeApi.ts';

let api: FakeApi;
beforeAll(async () => (api = await startFakeApi()));
afterAll(() => api.close());

describe('--json on every read command prints the API objects on stdout', () => {
  it.each([
    [['list'], BACKUPS],
    [['list', '--status', 'failed'], BACKUPS.filter((b) => b.status === 'failed')],
    [['sources'], Object.values(SOURCES)],
    [['show', 'b-1'], BACKUPS[0]],
    [['restores'], RESTORES],
  ])('keepsake %j --json', async (args, objects) => {
    const result = await keepsake(api, [...args, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(objects);
  });
});

describe('tables have a header and show times in the local zone', () => {
  it('list: in Berlin (TZ) a 12:00 UTC backup shows as 13:00 UTC+1, under a header', async () => {
    const result = await keepsake(api, ['list'], { env: { TZ: 'Europe/Berlin' } });
    expect(result.code, result.stderr).toBe(0);
    const [header, first, second] = result.stdout.split('\n');
    expect(header).toMatch(/^ID +CREATED +STATUS +TRIGGER +SIZE +SOURCE +DATABASE +ERROR$/);
    expect(first).toMatch(
      /^b-1 +2026-03-01 13:00 UTC\+1 +succeeded +schedule +300\.0 KiB +demo \(local MariaDB\) +shop$/,
    );
    expect(second).toMatch(/^b-2 +2026-03-01 00:30 UTC\+1 +failed +api +- +Shop +shop +connect ECONNREFUSED/);
  });

  it('list: the same backups in New York and in UTC', async () => {
    const newYork = await keepsake(api, ['list'], { env: { TZ: 'America/New_York' } });
    expect(newYork.stdout).toContain('2026-03-01 07:00 UTC-5');
    const utc = await keepsake(api, ['list'], { env: { TZ: 'UTC' } });
    expect(utc.stdout).toContain('2026-03-01 12:00 UTC ');
  });

  it('restores: a header, local times, the target by name', async () => {
    const result = await keepsake(api, ['restores'], { env: { TZ: 'Asia/Kolkata' } });
    expect(result.code, result.stderr).toBe(0);
    const [header, row] = result.stdout.split('\n');
    expect(header).toMatch(/^ID +CREATED +STATUS +BACKUP +TARGET +BY +ERROR$/);
    expect(row).toMatch(/^r-1 +2026-03-01 17:40 UTC\+5:30 +succeeded +b-1 +demo \(local MariaDB\)\/shop_copy +local$/);
  });

  it('show: one backup field by field, its source by name', async () => {
    const result = await keepsake(api, ['show', 'b-1'], { env: { TZ: 'Europe/Berlin' } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('source:   demo (local MariaDB) (src-demo)');
    expect(result.stdout).toContain('created:  2026-03-01 13:00 UTC+1');
    expect(result.stdout).toContain('size:     300.0 KiB stored, 1.2 MiB of SQL');
    expect(result.stdout).toContain(`sha256:   ${BACKUPS[0]?.sha256}`);
  });
});
