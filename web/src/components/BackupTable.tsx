import { Link } from 'react-router';
import type { Backup } from '../../../types/backup.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import { formatBytes, formatDuration, formatTime } from '../format.ts';
import { BackupTrigger } from './BackupTrigger.tsx';
import { StatusBadge } from './StatusBadge.tsx';

/** Backups as rows: when, source, status, trigger, size, duration, checksum badge, and per-row actions. */
export function BackupTable({
  backups,
  sources,
  actions,
}: {
  backups: readonly Backup[];
  sources: readonly DataSource[];
  actions: (backup: Backup) => React.ReactNode;
}) {
  const nameOf = (id: string) => sources.find((s) => s.id === id)?.name ?? id;
  return (
    <div className="card overflow-x-auto">
      <table className="table">
        <thead>
          <tr>
            <th>Started</th>
            <th>Source</th>
            <th>Status</th>
            <th>Trigger</th>
            <th className="text-right">Size</th>
            <th className="text-right">Duration</th>
            <th>Checksum</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {backups.map((b) => (
            <tr key={b.id}>
              <td>
                <Link className="text-sky-700 underline dark:text-sky-400" to={`/backups/${b.id}`}>
                  {formatTime(b.createdAt)}
                </Link>
              </td>
              <td>
                {nameOf(b.sourceId)}
                <span className="block text-xs text-slate-500">{b.database}</span>
              </td>
              <td>
                <StatusBadge status={b.status} />
                {b.error ? (
                  <span className="block max-w-xs truncate text-xs text-red-700 dark:text-red-400" title={b.error}>
                    {b.error}
                  </span>
                ) : null}
              </td>
              <td>
                <BackupTrigger backup={b} compact />
              </td>
              <td className="text-right tabular-nums">{formatBytes(b.compressedBytes)}</td>
              <td className="text-right tabular-nums">{formatDuration(b.durationMs)}</td>
              <td>
                {b.status === 'succeeded' ? (
                  <span title={b.sha256 ? `SHA-256 ${b.sha256}` : undefined}>
                    <StatusBadge
                      status={
                        b.objectMissingAt
                          ? 'object missing'
                          : b.verification?.status === 'verified'
                            ? 'verified'
                            : b.verification?.status === 'failed'
                              ? 'failed'
                              : 'unverified'
                      }
                    />
                  </span>
                ) : (
                  '—'
                )}
              </td>
              <td>{actions(b)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
