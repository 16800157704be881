import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import type { Backup } from '../../../types/backup.ts';
import { api } from '../api.ts';
import { BackupActions } from '../components/BackupActions.tsx';
import { BackupTrigger } from '../components/BackupTrigger.tsx';
import { JobDetail } from '../components/JobDetail.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { formatBytes, formatDuration, formatTime } from '../format.ts';
import { LoadFailed } from '../components/LoadFailed.tsx';
import { pollWhileActive } from '../queries.ts';

/** One backup: its record and the runner's live log, both followed every 2 s while it runs. */
export function BackupDetail() {
  const { id = '' } = useParams();
  const backup = useQuery({
    queryKey: ['backups', id],
    queryFn: () => api.get<Backup>(`/v1/backups/${encodeURIComponent(id)}`),
    refetchInterval: (query) => pollWhileActive(query.state.data && [query.state.data]),
  });
  if (backup.isPending) return <p role="status">Loading the backup…</p>;
  if (backup.isError) {
    return <LoadFailed what={`backup ${id}`} error={backup.error} />;
  }
  const b = backup.data;
  const rows: [string, React.ReactNode][] = [
    ['Status', <StatusBadge key="s" status={b.status} />],
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
      b.verification
        ? `${b.verification.status} at ${formatTime(b.verification.at)}${b.verification.reason ? `: ${b.verification.reason}` : ''}`
        : 'not verified yet',
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
      back={{ to: '/backups', label: 'Backups' }}
      title={`Backup ${b.id}`}
      actions={<BackupActions backup={b} />}
      error={b.error}
      rows={rows}
      logPath={`/v1/backups/${encodeURIComponent(b.id)}/logs`}
      finishedAt={b.finishedAt}
    />
  );
}
