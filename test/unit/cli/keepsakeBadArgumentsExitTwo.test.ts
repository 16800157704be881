import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keepsake, startFakeApi, type FakeApi } from './fakeApi.ts';

let api: FakeApi;
beforeAll(async () => (api = await startFakeApi()));
afterAll(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
});

/** Each bad command line, and what its one-line error must say. */
const CASES: [readonly string[], string][] = [
  [['list', '--status', 'bogus'], 'bad --status "bogus": it is one of queued, running, succeeded, failed, cancelled'],
  [['list', '--status', 'Failed'], 'bad --status "Failed"'],
  [['list', '--limit', '0'], 'bad --limit "0": limit must be 1-100'],
  [['list', '--limit', '101'], 'bad --limit "101": limit must be 1-100'],
  [['list', '--limit', 'ten'], 'bad --limit "ten": limit must be a number'],
  [['list', '--limit', '2.5'], 'bad --limit "2.5": limit must be a whole number'],
  [['restores', '--limit', '-1'], '--limit needs a value'],
  [['list', '--bogus'], 'unknown option --bogus'],
  [['list', '-x'], 'unknown option -x'],
  [['list', '--source'], '--source needs a value'],
  [['list', '--source', '--status', 'failed'], '--source needs a value'],
  [['list', '--to', 'demo/shop'], 'list does not take --to (keepsake help list)'],
  [['sources', '--force'], 'sources does not take --force'],
  [['list', 'extra'], 'unexpected argument "extra"'],
  [['bogus'], 'unknown command "bogus"'],
  [['show'], 'give the backup id'],
  [['show', 'b-1', 'b-2'], 'unexpected argument "b-2"'],
  [['show', 'b 1'], 'bad backup id "b 1": id must be 1-64 letters, digits, _ or -'],
  [['verify', '../b-1'], 'bad backup id "../b-1"'],
  [['rollback', 'r/1'], 'bad restore id "r/1"'],
  [['backup'], 'give the data source'],
  [['backup', 'nope'], 'no data source has the id or name "nope"'],
  [['backup', 'sh'], '"sh" matches 2 data sources'],
  [['restore', 'b-1'], 'give the target as --to <source>/<database>'],
  [['restore', 'b-1', '--to', 'demo'], 'give the target as --to <source>/<database>'],
  [
    ['restore', 'b-1', '--to', `demo/${'x'.repeat(65)}`],
    `bad database in --to "${'x'.repeat(65)}": database names are at most 64 characters`,
  ],
  [['restore', 'b-1', '--to', 'demo/shop'], 'shop exists on demo (local MariaDB) (7 tables) and will be replaced'],
  [
    ['download', 'b-1', '--out', '/no/such/folder/b-1.sql.gz'],
    'cannot save /no/such/folder/b-1.sql.gz: /no/such/folder is not a folder',
  ],
  [['help', 'list', 'more'], 'unexpected argument "more"'],
];

describe('every bad argument value exits 2 with a message naming it, and nothing is changed', () => {
  it.each(CASES)('keepsake %j', async (args, message) => {
    const result = await keepsake(api, args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`keepsake: ${message}`);
    expect(result.stdout).toBe('');
    expect(api.requests.filter((request) => !request.startsWith('GET'))).toEqual([]);
  });
});
