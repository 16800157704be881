import type { Backup } from '../../types/backup.ts';
import type { Restore } from '../../types/restore.ts';

/** A backup or restore that is queued or running, as the dashboard lists it. */
export interface ActiveJob {
  readonly kind: 'backup' | 'restore';
  readonly id: string;
  readonly status: 'queued' | 'running';
  /** The data source it reads from (backup) or writes to (restore). */
  readonly sourceId: string;
  readonly database: string;
  /** When it started running, else when it was queued. */
  readonly since: string;
  readonly href: string;
}

const isActive = (status: string): status is ActiveJob['status'] => status === 'queued' || status === 'running';

/** The queued and running backups and restores among `backups` and `restores`, each once, the longest-running first. */
export function activeJobs(backups: readonly Backup[], restores: readonly Restore[]): ActiveJob[] {
  const jobs = new Map<string, ActiveJob>();
  for (const b of backups) {
    if (isActive(b.status))
      jobs.set(`backup:${b.id}`, {
        kind: 'backup',
        id: b.id,
        status: b.status,
        sourceId: b.sourceId,
        database: b.database,
        since: b.startedAt ?? b.createdAt,
        href: `/backups/${b.id}`,
      });
  }
  for (const r of restores) {
    if (isActive(r.status))
      jobs.set(`restore:${r.id}`, {
        kind: 'restore',
        id: r.id,
        status: r.status,
        sourceId: r.targetSourceId,
        database: r.targetDatabase,
        since: r.startedAt ?? r.createdAt,
        href: `/restores/${r.id}`,
      });
  }
  return [...jobs.values()].sort((a, b) => a.since.localeCompare(b.since));
}
