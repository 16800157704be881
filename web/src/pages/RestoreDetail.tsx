import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import type { Restore } from '../../../types/restore.ts';
import { api } from '../api.ts';
import { JobDetail } from '../components/JobDetail.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { formatDuration, formatTime, jobTitle } from '../format.ts';
import { pollWhileActive, useDataSources } from '../queries.ts';
import { LoadFailed } from '../components/LoadFailed.tsx';
import { RestoreProgress } from '../components/RestoreProgress.tsx';
import { SafetyBackupPanel } from '../components/SafetyBackupPanel.tsx';

/**
 * One restore, titled by its target source, database and time: its record, its progress while it runs and the
 * runner's live log, followed every 2 s while it is queued or running.
 */
export function RestoreDetail() {
  const { id = '' } = useParams();
  const sources = useDataSources();
  const restore = useQuery({
    queryKey: ['restores', id],
    queryFn: () => api.getRestore({ id }),
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
      <Link key="b" className={LINK} to={`/backups/${r.backupId}`}>
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
    ...(r.rollbackOnFailure ? [['If it fails', 'roll back automatically'] satisfies [string, string]] : []),
  ];
  return (
    <JobDetail
      kind="Restore"
      back={{ to: '/restores', label: 'Restores' }}
      title={jobTitle(nameOf(r.targetSourceId), r.targetDatabase, r.createdAt)}
      error={r.error}
      notices={<RollbackNotices restore={r} />}
      rows={rows}
      id={r.id}
      finishedAt={r.finishedAt}
    >
      {r.status === 'queued' || r.status === 'running' ? <RestoreProgress restore={r} /> : null}
      <SafetyBackupPanel restore={r} nameOf={nameOf} />
    </JobDetail>
  );
}

const LINK = 'text-sky-700 underline dark:text-sky-400';

/** What this restore is to rollbacks: a rollback of another one, and how its own automatic rollback went. */
function RollbackNotices({ restore }: { restore: Restore }) {
  const db = restore.targetDatabase;
  const auto = restore.autoRollback;
  return (
    <>
      {restore.rollbackOf ? (
        <p className="rounded-md border border-sky-600 bg-sky-50 p-3 text-sm text-sky-900 dark:bg-sky-950 dark:text-sky-100">
          Rollback of{' '}
          <Link className={LINK} to={`/restores/${encodeURIComponent(restore.rollbackOf)}`}>
            restore {restore.rollbackOf}
          </Link>
          : it restores that restore's safety backup over {db}.
        </p>
      ) : null}
      {auto?.status === 'succeeded' ? (
        <p
          role="status"
          className="rounded-md border border-emerald-600 bg-emerald-50 p-3 text-sm text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100"
        >
          <strong>Rolled back automatically</strong> at {formatTime(auto.finishedAt)}: the restore failed, and {db} was
          put back from its safety backup as it was before the restore.
        </p>
      ) : auto?.status === 'failed' ? (
        <p
          role="alert"
          className="rounded-md border border-red-600 bg-red-50 p-3 text-sm text-red-900 dark:bg-red-950 dark:text-red-100"
        >
          <strong>The automatic rollback failed too</strong>
          {auto.error ? ` (${auto.error})` : ''}: {db} may be left half restored. Roll back below to try again.
        </p>
      ) : null}
    </>
  );
}
