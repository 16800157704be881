import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { beginBackupRun, finalizeBackup } from '../../../functions/backups/runService.ts';
import { triggerBackup } from '../../../functions/backups/triggerService.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import { getStats } from '../../../functions/stats/statsService.ts';
import type { BackupOutcome } from '../../../types/backupApi.ts';
import { useTestTable } from '../../support/api.ts';
import { seedSource } from './backupApi.ts';

const NOW = new Date('2026-03-10T14:30:00.000Z');
const sfn = mockClient(SFNClient);
let table: TableRef;

/** One backup of `dash` through every step at `at`, as the API and the state machine would record it. */
async function backupAt(at: string, status: 'succeeded' | 'failed'): Promise<string> {
  const now = () => new Date(at);
  const { backupId } = await triggerBackup(
    { table, sfn: new SFNClient({ region: 'us-east-1' }), stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:b', now },
    { sourceId: 'dash', trigger: 'api', principal: 'test' },
  );
  await beginBackupRun({ table, now }, { backupId, dataSourceId: 'dash', trigger: 'api' });
  const outcome: BackupOutcome =
    status === 'succeeded'
      ? { status, s3Key: `dash/shop/${backupId}.sql.gz`, compressedBytes: 1000, uncompressedBytes: 5000, sha256: 'd'.repeat(64), tables: 2, durationMs: 10 }
      : { status, error: `failed at ${at}` };
  await finalizeBackup({ table, now }, { backupId, outcome });
  return backupId;
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

  it('is all zeros on a new installation', async () => {
    const empty = await useTestTable();
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
    });
  });
});
