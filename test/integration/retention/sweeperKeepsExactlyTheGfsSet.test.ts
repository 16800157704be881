import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyRetention, purgeTrash, type PurgeDeps } from '../../../functions/retention/retentionService.ts';
import { listAudit } from '../../../functions/shared/repositories/audit.ts';
import { getBackupRecord, type BackupRecord } from '../../../functions/shared/repositories/backups.ts';
import { readSourceStats } from '../../../functions/shared/repositories/stats.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import type { AuditEvent } from '../../../types/audit.ts';
import type { ApplyRetentionResult, PurgeTrashResult, SourceIds } from '../../../types/retention.ts';
import { DEFAULT_RETENTION } from '../../../types/schedule.ts';
import { useTestTable } from '../../support/api.ts';
import {
  DAY_MS,
  EXPECTED_KEPT_UTC_DATES,
  nightlyId,
  objectKeys,
  seedBackupHistory,
} from '../../support/backupHistory.ts';
import { services, testS3Client } from '../../support/services.ts';

// The sweeper's handlers over DynamoDB Local and s3rver, on the history described in test/support/backupHistory.ts.
const GFS = 'sweep-gfs';
const PLAIN = 'sweep-plain';
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
let nightly: readonly BackupRecord[] = [];
let untouchable: readonly BackupRecord[] = [];
let plainBackups: readonly BackupRecord[] = [];

const keysUnder = (prefix: string) => objectKeys(s3(), bucket, prefix);
const statsOf = async (sourceId: string) => (await readSourceStats(table)).find((s) => s.sourceId === sourceId);
const purgeDeps = (overrides: Partial<PurgeDeps>): PurgeDeps => ({
  table,
  s3: s3(),
  bucket,
  now: () => new Date(),
  ...overrides,
});

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

  ({
    nightly,
    untouchable,
    plain: plainBackups,
  } = await seedBackupHistory(table, s3(), bucket, { gfs: GFS, plain: PLAIN }));
  expect(nightly.at(-1)?.createdAt).toBe('2026-05-04T22:30:00.000Z');
});

describe('the sweeper', () => {
  it('lists every data source', async () => {
    const out = await handlers.listSourceIds(
      { 'detail-type': 'Scheduled Event', source: 'aws.scheduler' },
      lambdaContext,
    );
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
      expect({ id: backup.id, trashed: stored?.trashedAt !== undefined }).toEqual({
        id: backup.id,
        trashed: !expectedKept.includes(backup.id),
      });
    }
    for (const backup of [...untouchable, ...plainBackups])
      expect(await getBackupRecord(table, backup.id)).toEqual(backup);
    // The trash keeps its objects: stored bytes only change when they are deleted.
    expect(await statsOf(GFS)).toEqual(before);
    expect(await keysUnder(`${GFS}/`)).toHaveLength(120);

    const audit: AuditEvent[] = (await listAudit(table, { limit: 1000 })).items.filter(
      (e) => e.action === 'backup.trash',
    );
    expect(audit).toHaveLength(expectedTrashed.length);
    expect(new Set(audit.map((e) => e.principal))).toEqual(new Set(['keepsake:retention']));
  });

  it('changes nothing when run again', async () => {
    expect(
      await applyRetention(
        { table, s3: s3(), bucket, now: () => new Date(), defaultRetention: { ...DEFAULT_RETENTION }, pageSize: 7 },
        GFS,
      ),
    ).toEqual({
      sourceId: GFS,
      kept: 12,
      trashed: [],
      objectsMissing: [],
    });
  });

  it('applies DEFAULT_RETENTION, in UTC, to a source without schedules', async () => {
    const result = await handlers.applyRetention({ sourceId: PLAIN }, lambdaContext);
    expect(result).toEqual({
      sourceId: PLAIN,
      kept: 2,
      trashed: ['plain-2026-04-02', 'plain-2026-04-01'],
      objectsMissing: [],
    });
  });

  it('refuses a task input the state machine should never send', async () => {
    await expect(handlers.applyRetention({ sourceId: 'not an id!' }, lambdaContext)).rejects.toMatchObject({
      name: 'InvalidTaskInput',
    });
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
    for (const { backupId } of [...first.failed, ...next.failed])
      expect((await getBackupRecord(table, backupId))?.trashedAt).toBeDefined();
  });

  it('deletes trash older than the grace period with its objects, in bounded batches, and keeps the stats right', async () => {
    const eightDaysOn = new Date(Date.now() + 8 * DAY_MS);
    const batches: PurgeTrashResult[] = [];
    let cursor: string | undefined;
    do {
      const batch = await purgeTrash(
        purgeDeps({ now: () => eightDaysOn, maxPerCall: 50 }),
        cursor !== undefined ? { cursor } : {},
      );
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
    expect(await keysUnder(`${GFS}/`)).toEqual(kept.map((b) => b.s3Key).sort());
    expect(await keysUnder(`${PLAIN}/`)).toEqual(
      plainBackups
        .slice(2)
        .map((b) => b.s3Key)
        .sort(),
    );

    expect(await statsOf(GFS)).toMatchObject({
      storedBackups: 12,
      storedBytes: kept.reduce((sum, b) => sum + (b.compressedBytes ?? 0), 0),
    });
    expect(await statsOf(PLAIN)).toMatchObject({ storedBackups: 2, storedBytes: 52 + 53 });

    const deletions = (await listAudit(table, { limit: 1000 })).items.filter((e) => e.action === 'backup.delete');
    expect(deletions).toHaveLength(110);
    expect(new Set(deletions.map((e) => e.principal))).toEqual(new Set(['keepsake:retention']));
    expect(await purgeTrash(purgeDeps({ now: () => eightDaysOn }))).toEqual({ purged: 0, failed: [], more: false });
  });
});
