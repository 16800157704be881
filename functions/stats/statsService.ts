import { DAILY_SERIES_DAYS, type DailyStats, type StatsResponse, type StatusCounts } from '../../types/stats.ts';
import { listBackups } from '../shared/repositories/backups.ts';
import { dayOf, readDayCounters, readSourceStats, zeroCounts, type DayCounters } from '../shared/repositories/stats.ts';
import type { TableRef } from '../shared/repositories/table.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

function sum(into: StatusCounts, add: StatusCounts): StatusCounts {
  for (const status of Object.keys(into) as (keyof StatusCounts)[]) into[status] += add[status];
  return into;
}

/**
 * The last DAILY_SERIES_DAYS days up to `now`, oldest first, every day present. Storage is walked back from
 * today's total: the end of a day held what the end of the next held, less that next day's net change.
 */
function dailySeries(days: readonly DayCounters[], now: Date, storedNow: number): DailyStats[] {
  const byDay = new Map(days.map((d) => [d.day, d]));
  const series: DailyStats[] = [];
  let storedBytes = storedNow;
  for (let back = 0; back < DAILY_SERIES_DAYS; back++) {
    const day = dayOf(new Date(now.getTime() - back * DAY_MS));
    const counters = byDay.get(day);
    series.push({ day, counts: counters?.total ?? zeroCounts(), storedBytes });
    if (counters) storedBytes -= counters.addedBytes - counters.removedBytes;
  }
  return series.reverse();
}

/**
 * The dashboard, from aggregates only: one Query for at most 30 day items (counts by status over 24 h, 7 d and
 * 30 d, failures, the daily series), one for the per-source items (stored bytes, last backup) and one page of at
 * most 5 items of the failed-status index (the newest failures). Nothing grows with the number of backups.
 */
export async function getStats(deps: { table: TableRef; now: () => Date }): Promise<StatsResponse> {
  const { table } = deps;
  const now = deps.now();
  const today = dayOf(now);
  const yesterday = dayOf(new Date(now.getTime() - DAY_MS));
  const weekStart = dayOf(new Date(now.getTime() - 6 * DAY_MS));
  const monthStart = dayOf(new Date(now.getTime() - (DAILY_SERIES_DAYS - 1) * DAY_MS));
  const hour = now.getUTCHours();

  const [days, sources, failures] = await Promise.all([
    readDayCounters(table, monthStart, today),
    readSourceStats(table),
    listBackups(table, { status: 'failed', from: `${weekStart}T00:00:00.000Z` }, { limit: 5 }),
  ]);

  const last24h = zeroCounts();
  const last7d = zeroCounts();
  const last30d = zeroCounts();
  const hoursOf = (d: DayCounters, keep: (h: number) => boolean) => d.hours.filter((_, h) => keep(h));
  for (const d of days) {
    sum(last30d, d.total);
    if (d.day >= weekStart) sum(last7d, d.total);
    // The last 24 hours: today up to this hour, and yesterday after it.
    if (d.day === today) for (const h of hoursOf(d, (h) => h <= hour)) sum(last24h, h);
    if (d.day === yesterday) for (const h of hoursOf(d, (h) => h > hour)) sum(last24h, h);
  }
  sources.sort((a, b) => a.sourceId.localeCompare(b.sourceId));
  const storedBytes = sources.reduce((total, s) => total + s.storedBytes, 0);
  return {
    generatedAt: now.toISOString(),
    counts: { last24h, last7d, last30d },
    failuresLast7d: last7d.failed,
    recentFailures: failures.items,
    storedBytes,
    storedBackups: sources.reduce((total, s) => total + s.storedBackups, 0),
    sources,
    daily: dailySeries(days, now, storedBytes),
  };
}
