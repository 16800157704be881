import { allPages } from '../../types/api.ts';
import { intervalMs } from '../../types/cron.ts';
import type { FreshnessReport, StaleSource } from '../../types/orchestration.ts';
import { getDataSource } from '../shared/repositories/dataSources.ts';
import { listSchedules, type ScheduleRecord } from '../shared/repositories/schedules.ts';
import { readSourceStats } from '../shared/repositories/stats.ts';
import type { TableRef } from '../shared/repositories/table.ts';

/** Every schedule that is not paused, all pages. */
export async function enabledSchedules(table: TableRef): Promise<ScheduleRecord[]> {
  const schedules = await allPages((cursor) =>
    listSchedules(table, { limit: 100, ...(cursor !== undefined && { cursor }) }),
  );
  return schedules.filter((s) => s.enabled);
}

/**
 * Sources that are enabled, have an active schedule, and have had no succeeded backup within twice that
 * schedule's interval (counted from the schedule's creation when there never was one). A source with several
 * schedules is held to the most frequent.
 */
export async function findStaleSources(deps: {
  readonly table: TableRef;
  readonly now: () => Date;
}): Promise<FreshnessReport> {
  const now = deps.now();
  const [schedules, stats] = await Promise.all([enabledSchedules(deps.table), readSourceStats(deps.table)]);
  const lastSucceeded = new Map(stats.map((s) => [s.sourceId, s.lastSucceededAt]));
  const bySource = new Map<string, ScheduleRecord[]>();
  for (const schedule of schedules)
    bySource.set(schedule.sourceId, [...(bySource.get(schedule.sourceId) ?? []), schedule]);

  const stale: StaleSource[] = [];
  for (const [sourceId, own] of bySource) {
    const source = await getDataSource(deps.table, sourceId);
    if (!source?.enabled) continue;
    const interval = Math.min(...own.map((s) => intervalMs(s, now)).filter((ms) => ms > 0));
    if (!Number.isFinite(interval)) continue;
    const last = lastSucceeded.get(sourceId);
    const since = last ?? own.map((s) => s.createdAt).sort()[0] ?? now.toISOString();
    if (now.getTime() - Date.parse(since) > 2 * interval) {
      stale.push({
        sourceId,
        intervalMinutes: Math.round(interval / 60_000),
        ...(last !== undefined && { lastSucceededAt: last }),
      });
    }
  }
  return { checkedSources: bySource.size, stale };
}

/**
 * The report as a CloudWatch embedded-metric line: Lambda's log becomes the `Keepsake/StaleSources` metric the
 * staleness alarm watches, with no PutMetricData permission needed.
 */
export function staleSourcesMetric(report: FreshnessReport, at: Date): string {
  return JSON.stringify({
    _aws: {
      Timestamp: at.getTime(),
      CloudWatchMetrics: [
        { Namespace: 'Keepsake', Dimensions: [[]], Metrics: [{ Name: 'StaleSources', Unit: 'Count' }] },
      ],
    },
    StaleSources: report.stale.length,
    staleSourceIds: report.stale.map((s) => s.sourceId),
  });
}
