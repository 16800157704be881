import { Link } from 'react-router';
import type { Backup } from '../../../types/backup.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import { formatBytes, formatDuration, formatTime } from '../format.ts';
import { awaitingVerification, useVerifyWatches } from '../queries.ts';
import { BackupTrigger } from './BackupTrigger.tsx';
import { CardLabel, CARD_CELL, CARD_ROW, CARD_THEAD } from './CardTable.tsx';
import { StatusBadge } from './StatusBadge.tsx';

/**
 * What is known of a succeeded backup's object: verified or failed by its last verification, being verified (one
 * started from this tab, until its outcome is recorded), unverified, or missing from the bucket.
 */
export function ChecksumBadge({ backup }: { backup: Backup }) {
  const watches = useVerifyWatches();
  const status = backup.objectMissingAt
    ? 'object missing'
    : awaitingVerification(backup, watches)
      ? 'verifying'
      : (backup.verification?.status ?? 'unverified');
  return (
    <span title={backup.sha256 ? `SHA-256 ${backup.sha256}` : undefined}>
      <StatusBadge status={status} />
    </span>
  );
}

/**
 * Backups as rows: when, source, status, trigger, size, duration, checksum badge, and per-row actions. Below the md
 * breakpoint each row stacks as a card with its cells labelled, so every action is reachable on a phone without
 * sideways scrolling.
 */
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
    <div className="card md:overflow-x-auto">
      <table className="table">
        <thead className={CARD_THEAD}>
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
            <tr key={b.id} className={CARD_ROW}>
              <td className={CARD_CELL}>
                <Link className="text-sky-700 underline dark:text-sky-400" to={`/backups/${b.id}`}>
                  {formatTime(b.createdAt)}
                </Link>
              </td>
              <td className={CARD_CELL}>
                {nameOf(b.sourceId)}
                <span className="block text-xs break-all text-slate-500">{b.database}</span>
              </td>
              <td className={CARD_CELL}>
                <CardLabel>Status</CardLabel>
                <StatusBadge status={b.status} />
                {b.error ? (
                  <span
                    className="block text-xs break-words text-red-700 md:max-w-xs md:truncate dark:text-red-400"
                    title={b.error}
                  >
                    {b.error}
                  </span>
                ) : null}
              </td>
              <td className={CARD_CELL}>
                <CardLabel>Trigger</CardLabel>
                <BackupTrigger backup={b} compact />
              </td>
              <td className={`${CARD_CELL} tabular-nums md:text-right`}>
                <CardLabel>Size</CardLabel>
                {formatBytes(b.compressedBytes)}
              </td>
              <td className={`${CARD_CELL} tabular-nums md:text-right`}>
                <CardLabel>Duration</CardLabel>
                {formatDuration(b.durationMs)}
              </td>
              <td className={CARD_CELL}>
                <CardLabel>Checksum</CardLabel>
                {b.status === 'succeeded' ? <ChecksumBadge backup={b} /> : '—'}
              </td>
              <td className={CARD_CELL}>{actions(b)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
