import { intervalMs } from '../../types/cron.ts';
import type { Schedule } from '../../types/schedule.ts';

/**
 * Whether a source's backups are overdue, by the rule of the freshness alarm: no succeeded backup within twice
 * its most frequent active schedule's longest interval (counted from that schedule's creation when it never had
 * one). A source without an active schedule is never overdue: it is backed up by hand.
 */
export function isOverdue(
  lastSucceededAt: string | undefined,
  schedules: readonly Schedule[],
  now: Date = new Date(),
): boolean {
  const active = schedules.filter((s) => s.enabled);
  if (active.length === 0) return false;
  const interval = Math.min(...active.map((s) => intervalMs(s, now)).filter((ms) => ms > 0));
  if (!Number.isFinite(interval)) return false;
  const since = lastSucceededAt ?? active.map((s) => s.createdAt).sort()[0] ?? now.toISOString();
  return now.getTime() - new Date(since).getTime() > 2 * interval;
}
