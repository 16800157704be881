import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { markBackupRunning, recordBackupOutcome } from '../../../functions/backups/runService.ts';
import { deleteBackup, trashBackup } from '../../../functions/backups/trashService.ts';
import { triggerBackup } from '../../../functions/backups/triggerService.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import { getStats } from '../../../functions/stats/statsService.ts';
import type { BackupOutcome } from '../../../types/backupApi.ts';
import type { DailyStats, StatusCounts } from '../../../types/stats.ts';
import { useTestTable } from '../../support/api.ts';
import { services, testS3Client } from '../../support/services.ts';
import { seedSource } from './backupApi.ts';

const NOW = new Date('2026-03-10T14:30:00.000Z');
const sfn = mockClient(SFNClient);
let table: TableRef;

interface BackupOptions {
  readonly into?: TableRef;
  readonly sourceId?: string;
  readonly bytes?: number;
  /** When it ended, if not `at` (the moment it was queued and started). */
  readonly finishedAt?: string;
}

/** One backup through every step at `at`, as the API and the state machine would record it (`dash` of the shared table by default). */
async function backupAt(at: string, status: 'succeeded' | 'failed', options: BackupOptions = {}): Promise<string> {
  const into = options.into ?? table;
  const sourceId = options.sourceId ?? 'dash';
  const now = () => new Date(at);
  const { backupId } = await triggerBackup(
    {
      table: into,
      sfn: new SFNClient({ region: 'us-east-1' }),
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:b',
      now,
    },
    { sourceId, trigger: 'api', principal: 'test' },
  );
  await markBackupRunning({ table: into, now }, { backupId, dataSourceId: sourceId, trigger: 'api' });
  const outcome: BackupOutcome =
    status === 'succeeded'
      ? {
          status,
          s3Key: `${sourceId}/shop/${backupId}.sql.gz`,
          compressedBytes: options.bytes ?? 1000,
          uncompressedBytes: 5000,
          sha256: 'd'.repeat(64),
          tables: 2,
          durationMs: 10,
        }
      : { status, error: `failed at ${at}` };
  await recordBackupOutcome({ table: into, now: () => new Date(options.finishedAt ?? at) }, { backupId, outcome });
  return backupId;
}

/** Moves a backup to the trash at `trashedAt`, then deletes it for good at `deletedAt`. */
async function trashAndDelete(into: TableRef, backupId: string, trashedAt: string, deletedAt: string): Promise<void> {
  await trashBackup({ table: into, now: () => new Date(trashedAt) }, { backupId, principal: 'test' });
  await deleteBackup(
    { table: into, now: () => new Date(deletedAt), s3: testS3Client(), bucket: services().s3.bucket },
    { backupId, principal: 'test' },
  );
}

const ids: Record<string, string> = {};
beforeAll(async () => {
  table = await useTestTable();
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: NOW });
  await seedSource(table, 'dash');
  // Oldest first, as they would have happened; NOW is 2026-03-10T14:30Z.
  ids.G = await backupAt('2026-02-08T12:00:00.000Z', 'succeeded'); // 30 days ago: outside every window
  ids.F = await backupAt('2026-02-09T12:00:00.000Z', 'succeeded'); // 29 days ago: in 30 d
  ids.E = await backupAt('2026-03-03T23:00:00.000Z', 'failed'); // 7 days ago: in 30 d only
  ids.D = await backupAt('2026-03-04T00:00:00.000Z', 'failed'); // 6 days ago: in 7 d
  ids.C = await backupAt('2026-03-09T14:10:00.000Z', 'succeeded'); // yesterday, this hour: not in 24 h (hour buckets)
  ids.B = await backupAt('2026-03-09T15:05:00.000Z', 'succeeded'); // yesterday, the next hour: in 24 h
  ids.A = await backupAt('2026-03-10T14:29:00.000Z', 'failed'); // today: in 24 h
});
afterAll(() => sfn.restore());

describe('the dashboard stats', () => {
  it('counts status changes over the last 24 hours (to the hour), 7 and 30 days from the daily items', async () => {
    const stats = await getStats({ table, now: () => NOW });

    expect(stats.counts).toEqual({
      last24h: { queued: 2, running: 2, succeeded: 1, failed: 1, cancelled: 0 },
      last7d: { queued: 4, running: 4, succeeded: 2, failed: 2, cancelled: 0 },
      last30d: { queued: 6, running: 6, succeeded: 3, failed: 3, cancelled: 0 },
    });
    expect(stats.failuresLast7d).toBe(2);
    expect(stats.recentFailures.map((b) => b.id)).toEqual([ids.A, ids.D]);
    expect(stats.generatedAt).toBe(NOW.toISOString());
  });

  it('sums stored bytes per source and overall, with each source last backup', async () => {
    await seedSource(table, 'other');
    const stats = await getStats({ table, now: () => NOW });

    expect(stats.sources).toEqual([
      {
        sourceId: 'dash',
        storedBytes: 4000,
        storedBackups: 4,
        lastBackup: { backupId: ids.A, status: 'failed', finishedAt: '2026-03-10T14:29:00.000Z' },
        lastSucceededAt: '2026-03-09T15:05:00.000Z',
      },
    ]);
    expect(stats.storedBytes).toBe(4000);
    expect(stats.storedBackups).toBe(4);
  });

  it('reads with three Queries and no Scan, whatever the history', async () => {
    const spy = vi.spyOn(table.client, 'send');
    await getStats({ table, now: () => NOW });
    const names = spy.mock.calls.map(([command]) => (command as object).constructor.name);
    spy.mockRestore();
    expect(names).toEqual(['QueryCommand', 'QueryCommand', 'QueryCommand']);
  });

  it('gives the last 30 days oldest first, each with its status counts and the bytes stored at its end', async () => {
    const trend = await useTestTable();
    await seedSource(trend, 'trend');
    const options = (bytes?: number, finishedAt?: string): BackupOptions => ({
      into: trend,
      sourceId: 'trend',
      ...(bytes !== undefined && { bytes }),
      ...(finishedAt && { finishedAt }),
    });
    const early = await backupAt('2026-02-01T08:00:00.000Z', 'succeeded', options(1000)); // before the window: only its bytes show
    const big = await backupAt('2026-02-20T09:00:00.000Z', 'succeeded', options(3000));
    await backupAt('2026-02-20T10:00:00.000Z', 'failed', options());
    // Queued and started on Feb 28, stored when it ended, on Mar 1.
    await backupAt('2026-02-28T23:50:00.000Z', 'succeeded', options(500, '2026-03-01T00:10:00.000Z'));
    await trashAndDelete(trend, early, '2026-03-04T12:00:00.000Z', '2026-03-05T12:00:00.000Z'); // trashing stores as much
    await trashAndDelete(trend, big, '2026-03-07T12:00:00.000Z', '2026-03-08T06:00:00.000Z');
    await backupAt('2026-03-08T07:00:00.000Z', 'succeeded', options(200)); // stored the day another is deleted
    await backupAt('2026-03-10T09:00:00.000Z', 'succeeded', options(50));

    const stats = await getStats({ table: trend, now: () => NOW });

    const counts = (changes: Partial<StatusCounts> = {}): StatusCounts => ({
      queued: 0,
      running: 0,
      succeeded: 0,
      failed: 0,
      cancelled: 0,
      ...changes,
    });
    const countsOn: Record<string, StatusCounts> = {
      '2026-02-20': counts({ queued: 2, running: 2, succeeded: 1, failed: 1 }),
      '2026-02-28': counts({ queued: 1, running: 1 }),
      '2026-03-01': counts({ succeeded: 1 }),
      '2026-03-08': counts({ queued: 1, running: 1, succeeded: 1 }),
      '2026-03-10': counts({ queued: 1, running: 1, succeeded: 1 }),
    };
    const storedAtEndOf = (day: string) =>
      day < '2026-02-20'
        ? 1000
        : day < '2026-03-01'
          ? 4000
          : day < '2026-03-05'
            ? 4500
            : day < '2026-03-08'
              ? 3500
              : day < '2026-03-10'
                ? 700
                : 750;
    const expected: DailyStats[] = Array.from({ length: 30 }, (_, i) => {
      const day = new Date(Date.parse('2026-02-09T00:00:00.000Z') + i * 86_400_000).toISOString().slice(0, 10);
      return { day, counts: countsOn[day] ?? counts(), storedBytes: storedAtEndOf(day) };
    });
    expect(expected.at(-1)?.day).toBe('2026-03-10');
    expect(stats.daily).toEqual(expected);
    expect(stats.storedBytes).toBe(750);
  });

  it('is all zeros on a new installation', async () => {
    const empty = await useTestTable();
    const zeros = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
    expect(await getStats({ table: empty, now: () => NOW })).toEqual({
      generatedAt: NOW.toISOString(),
      counts: {
        last24h: { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 },
        last7d: { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 },
        last30d: { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 },
      },
      failuresLast7d: 0,
      recentFailures: [],
      storedBytes: 0,
      storedBackups: 0,
      sources: [],
      daily: Array.from({ length: 30 }, (_, i) => ({
        day: new Date(Date.parse('2026-02-09T00:00:00.000Z') + i * 86_400_000).toISOString().slice(0, 10),
        counts: zeros,
        storedBytes: 0,
      })),
    });
  });
});
