import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import type { ListedRestore } from '../../../types/restore.ts';
import { api } from '../api.ts';
import { JobDetail } from '../components/JobDetail.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { formatDuration, formatTime } from '../format.ts';
import { pollWhileActive, useDataSources } from '../queries.ts';
import { LoadFailed } from '../components/LoadFailed.tsx';

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
    [
      'Safety backup',
      <code key="k" className="text-xs break-all">
        {r.safetyBackupKey ?? '—'}
      </code>,
    ],
  ];
  return (
    <JobDetail
      back={{ to: '/restores', label: 'Restores' }}
      title={`Restore ${r.id}`}
      error={r.error}
      rows={rows}
      logPath={`/v1/restores/${encodeURIComponent(r.id)}/logs`}
      finishedAt={r.finishedAt}
    />
  );
}
