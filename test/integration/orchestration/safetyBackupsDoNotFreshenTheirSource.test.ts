import { beforeAll, describe, expect, it } from 'vitest';
import { markSafetyBackupRunning, recordBackupOutcome } from '../../../functions/backups/runService.ts';
import { findStaleSources } from '../../../functions/orchestration/freshness.ts';
import { putBackupRecords } from '../../../functions/shared/repositories/backups.ts';
import { transactNamedItems } from '../../../functions/shared/repositories/transactions.ts';
import { putNewSchedule } from '../../../functions/shared/repositories/schedules.ts';
import { readSourceStats, sourceStatsUpdate } from '../../../functions/shared/repositories/stats.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import type { BackupOutcome } from '../../../types/backupApi.ts';
import { DEFAULT_RETENTION } from '../../../types/schedule.ts';
import { useTestTable } from '../../support/api.ts';
import { seedSource } from '../api/backupApi.ts';

const NOW = new Date('2026-11-23T10:00:00.000Z');
const DAY = 24 * 60 * 60 * 1000;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
const succeeded: BackupOutcome = {
  status: 'succeeded',
  s3Key: 'k.sql.gz',
  compressedBytes: 10,
  uncompressedBytes: 40,
  sha256: 'b'.repeat(64),
  tables: 1,
  durationMs: 5,
};

/**
 * A safety backup is of a restore's target (any database of the source, kept 7 days), not the source's own backup:
 * it must not quiet the "no recent successful backup" alarm of a source whose scheduled backups stopped.
 */
describe('the freshness check and safety backups', () => {
  let table: TableRef;
  const deps = () => ({ table, now: () => NOW });
  const staleIds = async () => (await findStaleSources(deps())).stale.map((s) => s.sourceId);

  beforeAll(async () => {
    table = await useTestTable();
    for (const id of ['restored-into', 'backed-up']) {
      await seedSource(table, id);
      await transactNamedItems(table, {
        schedule: putNewSchedule(table, {
          id: `daily-${id}`,
          sourceId: id,
          cron: '0 2 * * *',
          timeZone: 'UTC',
          enabled: true,
          retention: { ...DEFAULT_RETENTION },
          createdAt: daysAgo(30),
          updatedAt: daysAgo(30),
          revision: 1,
        }),
        sourceStats: sourceStatsUpdate(table, id, { lastSucceededAt: daysAgo(3) }),
      });
    }
  });

  it('leaves a source stale after a safety backup of it succeeds', async () => {
    expect(await staleIds()).toEqual(expect.arrayContaining(['restored-into', 'backed-up']));
    const restore = {
      id: 'rs-fresh',
      backupId: 'bk-old',
      sourceId: 'restored-into',
      targetSourceId: 'restored-into',
      targetDatabase: 'shop_copy',
      status: 'running' as const,
      requestedBy: 'test',
      createdAt: NOW.toISOString(),
      startedAt: NOW.toISOString(),
    };
    await markSafetyBackupRunning(deps(), { backupId: 'safety-fresh', restore });
    await recordBackupOutcome(deps(), { backupId: 'safety-fresh', outcome: succeeded });

    expect(await staleIds()).toContain('restored-into');
    const stats = (await readSourceStats(table)).find((s) => s.sourceId === 'restored-into');
    expect(stats).toMatchObject({ lastSucceededAt: daysAgo(3), storedBackups: 1 });
  });

  it('freshens a source when one of its own backups succeeds', async () => {
    await putBackupRecords(table, [
      {
        id: 'own-fresh',
        sourceId: 'backed-up',
        database: 'shop',
        status: 'running',
        trigger: 'api',
        createdAt: NOW.toISOString(),
        startedAt: NOW.toISOString(),
      },
    ]);
    await recordBackupOutcome(deps(), { backupId: 'own-fresh', outcome: succeeded });
    expect(await staleIds()).not.toContain('backed-up');
  });
});
