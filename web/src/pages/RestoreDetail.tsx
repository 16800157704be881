import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import type { ListedRestore } from '../../../types/restore.ts';
import { api } from '../api.ts';
import { LogView } from '../components/LogView.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { formatDuration, formatTime } from '../format.ts';
import { useDataSources } from '../queries.ts';
import { LoadFailed } from '../components/LoadFailed.tsx';
import { pollWhileActive } from '../queries.ts';

/** One restore: its record and the runner's live log, both followed every 2 s while it is queued or running. */
export function RestoreDetail() {
  const { id = '' } = useParams();
  const sources = useDataSources();
  const restore = useQuery({
    queryKey: ['restores', id],
    queryFn: () => api.get<ListedRestore>(`/v1/restores/${encodeURIComponent(id)}`),
    refetchInterval: (query) => pollWhileActive(query.state.data && [query.state.data]),
  });
  if (restore.isPending) return <p role="status">Loading the restore…</p>;
  if (restore.isError) {
    return <LoadFailed what={`restore ${id}`} error={restore.error} />;
  }
  const r = restore.data;
  const nameOf = (sourceId: string) => sources.data?.items.find((s) => s.id === sourceId)?.name ?? sourceId;
  const rows: [string, React.ReactNode][] = [
    ['Status', <StatusBadge key="s" status={r.status} />],
    [
      'Backup',
      <Link key="b" className="text-sky-700 underline dark:text-sky-400" to={`/backups/${r.backupId}`}>
        {r.backupId}
      </Link>,
    ],
    ['Backed up from', nameOf(r.sourceId)],
    ['Target', `${nameOf(r.targetSourceId)} / ${r.targetDatabase}`],
    ['Requested by', r.requestedByName ? `${r.requestedByName} (${r.requestedBy})` : r.requestedBy],
    ['Requested', formatTime(r.createdAt)],
    ['Started', formatTime(r.startedAt)],
    ['Finished', formatTime(r.finishedAt)],
    ['Duration', formatDuration(r.durationMs)],
    ['Safety backup', <code key="k" className="text-xs break-all">{r.safetyBackupKey ?? '—'}</code>],
  ];
  return (
    <section className="flex flex-col gap-4">
      <p>
        <Link className="text-sm text-sky-700 underline dark:text-sky-400" to="/restores">
          ← Restores
        </Link>
      </p>
      <h1 className="text-2xl font-semibold">Restore {r.id}</h1>
      {r.error ? (
        <p role="alert" className="rounded-md border border-red-600 bg-red-50 p-3 text-sm text-red-900 dark:bg-red-950 dark:text-red-100">
          {r.error}
        </p>
      ) : null}
      <dl className="card grid gap-x-6 gap-y-2 sm:grid-cols-[10rem_1fr]">
        {rows.map(([label, value]) => (
          <div key={label} className="contents">
            <dt className="text-sm font-medium text-slate-500">{label}</dt>
            <dd className="text-sm">{value}</dd>
          </div>
        ))}
      </dl>
      <LogView path={`/v1/restores/${encodeURIComponent(r.id)}/logs`} finishedAt={r.finishedAt} />
    </section>
  );
}
