import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../api.ts';
import { DashboardCharts } from '../components/DashboardCharts.tsx';
import { RunningJobs } from '../components/RunningJobs.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { formatAge, formatBytes, formatTime } from '../format.ts';
import { useDataSources, useSchedules } from '../queries.ts';
import { isOverdue } from '../overdue.ts';
import { LoadFailed } from '../components/LoadFailed.tsx';

function Tile({ label, value, tone }: { label: string; value: string; tone?: 'bad' }) {
  return (
    <div className="card">
      <p className="text-sm text-slate-500">{label}</p>
      <p
        className={`mt-1 text-2xl font-semibold tabular-nums ${tone === 'bad' ? 'text-red-700 dark:text-red-400' : ''}`}
      >
        {value}
      </p>
    </div>
  );
}

/** The first page: what runs now, is every source backed up, what failed lately, how much is stored and how that went over 30 days. */
export function Dashboard() {
  const stats = useQuery({
    queryKey: ['stats'],
    queryFn: () => api.getStats(),
    refetchInterval: 15_000,
  });
  const sources = useDataSources();
  const schedules = useSchedules();
  if (stats.isPending) return <p role="status">Loading the dashboard…</p>;
  if (stats.isError) {
    return <LoadFailed what={`the dashboard`} error={stats.error} />;
  }
  const s = stats.data;
  const nameOf = (id: string) => sources.data?.items.find((x) => x.id === id)?.name ?? id;
  return (
    <section className="flex flex-col gap-6">
      <h1 className="text-2xl font-semibold">Dashboard</h1>
      <div className="grid gap-3 sm:grid-cols-2 xl:grid-cols-4">
        <Tile label="Succeeded, last 24 h" value={String(s.counts.last24h.succeeded ?? 0)} />
        <Tile
          label="Failures, last 7 days"
          value={String(s.failuresLast7d)}
          tone={s.failuresLast7d > 0 ? 'bad' : undefined}
        />
        <Tile label="Storage used" value={formatBytes(s.storedBytes)} />
        <Tile label="Stored backups" value={String(s.storedBackups)} />
      </div>
      <RunningJobs nameOf={nameOf} />
      <DashboardCharts daily={s.daily} />
      <div className="card overflow-x-auto">
        <h2 className="mb-2 font-semibold">Last backup per source</h2>
        {s.sources.length === 0 ? (
          <p className="text-sm">
            No data sources yet.{' '}
            <Link className="text-sky-700 underline" to="/data-sources">
              Add one
            </Link>
            .
          </p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>Source</th>
                <th>Last backup</th>
                <th>Last success</th>
                <th className="text-right">Stored</th>
              </tr>
            </thead>
            <tbody>
              {s.sources.map((src) => (
                <tr key={src.sourceId}>
                  <td>{nameOf(src.sourceId)}</td>
                  <td>
                    {src.lastBackup ? (
                      <Link to={`/backups/${src.lastBackup.backupId}`}>
                        <StatusBadge status={src.lastBackup.status} /> {formatAge(src.lastBackup.finishedAt)}
                      </Link>
                    ) : (
                      'never'
                    )}
                  </td>
                  <td>
                    {isOverdue(
                      src.lastSucceededAt,
                      schedules.data?.items.filter((x) => x.sourceId === src.sourceId) ?? [],
                    ) ? (
                      <span className="font-semibold text-red-700 dark:text-red-400">
                        <StatusBadge status="overdue" /> {formatAge(src.lastSucceededAt)}
                      </span>
                    ) : (
                      formatAge(src.lastSucceededAt)
                    )}
                  </td>
                  <td className="text-right tabular-nums">{formatBytes(src.storedBytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <div className="card">
        <h2 className="mb-2 font-semibold">Needs attention</h2>
        {s.recentFailures.length === 0 ? (
          <p className="text-sm">No failed backups in the last 7 days.</p>
        ) : (
          <ul className="flex flex-col gap-2">
            {s.recentFailures.map((b) => (
              <li key={b.id} className="text-sm">
                <Link className="text-sky-700 underline dark:text-sky-400" to={`/backups/${b.id}`}>
                  {nameOf(b.sourceId)} · {formatTime(b.createdAt)}
                </Link>
                <span className="block text-red-700 dark:text-red-400">{b.error}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
