import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { applyRetention, purgeTrash, type RetentionDeps } from '../../../functions/retention/retentionService.ts';
import { listAudit } from '../../../functions/shared/repositories/audit.ts';
import { getBackupRecord, type BackupRecord } from '../../../functions/shared/repositories/backups.ts';
import { transactNamedItems } from '../../../functions/shared/repositories/transactions.ts';
import { putNewSchedule } from '../../../functions/shared/repositories/schedules.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import type { Page } from '../../../types/api.ts';
import type { AuditEvent } from '../../../types/audit.ts';
import { TrashPageSchema, type Backup, type TrashedBackup } from '../../../types/backup.ts';
import { DEFAULT_RETENTION, type Retention } from '../../../types/schedule.ts';
import { backupRecord, seedSource, startBackupApi, type BackupApi } from '../api/backupApi.ts';
import { call } from '../../support/api.ts';
import { seedWithObjects } from '../../support/backupHistory.ts';
import { testS3Client } from '../../support/services.ts';

// Retention (the sweep's and the Backup machine's step) and the trash routes over DynamoDB Local and s3rver:
// issue 19's "retention nobody is surprised by".
const DAY_MS = 86_400_000;
const NOW = new Date('2026-06-20T03:30:00.000Z');
const PERSON = 'arn:aws:iam::123456789012:user/alice';
let api: BackupApi;
let table: TableRef;

const deps = (now = NOW): RetentionDeps => ({
  table,
  s3: testS3Client(),
  bucket: api.bucket,
  now: () => now,
  defaultRetention: { ...DEFAULT_RETENTION },
});
/** A source with one schedule of `retention` (other counts 0), in UTC. */
async function sourceWithSchedule(sourceId: string, retention: Partial<Retention>): Promise<void> {
  await seedSource(table, sourceId);
  await transactNamedItems(table, {
    schedule: putNewSchedule(table, {
      id: `${sourceId}-nightly`,
      sourceId,
      cron: '0 2 * * *',
      timeZone: 'UTC',
      enabled: true,
      retention: { daily: 0, weekly: 0, monthly: 0, keepLast: 0, includeManualBackups: false, ...retention },
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      revision: 1,
    }),
  });
}
const taken = (sourceId: string, id: string, createdAt: string, trigger: Backup['trigger']): BackupRecord =>
  backupRecord({ id: `${sourceId}-${id}`, sourceId, createdAt, trigger });
const record = (id: string) => getBackupRecord(table, id);
const auditOf = async (backupId: string): Promise<AuditEvent[]> =>
  (await listAudit(table, { limit: 1000 })).items.filter((e) => e.targetId === backupId);
const ago = (days: number) => new Date(NOW.getTime() - days * DAY_MS).toISOString();

beforeAll(async () => {
  api = await startBackupApi();
  ({ table } = api);
});
afterEach(() => vi.restoreAllMocks());

describe('manual backups and schedule retention', () => {
  it('keeps a "Back up now" taken 8 s before the nightly run under daily 1 (the issue’s story)', async () => {
    const source = 'story';
    await sourceWithSchedule(source, { daily: 1 });
    const yesterday = taken(source, 'yesterday', '2026-06-19T02:00:00.000Z', 'schedule');
    const manual = taken(source, 'manual', '2026-06-20T01:59:52.000Z', 'manual');
    const nightly = taken(source, 'nightly', '2026-06-20T02:00:00.000Z', 'schedule');
    await seedWithObjects(table, testS3Client(), api.bucket, [yesterday, manual, nightly]);

    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((line) => lines.push(String(line)) > 0);
    const result = await applyRetention(deps(), source);

    expect(result).toMatchObject({ kept: 1, trashed: [yesterday.id] });
    expect(await record(manual.id)).toEqual(manual);
    const reason = 'GFS: not among the newest 1 daily backups (days in UTC)';
    expect(await record(yesterday.id)).toMatchObject({
      trashedAt: NOW.toISOString(),
      trashedBy: 'keepsake:retention',
      trashReason: reason,
    });
    expect(await auditOf(yesterday.id)).toEqual([
      expect.objectContaining({
        principal: 'keepsake:retention',
        action: 'backup.trash',
        summary: `data source ${source}: ${reason}`,
      }),
    ]);
    // The sweep's own log says it too, one JSON line per move.
    const moves = lines.map((l) => JSON.parse(l)).filter((l) => l.message === 'retention moved a backup to the trash');
    expect(moves).toEqual([expect.objectContaining({ sourceId: source, backupId: yesterday.id, reason })]);
  });

  it('moves manual and API backups to the trash once they are 30 days old, saying so', async () => {
    const source = 'handmade';
    await sourceWithSchedule(source, { daily: 7 });
    const backups = [
      taken(source, 'nightly', ago(0.1), 'schedule'),
      taken(source, 'manual-29', ago(29), 'manual'),
      taken(source, 'manual-31', ago(31), 'manual'),
      taken(source, 'api-45', ago(45), 'api'),
    ];
    await seedWithObjects(table, testS3Client(), api.bucket, backups);

    const result = await applyRetention(deps(), source);

    expect([...result.trashed].sort()).toEqual([`${source}-api-45`, `${source}-manual-31`]);
    expect((await record(`${source}-manual-29`))?.trashedAt).toBeUndefined();
    expect(await record(`${source}-manual-31`)).toMatchObject({ trashReason: 'manual backup older than 30 days' });
    expect(await record(`${source}-api-45`)).toMatchObject({ trashReason: 'API backup older than 30 days' });
    expect((await auditOf(`${source}-api-45`)).map((e) => e.summary)).toEqual([
      `data source ${source}: API backup older than 30 days`,
    ]);
  });

  it('follows MANUAL_BACKUP_KEEP_DAYS', async () => {
    const source = 'handmade-7';
    await sourceWithSchedule(source, { daily: 7 });
    const backups = [taken(source, 'nightly', ago(0.1), 'schedule'), taken(source, 'manual-8', ago(8), 'manual')];
    await seedWithObjects(table, testS3Client(), api.bucket, backups);

    expect((await applyRetention({ ...deps(), manualKeepDays: 10 }, source)).trashed).toEqual([]);
    expect((await applyRetention({ ...deps(), manualKeepDays: 7 }, source)).trashed).toEqual([`${source}-manual-8`]);
    expect(await record(`${source}-manual-8`)).toMatchObject({ trashReason: 'manual backup older than 7 days' });
  });

  it('thins manual backups out with the scheduled ones when the schedule opts in', async () => {
    const source = 'opted-in';
    await sourceWithSchedule(source, { daily: 1, includeManualBackups: true });
    const manual = taken(source, 'manual', '2026-06-20T01:59:52.000Z', 'manual');
    const nightly = taken(source, 'nightly', '2026-06-20T02:00:00.000Z', 'schedule');
    await seedWithObjects(table, testS3Client(), api.bucket, [manual, nightly]);

    expect((await applyRetention(deps(), source)).trashed).toEqual([manual.id]);
    expect(await record(manual.id)).toMatchObject({
      trashReason: 'GFS: not among the newest 1 daily backups (days in UTC)',
    });
  });

  it('keeps the newest keepLast backups besides the daily one', async () => {
    const source = 'keep-last';
    await sourceWithSchedule(source, { daily: 1, keepLast: 3 });
    const hourly = ['00', '01', '02', '03', '04'].map((h) =>
      taken(source, `h${h}`, `2026-06-20T${h}:00:00.000Z`, 'schedule'),
    );
    await seedWithObjects(table, testS3Client(), api.bucket, hourly);

    const result = await applyRetention(deps(), source);

    expect(result.kept).toBe(3);
    expect([...result.trashed].sort()).toEqual([`${source}-h00`, `${source}-h01`]);
    expect(await record(`${source}-h01`)).toMatchObject({
      trashReason: 'GFS: not among the 3 latest backups nor the newest 1 daily (days in UTC)',
    });
  });
});

describe('the trash says who, why and until when', () => {
  it('records the person who trashed a backup, lists when it will be purged, and forgets both when taken back', async () => {
    const source = 'by-hand';
    await seedSource(table, source);
    const backup = taken(source, 'one', ago(1), 'manual');
    await seedWithObjects(table, testS3Client(), api.bucket, [backup]);
    const path = { id: backup.id };

    const trashed = await call<Backup>(api.trash, {
      method: 'POST',
      resource: '/v1/backups/{id}/trash',
      pathParameters: path,
      principal: PERSON,
    });
    expect(trashed.status).toBe(200);
    expect(trashed.body).toMatchObject({ trashedBy: PERSON, trashReason: `trashed by ${PERSON}` });
    expect((await auditOf(backup.id)).map((e) => e.summary)).toEqual([`data source ${source}: trashed by ${PERSON}`]);

    const listed = await call<Page<TrashedBackup>>(api.listTrash, {
      method: 'GET',
      resource: '/v1/trash',
      query: { sourceId: source },
    });
    expect(TrashPageSchema.safeParse(listed.body).success).toBe(true);
    const trashedAt = trashed.body.trashedAt ?? '';
    expect(listed.body.items).toEqual([
      expect.objectContaining({
        id: backup.id,
        trashedBy: PERSON,
        trashReason: `trashed by ${PERSON}`,
        // TRASH_GRACE_DAYS is not set: 7 days.
        purgeAfter: new Date(Date.parse(trashedAt) + 7 * DAY_MS).toISOString(),
      }),
    ]);

    const untrashed = await call<Backup>(api.untrash, {
      method: 'POST',
      resource: '/v1/backups/{id}/untrash',
      pathParameters: path,
    });
    expect(untrashed.status).toBe(200);
    expect(untrashed.body).toEqual(backup);
    expect(await record(backup.id)).toEqual(backup);
  });

  it('purges after the grace period with an audit event that says why', async () => {
    const source = 'purged';
    await sourceWithSchedule(source, { daily: 1 });
    const old = taken(source, 'old', '2026-06-18T02:00:00.000Z', 'schedule');
    const nightly = taken(source, 'nightly', '2026-06-20T02:00:00.000Z', 'schedule');
    await seedWithObjects(table, testS3Client(), api.bucket, [old, nightly]);
    expect((await applyRetention(deps(), source)).trashed).toEqual([old.id]);

    const result = await purgeTrash({ ...deps(new Date(NOW.getTime() + 8 * DAY_MS)), maxPerCall: 1000 });

    expect(result.failed).toEqual([]);
    expect(await record(old.id)).toBeUndefined();
    expect((await auditOf(old.id)).map((e) => [e.principal, e.action, e.summary])).toEqual([
      [
        'keepsake:retention',
        'backup.delete',
        `data source ${source}, object ${old.s3Key}: in the trash since ${NOW.toISOString()}, past the 7-day grace period`,
      ],
      [
        'keepsake:retention',
        'backup.trash',
        `data source ${source}: GFS: not among the newest 1 daily backups (days in UTC)`,
      ],
    ]);
  });
});
