import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api } from '../api.ts';
import { BackupActions } from '../components/BackupActions.tsx';
import { ChecksumBadge } from '../components/BackupTable.tsx';
import { BackupTrigger } from '../components/BackupTrigger.tsx';
import { JobDetail } from '../components/JobDetail.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { formatBytes, formatDuration, formatTime, jobTitle } from '../format.ts';
import { LoadFailed } from '../components/LoadFailed.tsx';
import { pollBackups, useDataSources, useVerifyWatches } from '../queries.ts';

/**
 * One backup, titled by its source, database and time: its record and the runner's live log, both followed every
 * 2 s while it runs, and the record while a verification started from this tab has not reported.
 */
export function BackupDetail() {
  const { id = '' } = useParams();
  const sources = useDataSources();
  const watches = useVerifyWatches();
  const backup = useQuery({
    queryKey: ['backups', id],
    queryFn: () => api.getBackup({ id }),
    refetchInterval: (query) => pollBackups(query.state.data && [query.state.data], watches),
  });
  if (backup.isPending) return <p role="status">Loading the backup…</p>;
  if (backup.isError) {
    return <LoadFailed what={`backup ${id}`} error={backup.error} />;
  }
  const b = backup.data;
  const sourceName = sources.data?.items.find((s) => s.id === b.sourceId)?.name ?? b.sourceId;
  const rows: [string, React.ReactNode][] = [
    ['Status', <StatusBadge key="s" status={b.status} />],
    [
      'Source',
      <Link
        key="src"
        className="text-sky-700 underline dark:text-sky-400"
        to={`/backups?sourceId=${encodeURIComponent(b.sourceId)}`}
      >
        {sourceName}
      </Link>,
    ],
    ['Database', b.database],
    ['Trigger', <BackupTrigger key="t" backup={b} />],
    ['Created', formatTime(b.createdAt)],
    ['Started', formatTime(b.startedAt)],
    ['Finished', formatTime(b.finishedAt)],
    ['Duration', formatDuration(b.durationMs)],
    ['Size', `${formatBytes(b.compressedBytes)} (${formatBytes(b.uncompressedBytes)} of SQL)`],
    ['Tables', b.tables ?? '—'],
    [
      'SHA-256',
      <code key="c" className="text-xs break-all">
        {b.sha256 ?? '—'}
      </code>,
    ],
    [
      'Verification',
      b.status === 'succeeded' ? (
        <span key="v" className="flex flex-wrap items-center gap-2">
          <ChecksumBadge backup={b} />
          {b.verification
            ? `last at ${formatTime(b.verification.at)}${b.verification.reason ? `: ${b.verification.reason}` : ''}`
            : null}
        </span>
      ) : (
        '—'
      ),
    ],
    ['Server', b.serverVersion ?? '—'],
    [
      'Object',
      <code key="k" className="text-xs break-all">
        {b.s3Key ?? '—'}
      </code>,
    ],
    ...(b.objectMissingAt
      ? [
          [
            'Object missing',
            `found gone from the bucket at ${formatTime(b.objectMissingAt)}: this backup cannot be restored`,
          ] satisfies [string, string],
        ]
      : []),
  ];
  return (
    <JobDetail
      kind="Backup"
      back={{ to: '/backups', label: 'Backups' }}
      title={jobTitle(sourceName, b.database, b.createdAt)}
      actions={<BackupActions backup={b} />}
      error={b.error}
      rows={rows}
      id={b.id}
      finishedAt={b.finishedAt}
    />
  );
}
