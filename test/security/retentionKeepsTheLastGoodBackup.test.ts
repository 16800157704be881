import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackupRecord, type BackupRecord } from '../../functions/shared/repositories/backups.ts';
import type { Backup } from '../../types/backup.ts';
import { backupRecord, seedSource } from '../integration/api/backupApi.ts';
import { call } from '../support/api.ts';
import { objectKeys, seedWithObjects } from '../support/backupHistory.ts';
import { startLocalMachines, type LocalMachines } from '../support/localMachines.ts';
import { bucket } from '../support/runner.ts';
import { testS3Client } from '../support/services.ts';

type Handler = Parameters<typeof call>[0];

const SOURCE = `sec-retention-${process.pid}`;
const at = (day: string) => `2026-06-${day}T02:00:00.000Z`;

/**
 * Issue 17, item 4, through the Sweeper machine as synthesized and run locally (the real retention handler on
 * DynamoDB Local and s3rver), with daily=1: the newest backup failed its verification and the one before lost its
 * object. Counting any succeeded backup as good kept the corrupt one and trashed every restorable backup.
 */
describe('retention keeps the last good backup', () => {
  let machines: LocalMachines;
  let getBackup: Handler;
  const s3 = () => testS3Client();

  const olderGood = backupRecord({ id: `${SOURCE}-01`, sourceId: SOURCE, createdAt: at('01') });
  const lastGood = backupRecord({
    id: `${SOURCE}-02`,
    sourceId: SOURCE,
    createdAt: at('02'),
    verification: { status: 'verified', at: at('02') },
  });
  const objectDeleted = backupRecord({ id: `${SOURCE}-03`, sourceId: SOURCE, createdAt: at('03') });
  const corruptNewest = backupRecord({
    id: `${SOURCE}-04`,
    sourceId: SOURCE,
    createdAt: at('04'),
    verification: { status: 'failed', at: at('04'), reason: 'corrupt: sha256 mismatch' },
  });

  const sweep = async (name: string) => {
    const before = machines.notifications.length;
    const outcome = await machines.run('Sweeper', {}, name);
    expect(outcome.ok ? undefined : `${outcome.error.name}: ${outcome.error.message}`).toBeUndefined();
    return machines.notifications.slice(before);
  };
  const record = async (backup: BackupRecord) => getBackupRecord(machines.table, backup.id);

  beforeAll(async () => {
    // Read by the retention handler at load, which startLocalMachines imports.
    process.env.DEFAULT_RETENTION = JSON.stringify({ daily: 1, weekly: 0, monthly: 0 });
    machines = await startLocalMachines();
    getBackup = (await import('../../functions/backups/getBackup.ts')).handler as Handler;
    await seedSource(machines.table, SOURCE);
    await seedWithObjects(machines.table, s3(), bucket(), [olderGood, lastGood, objectDeleted, corruptNewest]);
    await s3().send(new DeleteObjectCommand({ Bucket: bucket(), Key: objectDeleted.s3Key }));
  });

  afterAll(() => machines?.stepFunctions.close());

  it('keeps the newest verified backup, marks the one without its object, and alerts about it once', async () => {
    const notifications = await sweep('sweep-1');

    expect(await record(lastGood)).toEqual(lastGood);
    expect((await record(olderGood))?.trashedAt).toEqual(expect.any(String));
    // Neither good nor retention's to throw away: a person looks at them.
    expect(await record(corruptNewest)).toEqual(corruptNewest);
    const marked = await record(objectDeleted);
    expect(marked).toEqual({ ...objectDeleted, objectMissingAt: expect.any(String) });
    expect(Date.now() - Date.parse(marked?.objectMissingAt ?? '')).toBeLessThan(60_000);

    expect(notifications).toEqual([
      {
        TopicArn: expect.any(String),
        Subject: `Keepsake: a backup of Source ${SOURCE} (shop) lost its object`,
        Message: expect.stringContaining(
          `- backup ${objectDeleted.id} of database shop, taken ${at('03')}: ${objectDeleted.s3Key}`,
        ),
      },
    ]);
    // The trash keeps objects until it is purged; nothing was deleted by retention.
    expect(await objectKeys(s3(), bucket(), `${SOURCE}/`)).toEqual(
      [olderGood, lastGood, corruptNewest].map((b) => b.s3Key).sort(),
    );
  });

  it('shows the mark in the API', async () => {
    const shown = await call<Backup>(getBackup, {
      method: 'GET',
      resource: '/v1/backups/{id}',
      pathParameters: { id: objectDeleted.id },
    });
    expect(shown.status).toBe(200);
    expect(shown.body.objectMissingAt).toEqual(expect.any(String));
    expect(shown.body.objectMissingAt).toBe((await record(objectDeleted))?.objectMissingAt);
  });

  it('sends nothing on the next sweep and keeps the same backup', async () => {
    const marked = await record(objectDeleted);
    expect(await sweep('sweep-2')).toEqual([]);
    expect(await record(lastGood)).toEqual(lastGood);
    expect(await record(objectDeleted)).toEqual(marked);
    expect(await record(corruptNewest)).toEqual(corruptNewest);
  });
});
