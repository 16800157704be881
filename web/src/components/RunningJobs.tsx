import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import type { Page } from '../../../types/api.ts';
import { activeJobs } from '../activeJobs.ts';
import { api } from '../api.ts';
import { formatAge } from '../format.ts';
import { pollWhileActive } from '../queries.ts';
import { LoadFailed } from './LoadFailed.tsx';
import { StatusBadge } from './StatusBadge.tsx';

/** Every 2 s while something runs (to follow it), else every 15 s (to notice a scheduled start). */
const refetchInterval = (query: { state: { data?: Page<{ status: string }> } }) =>
  pollWhileActive(query.state.data?.items) || 15_000;

/**
 * The dashboard's "Running now": queued and running backups (one query per status, so a long run is never pushed
 * off a page by newer ones) and restores (the newest 20: restores are rare and short-lived), each linking to its
 * live log.
 */
export function RunningJobs({ nameOf }: { nameOf: (sourceId: string) => string }) {
  const running = useQuery({
    queryKey: ['backups', 'active', 'running'],
    queryFn: () => api.listBackups({ status: 'running', limit: 50 }),
    refetchInterval,
  });
  const queued = useQuery({
    queryKey: ['backups', 'active', 'queued'],
    queryFn: () => api.listBackups({ status: 'queued', limit: 50 }),
    refetchInterval,
  });
  const restores = useQuery({
    queryKey: ['restores', 'recent'],
    queryFn: () => api.listRestores({ limit: 20 }),
    refetchInterval,
  });
  const failed = running.error ?? queued.error ?? restores.error;
  const jobs = activeJobs([...(running.data?.items ?? []), ...(queued.data?.items ?? [])], restores.data?.items ?? []);
  return (
    <div className="card">
      <h2 className="mb-2 font-semibold">Running now</h2>
      {failed ? (
        <LoadFailed what="the running jobs" error={failed} />
      ) : running.isPending || queued.isPending || restores.isPending ? (
        <p role="status" className="text-sm">
          Loading…
        </p>
      ) : jobs.length === 0 ? (
        <p className="text-sm">Nothing is running.</p>
      ) : (
        <ul className="flex flex-col gap-2" aria-label="Running jobs">
          {jobs.map((job) => (
            <li key={`${job.kind}:${job.id}`} className="flex flex-wrap items-center gap-2 text-sm">
              <StatusBadge status={job.status} />
              <Link className="text-sky-700 underline dark:text-sky-400" to={job.href}>
                {job.kind === 'backup' ? 'Backup of' : 'Restore into'} {nameOf(job.sourceId)} ({job.database})
              </Link>
              <span className="text-slate-600 dark:text-slate-400">
                {job.status === 'running' ? 'started' : 'queued'} {formatAge(job.since)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
