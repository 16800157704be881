import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyRetention, purgeTrash, type PurgeDeps } from '../../../functions/retention/retentionService.ts';
import { listAudit } from '../../../functions/shared/repositories/audit.ts';
import { getBackupRecord, putBackupRecords, type BackupRecord } from '../../../functions/shared/repositories/backups.ts';
import { transactWriteItems } from '../../../functions/shared/repositories/cancellation.ts';
import { putNewSchedule } from '../../../functions/shared/repositories/schedules.ts';
import { readSourceStats, sourceStatsUpdate } from '../../../functions/shared/repositories/stats.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import type { AuditEvent } from '../../../types/audit.ts';
import type { ApplyRetentionResult, PurgeTrashResult, SourceIds } from '../../../types/retention.ts';
import { DEFAULT_RETENTION } from '../../../types/schedule.ts';
import { useTestTable } from '../../support/api.ts';
import { services, testS3Client } from '../../support/services.ts';
import { backupRecord, seedSource } from '../api/backupApi.ts';

/**
 * The sweeper over DynamoDB Local and s3rver. Source GFS has a Europe/Berlin schedule with the default policy
 * (7 daily, 4 weekly, 6 monthly) and 120 nightly backups at 22:30 UTC, 2026-01-05 … 2026-05-04. In Berlin that
 * is 23:30 CET on the same date until the clocks spring forward on Sun 2026-03-29, then 00:30 CEST on the NEXT
 * date: local Mar 29 has no backup, and the newest (UTC May 4) is local Tue May 5.
 */
const GFS = 'sweep-gfs';
/** No schedule: DEFAULT_RETENTION from the environment applies, in UTC. */
const PLAIN = 'sweep-plain';

/** The GFS set, by UTC date of the 22:30 UTC backup, worked out on a calendar (local dates in Berlin). */
const EXPECTED_KEPT_UTC_DATES = [
  // daily 7: local May 5, 4, 3, 2, 1, Apr 30, Apr 29
  '2026-05-04', '2026-05-03', '2026-05-02', '2026-05-01', '2026-04-30', '2026-04-29', '2026-04-28',
  // weekly 4 (ISO weeks, Monday start): May 4–10 → local May 5 (already daily); Apr 27 – May 3 → local Sun May 3
  // (already daily); Apr 20–26 → local Sun Apr 26; Apr 13–19 → local Sun Apr 19
  '2026-04-25', '2026-04-18',
  // monthly 6 (only 5 months have backups): May → local May 5, Apr → local Apr 30 (both already kept);
  // Mar → local Mar 31 (UTC Mar 30, CEST); Feb → Feb 28 (CET, same date); Jan → Jan 31
  '2026-03-30', '2026-02-28', '2026-01-31',
];

const DAY_MS = 86_400_000;
const FIRST = Date.parse('2026-01-05T22:30:00.000Z');
const nightlyId = (utcDate: string) => `nightly-${utcDate}`;
const lambdaContext = { awsRequestId: 'test', functionName: 'test' } as Context;

type Task<I, O> = (event: I, context: Context) => Promise<O>;
let table: TableRef;
let bucket: string;
let handlers: {
  applyRetention: Task<unknown, ApplyRetentionResult>;
  listSourceIds: Task<unknown, SourceIds>;
  purgeTrash: Task<unknown, PurgeTrashResult>;
};
const s3 = () => testS3Client();
const nightly: BackupRecord[] = [];
const untouchable: BackupRecord[] = [];
let plainBackups: BackupRecord[] = [];

async function seedWithObjects(records: BackupRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += 10) {
    await Promise.all(
      records.slice(i, i + 10).map((r) => (r.s3Key ? s3().send(new PutObjectCommand({ Bucket: bucket, Key: r.s3Key, Body: randomBytes(r.compressedBytes ?? 0) })) : undefined)),
    );
  }
  await putBackupRecords(table, records);
  const stored = records.filter((r) => r.status === 'succeeded');
  await transactWriteItems(table, [
    sourceStatsUpdate(table, records[0]!.sourceId, { storedBytes: stored.reduce((sum, r) => sum + (r.compressedBytes ?? 0), 0), storedBackups: stored.length }),
  ]);
}

const objectKeys = async (prefix: string) => {
  const out = await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? '').sort();
};
const statsOf = async (sourceId: string) => (await readSourceStats(table)).find((s) => s.sourceId === sourceId);
const purgeDeps = (overrides: Partial<PurgeDeps>): PurgeDeps => ({ table, s3: s3(), bucket, now: () => new Date(), ...overrides });

beforeAll(async () => {
  table = await useTestTable();
  ({ bucket } = services().s3);
  process.env.KEEPSAKE_S3_ENDPOINT = services().s3.endpoint;
  process.env.BACKUP_BUCKET_NAME = bucket;
  process.env.DEFAULT_RETENTION = JSON.stringify({ daily: 2, weekly: 0, monthly: 0 });
  delete process.env.TRASH_GRACE_DAYS;
  handlers = {
    applyRetention: (await import('../../../functions/orchestration/applyRetention.ts')).handler,
    listSourceIds: (await import('../../../functions/orchestration/listSourceIds.ts')).handler,
    purgeTrash: (await import('../../../functions/orchestration/purgeTrash.ts')).handler,
  };

  await seedSource(table, GFS);
  await seedSource(table, PLAIN);
  await transactWriteItems(table, [
    putNewSchedule(table, {
      id: 'sweep-nightly',
      sourceId: GFS,
      cron: '30 23 * * *',
      timeZone: 'Europe/Berlin',
      enabled: true,
      retention: { ...DEFAULT_RETENTION },
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      revision: 1,
    }),
  ]);

  for (let day = 0; day < 120; day++) {
    const createdAt = new Date(FIRST + day * DAY_MS).toISOString();
    nightly.push(backupRecord({ id: nightlyId(createdAt.slice(0, 10)), sourceId: GFS, createdAt, compressedBytes: 100 + day }));
  }
  expect(nightly.at(-1)?.createdAt).toBe('2026-05-04T22:30:00.000Z');
  untouchable.push(
    backupRecord({ id: 'failed-feb', sourceId: GFS, status: 'failed', createdAt: '2026-02-10T22:30:00.000Z', error: 'boom' }),
    backupRecord({ id: 'cancelled-apr', sourceId: GFS, status: 'cancelled', createdAt: '2026-04-02T22:30:00.000Z' }),
    // Newer than every succeeded one: neither counts as a day nor takes the "newest" slot.
    backupRecord({ id: 'failed-newest', sourceId: GFS, status: 'failed', createdAt: '2026-05-05T22:30:00.000Z', error: 'boom' }),
    backupRecord({ id: 'running-now', sourceId: GFS, status: 'running', createdAt: '2026-05-05T23:00:00.000Z', startedAt: '2026-05-05T23:00:00.000Z' }),
  );
  await seedWithObjects([...nightly, ...untouchable]);

  plainBackups = ['2026-04-01', '2026-04-02', '2026-04-03', '2026-04-04'].map((d, i) =>
    backupRecord({ id: `plain-${d}`, sourceId: PLAIN, createdAt: `${d}T12:00:00.000Z`, compressedBytes: 50 + i }),
  );
  await seedWithObjects(plainBackups);
});

describe('the sweeper', () => {
  it('lists every data source', async () => {
    const out = await handlers.listSourceIds({ 'detail-type': 'Scheduled Event', source: 'aws.scheduler' }, lambdaContext);
    expect([...out.sourceIds].sort()).toEqual([PLAIN, GFS].sort());
  });

  it('keeps exactly the GFS set of 120 days of nightly backups and trashes the rest, touching nothing else', async () => {
    const before = await statsOf(GFS);
    const result = await handlers.applyRetention({ sourceId: GFS }, lambdaContext);

    const expectedKept = EXPECTED_KEPT_UTC_DATES.map(nightlyId);
    expect(expectedKept).toHaveLength(12);
    const expectedTrashed = nightly.map((b) => b.id).filter((id) => !expectedKept.includes(id));
    expect(result.sourceId).toBe(GFS);
    expect(result.kept).toBe(12);
    expect([...result.trashed].sort()).toEqual(expectedTrashed.sort());

    for (const backup of nightly) {
      const stored = await getBackupRecord(table, backup.id);
      expect({ id: backup.id, trashed: stored?.trashedAt !== undefined }).toEqual({ id: backup.id, trashed: !expectedKept.includes(backup.id) });
    }
    for (const backup of [...untouchable, ...plainBackups]) expect(await getBackupRecord(table, backup.id)).toEqual(backup);
    // The trash keeps its objects: stored bytes only change when they are deleted.
    expect(await statsOf(GFS)).toEqual(before);
    expect(await objectKeys(`${GFS}/`)).toHaveLength(120);

    const audit: AuditEvent[] = (await listAudit(table, { limit: 1000 })).items.filter((e) => e.action === 'backup.trash');
    expect(audit).toHaveLength(expectedTrashed.length);
    expect(new Set(audit.map((e) => e.principal))).toEqual(new Set(['keepsake:retention']));
  });

  it('changes nothing when run again', async () => {
    expect(await applyRetention({ table, now: () => new Date(), defaultRetention: { ...DEFAULT_RETENTION }, pageSize: 7 }, GFS)).toEqual({ sourceId: GFS, kept: 12, trashed: [] });
  });

  it('applies DEFAULT_RETENTION, in UTC, to a source without schedules', async () => {
    const result = await handlers.applyRetention({ sourceId: PLAIN }, lambdaContext);
    expect(result).toEqual({ sourceId: PLAIN, kept: 2, trashed: ['plain-2026-04-02', 'plain-2026-04-01'] });
  });

  it('refuses a task input the state machine should never send', async () => {
    await expect(handlers.applyRetention({ sourceId: 'not an id!' }, lambdaContext)).rejects.toMatchObject({ name: 'InvalidTaskInput' });
  });

  it('purges nothing within the grace period (7 days by default)', async () => {
    expect(await handlers.purgeTrash({}, lambdaContext)).toEqual({ purged: 0, failed: [], more: false });
    const sixDaysOn = new Date(Date.now() + 6 * DAY_MS);
    expect(await purgeTrash(purgeDeps({ now: () => sixDaysOn }))).toEqual({ purged: 0, failed: [], more: false });
  });

  it('reports backups whose object cannot be deleted, leaves them in the trash, and never has a caller loop on them', async () => {
    const broken = purgeDeps({ bucket: 'no-such-bucket', now: () => new Date(Date.now() + 8 * DAY_MS), maxPerCall: 3 });
    const first = await purgeTrash(broken);
    expect(first.purged).toBe(0);
    expect(first.failed).toHaveLength(3);
    expect(first.failed[0]?.error).toMatch(/S3 DeleteObject failed/);
    // Called again without a cursor it would meet the same three: not worth it.
    expect(first.more).toBe(false);
    expect(first.cursor).toEqual(expect.any(String));
    // With the cursor it goes on past them.
    const next = await purgeTrash(broken, { cursor: first.cursor! });
    expect(next).toMatchObject({ purged: 0, more: true, cursor: expect.any(String) });
    expect(next.failed.map((f) => f.backupId)).not.toContain(first.failed[0]?.backupId);
    for (const { backupId } of [...first.failed, ...next.failed]) expect((await getBackupRecord(table, backupId))?.trashedAt).toBeDefined();
  });

  it('deletes trash older than the grace period with its objects, in bounded batches, and keeps the stats right', async () => {
    const eightDaysOn = new Date(Date.now() + 8 * DAY_MS);
    const batches: PurgeTrashResult[] = [];
    let cursor: string | undefined;
    do {
      const batch = await purgeTrash(purgeDeps({ now: () => eightDaysOn, maxPerCall: 50 }), cursor !== undefined ? { cursor } : {});
      batches.push(batch);
      cursor = batch.cursor;
      expect(batches.length).toBeLessThan(10);
    } while (batches.at(-1)?.more);

    // 108 of GFS and 2 of PLAIN were trashed.
    expect(batches.map((b) => b.purged)).toEqual([50, 50, 10]);
    expect(batches.flatMap((b) => b.failed)).toEqual([]);

    const kept = nightly.filter((b) => EXPECTED_KEPT_UTC_DATES.includes(b.createdAt.slice(0, 10)));
    for (const backup of nightly) {
      const stored = await getBackupRecord(table, backup.id);
      if (kept.includes(backup)) expect(stored).toEqual(backup);
      else expect(stored).toBeUndefined();
    }
    for (const backup of untouchable) expect(await getBackupRecord(table, backup.id)).toEqual(backup);
    expect(await objectKeys(`${GFS}/`)).toEqual(kept.map((b) => b.s3Key).sort());
    expect(await objectKeys(`${PLAIN}/`)).toEqual(plainBackups.slice(2).map((b) => b.s3Key).sort());

    expect(await statsOf(GFS)).toMatchObject({ storedBackups: 12, storedBytes: kept.reduce((sum, b) => sum + (b.compressedBytes ?? 0), 0) });
    expect(await statsOf(PLAIN)).toMatchObject({ storedBackups: 2, storedBytes: 52 + 53 });

    const deletions = (await listAudit(table, { limit: 1000 })).items.filter((e) => e.action === 'backup.delete');
    expect(deletions).toHaveLength(110);
    expect(new Set(deletions.map((e) => e.principal))).toEqual(new Set(['keepsake:retention']));
    expect(await purgeTrash(purgeDeps({ now: () => eightDaysOn }))).toEqual({ purged: 0, failed: [], more: false });
  });
});
