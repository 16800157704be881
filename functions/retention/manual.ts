import { isGood, type RetentionCandidate } from './gfs.ts';

const DAY_MS = 86_400_000;

/**
 * The manual and API backups (trigger `manual`/`api`) whose time is up when no schedule of their source takes them
 * into its GFS: good ones (`isGood`) taken at least `keepDays` before `now`. The source's newest good backup is
 * never among them, whatever its age (`safety` ones aside): a source backed up only by hand keeps its last backup,
 * as GFS keeps a schedule's. Others (scheduled, safety, not good) are not its to touch.
 * Pure. A backup's moment is `startedAt`, else `createdAt`; equal moments are ordered by id, as in GFS.
 */
export function manualBackupsToExpire(backups: readonly RetentionCandidate[], keepDays: number, now: Date): string[] {
  const cutoff = now.getTime() - keepDays * DAY_MS;
  const timed = backups
    .filter((b) => b.trigger !== 'safety' && isGood(b))
    .map((b) => ({ ...b, at: Date.parse(b.startedAt ?? b.createdAt) }))
    .filter((b) => !Number.isNaN(b.at))
    .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return timed
    .slice(1)
    .filter((b) => (b.trigger === 'manual' || b.trigger === 'api') && b.at <= cutoff)
    .map((b) => b.id);
}
