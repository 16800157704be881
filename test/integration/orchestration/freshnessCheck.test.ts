import { beforeAll, describe, expect, it } from 'vitest';
import { findStaleSources, staleSourcesMetric } from '../../../functions/orchestration/freshness.ts';
import { intervalMs } from '../../../types/cron.ts';
import { transactNamedItems } from '../../../functions/shared/repositories/transactions.ts';
import { putNewSchedule, type ScheduleRecord } from '../../../functions/shared/repositories/schedules.ts';
import { sourceStatsUpdate } from '../../../functions/shared/repositories/stats.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import { DEFAULT_RETENTION } from '../../../types/schedule.ts';
import { useTestTable } from '../../support/api.ts';
import { seedSource } from '../api/backupApi.ts';

// A Monday, 10:00 UTC.
const NOW = new Date('2026-11-23T10:00:00.000Z');
const DAY = 24 * 60 * 60 * 1000;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();

function schedule(id: string, sourceId: string, cron: string, overrides: Partial<ScheduleRecord> = {}): ScheduleRecord {
  return {
    id,
    sourceId,
    cron,
    timeZone: 'UTC',
    enabled: true,
    retention: { ...DEFAULT_RETENTION },
    createdAt: daysAgo(30),
    updatedAt: daysAgo(30),
    revision: 1,
    ...overrides,
  };
}

/** The hourly freshness check behind the "no successful backup in 2× its interval" alarm, on DynamoDB Local. */
describe('freshness check', () => {
  let table: TableRef;

  beforeAll(async () => {
    table = await useTestTable();
    const succeeded = (sourceId: string, at: string) => sourceStatsUpdate(table, sourceId, { lastSucceededAt: at });
    // Daily at 02:00: last success 3 days ago → stale (2 × 1 day).
    await seedSource(table, 'daily-stale');
    // Daily: last success this morning → fresh.
    await seedSource(table, 'daily-fresh');
    // Weekdays at 02:00: last success Friday 02:00, now Monday 10:00 = 3.3 days < 2 × 3 days → fresh.
    await seedSource(table, 'weekdays');
    // Never succeeded, schedule created 5 days ago → stale; schedule created an hour ago → not yet.
    await seedSource(table, 'never');
    await seedSource(table, 'brand-new');
    // Disabled source or paused schedule: nobody expects backups.
    await seedSource(table, 'disabled', { enabled: false });
    await seedSource(table, 'paused');
    await transactNamedItems(table, {
      schedules: [
        putNewSchedule(table, schedule('s1', 'daily-stale', '0 2 * * *')),
        putNewSchedule(table, schedule('s2', 'daily-fresh', '0 2 * * *')),
        putNewSchedule(table, schedule('s3', 'weekdays', '0 2 * * 1-5')),
        putNewSchedule(table, schedule('s4', 'never', '0 2 * * *', { createdAt: daysAgo(5) })),
        putNewSchedule(
          table,
          schedule('s5', 'brand-new', '0 2 * * *', { createdAt: new Date(NOW.getTime() - 3_600_000).toISOString() }),
        ),
        putNewSchedule(table, schedule('s6', 'disabled', '0 2 * * *')),
        putNewSchedule(table, schedule('s7', 'paused', '0 2 * * *', { enabled: false })),
      ],
      backups: [
        succeeded('daily-stale', daysAgo(3)),
        succeeded('daily-fresh', '2026-11-23T02:05:00.000Z'),
        succeeded('weekdays', '2026-11-20T02:05:00.000Z'),
      ],
    });
  });

  it('finds exactly the enabled, scheduled sources without a success in twice their interval', async () => {
    const report = await findStaleSources({ table, now: () => NOW });
    expect(report.stale.map((s) => s.sourceId).sort()).toEqual(['daily-stale', 'never']);
    expect(report.stale.find((s) => s.sourceId === 'daily-stale')).toEqual({
      sourceId: 'daily-stale',
      intervalMinutes: 1440,
      lastSucceededAt: daysAgo(3),
    });
    expect(report.checkedSources).toBe(6);
  });

  it('measures a schedule by its longest coming gap', () => {
    expect(intervalMs({ cron: '0 2 * * *', timeZone: 'UTC' }, NOW)).toBe(DAY);
    expect(intervalMs({ cron: '0 2 * * 1-5', timeZone: 'UTC' }, NOW)).toBe(3 * DAY);
    expect(intervalMs({ cron: '*/15 * * * *', timeZone: 'UTC' }, NOW)).toBe(15 * 60_000);
  });

  it('writes the count as an embedded CloudWatch metric line', async () => {
    const line = JSON.parse(staleSourcesMetric(await findStaleSources({ table, now: () => NOW }), NOW)) as Record<
      string,
      unknown
    >;
    expect(line).toMatchObject({
      _aws: {
        Timestamp: NOW.getTime(),
        CloudWatchMetrics: [
          { Namespace: 'Keepsake', Dimensions: [[]], Metrics: [{ Name: 'StaleSources', Unit: 'Count' }] },
        ],
      },
      StaleSources: 2,
    });
  });
});
