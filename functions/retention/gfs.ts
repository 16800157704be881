import type { BackupStatus, BackupTrigger, Verification } from '../../types/backup.ts';
import type { KeepReason } from '../../types/retention.ts';
import type { Retention } from '../../types/schedule.ts';

/** What retention needs to know of a backup. */
export interface RetentionCandidate {
  readonly id: string;
  readonly status: BackupStatus;
  /**
   * `safety` backups are never the schedule's (`safetyBackupsToExpire`); `manual` and `api` ones only when the
   * policy includes them (else `manualBackupsToExpire`). Absent counts as scheduled.
   */
  readonly trigger?: BackupTrigger;
  readonly createdAt: string;
  /** When the dump began; the backup's moment when present (an API backup may wait a little in the queue). */
  readonly startedAt?: string;
  readonly trashedAt?: string;
  readonly verification?: Pick<Verification, 'status'>;
  /** When its object was found gone from the bucket. */
  readonly objectMissingAt?: string;
}

export interface RetainedBackup {
  readonly id: string;
  /** Every rule that keeps it, in the order newest, last, lastVerified, daily, weekly, monthly. */
  readonly reasons: readonly KeepReason[];
}

export interface RetentionPlan {
  /** Good backups (see `isGood`) that stay, newest first. */
  readonly keep: readonly RetainedBackup[];
  /** Good backups to move to the trash, newest first. */
  readonly expire: readonly string[];
}

/**
 * A backup a restore can rely on as far as its record knows: succeeded, out of the trash, its verification not
 * failed and its object not found missing. Unverified backups are good: most are never re-read.
 */
export const isGood = (b: RetentionCandidate): boolean =>
  b.status === 'succeeded' &&
  b.trashedAt === undefined &&
  b.verification?.status !== 'failed' &&
  b.objectMissingAt === undefined;

const DAY_MS = 86_400_000;
const pad2 = (n: number) => String(n).padStart(2, '0');

interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** The calendar date of an instant on the wall clocks of `timeZone` (Intl's tz data: DST and historical offsets). */
function localDateIn(timeZone: string): (instant: number) => LocalDate {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    calendar: 'gregory',
    numberingSystem: 'latn',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  });
  return (instant) => {
    const parts = format.formatToParts(instant);
    const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
    return { year: part('year'), month: part('month'), day: part('day') };
  };
}

/** ISO 8601 week (Monday to Sunday; week 1 holds the year's first Thursday) of a calendar date, e.g. `2026-W01`. */
function isoWeek({ year, month, day }: LocalDate): string {
  const date = Date.UTC(year, month - 1, day);
  const mondayBased = (new Date(date).getUTCDay() + 6) % 7;
  const thursday = new Date(date + (3 - mondayBased) * DAY_MS);
  const weekYear = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(weekYear, 0, 1)) / (7 * DAY_MS));
  return `${weekYear}-W${pad2(week)}`;
}

const RULES = [
  ['daily', (d: LocalDate) => `${d.year}-${pad2(d.month)}-${pad2(d.day)}`],
  ['weekly', isoWeek],
  ['monthly', (d: LocalDate) => `${d.year}-${pad2(d.month)}`],
] as const satisfies readonly (readonly [keyof Retention, (d: LocalDate) => string])[];

/** The part of a schedule's retention GFS reads. */
export type GfsPolicy = Pick<Retention, 'daily' | 'weekly' | 'monthly' | 'keepLast' | 'includeManualBackups'>;

/** Whether GFS counts a backup of this trigger under `policy`: scheduled always, manual and API ones by opt-in. */
export const countedByGfs = (trigger: BackupTrigger | undefined, policy: GfsPolicy): boolean =>
  trigger === undefined || trigger === 'schedule' || (policy.includeManualBackups && trigger !== 'safety');

/**
 * Grandfather-father-son retention, as restic's `forget --keep-daily/--keep-weekly/--keep-monthly` does it, over
 * good backups only (`isGood`):
 * - daily: for each of the last `policy.daily` calendar days that HAVE a good backup, the newest good backup
 *   of that day is kept. Days without one (failed runs, corrupt or missing backups, gaps) do not count, so a
 *   paused schedule or a run of corrupt backups never loses the last good ones to the calendar moving on.
 *   Nothing depends on the current time.
 * - weekly / monthly: the same with ISO weeks (Monday start) and calendar months.
 * - The rules overlap: a backup kept by several rules counts for each (7 daily + 4 weekly + 6 monthly keeps at
 *   most 19 backups with the two below, usually fewer). A policy asking for more periods than the history has
 *   keeps what there is.
 * - The `keepLast` newest good backups (`last`) are kept too, whatever their days (restic's `--keep-last`).
 * - The newest good backup (`newest`) and the newest good one that verified (`lastVerified`) are always kept,
 *   even when every count is 0.
 * - Days, weeks and months are those of the wall clocks in `timeZone` (an IANA name, e.g. the schedule's),
 *   so a 23:30 and a 00:30 backup fall on different days even across a DST change, and the 23- and 25-hour
 *   days of DST changes are one day each.
 * - A backup's moment is `startedAt`, else `createdAt`; equal moments are ordered by id (the greater is newer),
 *   as the table's `createdAt#id` sort keys are.
 * - Safety backups (trigger `safety`, taken by restores) are not part of the set: they appear in neither list and
 *   neither count for a period nor stand in as the newest (retention keeps them a while after their restore).
 *   Nor are manual and API backups unless `policy.includeManualBackups` (they are kept for their own days).
 * - Only good backups are kept or expired. Queued, running, failed and cancelled ones, those already in the
 *   trash, and succeeded ones whose verification failed or whose object is missing appear in neither list: they
 *   are not retention's to touch (a verification that failed to read may pass again; a person decides).
 * Pure: the same input gives the same plan. Throws a RangeError for an unknown time zone or an unreadable date.
 */
export function selectRetained(
  backups: readonly RetentionCandidate[],
  policy: GfsPolicy,
  timeZone: string,
): RetentionPlan {
  const localDate = localDateIn(timeZone);
  const good = backups
    .filter((b) => countedByGfs(b.trigger, policy) && isGood(b))
    .map((b) => {
      const at = Date.parse(b.startedAt ?? b.createdAt);
      if (Number.isNaN(at)) throw new RangeError(`backup ${b.id} has no readable time: ${b.startedAt ?? b.createdAt}`);
      return { id: b.id, at, verified: b.verification?.status === 'verified' };
    })
    .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .map((b) => ({ id: b.id, verified: b.verified, date: localDate(b.at) }));

  const reasons = new Map<string, KeepReason[]>();
  const keepFor = (id: string, reason: KeepReason) => reasons.set(id, [...(reasons.get(id) ?? []), reason]);
  if (good[0]) keepFor(good[0].id, 'newest');
  for (const backup of good.slice(0, policy.keepLast)) keepFor(backup.id, 'last');
  const lastVerified = good.find((b) => b.verified);
  if (lastVerified) keepFor(lastVerified.id, 'lastVerified');
  for (const [rule, periodOf] of RULES) {
    // Newest first, so the first backup met in a period is that period's newest. A set rather than "differs
    // from the previous one" keeps this right should a zone's clocks ever step back across midnight.
    const periods = new Set<string>();
    for (const backup of good) {
      if (periods.size >= policy[rule]) break;
      const period = periodOf(backup.date);
      if (periods.has(period)) continue;
      periods.add(period);
      keepFor(backup.id, rule);
    }
  }
  return {
    keep: good.filter((b) => reasons.has(b.id)).map((b) => ({ id: b.id, reasons: reasons.get(b.id) ?? [] })),
    expire: good.filter((b) => !reasons.has(b.id)).map((b) => b.id),
  };
}
