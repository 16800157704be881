import { PutCommand } from '@aws-sdk/lib-dynamodb';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadUrl } from '../../../functions/backups/downloadService.ts';
import {
  NOW,
  PRINCIPAL,
  backup,
  ddb,
  given,
  rejectionOf,
  resetMocks,
  restoreMocks,
  s3,
  source,
  succeeded,
  table,
} from './backupFixtures.ts';

const deps = { table, s3, bucket: 'keepsake-backups', now: () => NOW };

beforeEach(() => {
  resetMocks();
  ddb.on(PutCommand).resolves({});
});
afterAll(restoreMocks);

describe('downloadUrl', () => {
  it('presigns a GET of the object, valid 300 s from now, saved as source-database-time, and audits it', async () => {
    given({ source, backup: succeeded() });

    const result = await downloadUrl(deps, { backupId: 'bk-1', principal: PRINCIPAL });

    const url = new URL(result.url);
    expect(url.hostname).toBe('keepsake-backups.s3.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/src-1/shop/2026-03-01_11-59-00.sql.gz');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(url.searchParams.get('X-Amz-Date')).toBe('20260301T120000Z');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(url.searchParams.get('response-content-disposition')).toBe(
      'attachment; filename="Shop-shop-2026-03-01T11-59-00Z.sql.gz"',
    );
    expect(result.expiresAt).toBe('2026-03-01T12:05:00.000Z');
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ action: 'backup.download', targetId: 'bk-1', principal: PRINCIPAL }),
    });
  });

  it('names the file by the source id once the source is deleted, in UTF-8 where the name is not ASCII', async () => {
    given({ backup: succeeded({ database: 'café' }) });
    const { url } = await downloadUrl(deps, { backupId: 'bk-1', principal: PRINCIPAL });
    expect(new URL(url).searchParams.get('response-content-disposition')).toBe(
      `attachment; filename="src-1-cafe-2026-03-01T11-59-00Z.sql.gz"; filename*=UTF-8''src-1-caf%C3%A9-2026-03-01T11-59-00Z.sql.gz`,
    );
  });

  it.each([
    ['queued', backup()],
    ['failed', backup({ status: 'failed', error: 'x' })],
    ['in the trash', succeeded({ trashedAt: '2026-03-01T11:00:00.000Z' })],
  ])('answers 409 for a backup that is %s, without auditing', async (_state, record) => {
    given({ backup: record });
    expect((await rejectionOf(downloadUrl(deps, { backupId: 'bk-1', principal: PRINCIPAL }))).statusCode).toBe(409);
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
  });

  it('answers 404 for an unknown backup', async () => {
    given({});
    expect((await rejectionOf(downloadUrl(deps, { backupId: 'nope', principal: PRINCIPAL }))).message).toBe(
      'backup nope not found',
    );
  });
});
