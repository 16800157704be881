import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Link } from 'react-router';
import type { Restore } from '../../../types/restore.ts';
import { api, errorMessage } from '../api.ts';
import { formatTime } from '../format.ts';
import { useCan } from '../permissions.tsx';
import { wayBack } from '../rollback.ts';
import { useDownload } from './BackupActions.tsx';
import { RestoreDialog } from './RestoreDialog.tsx';
import { RollbackDialog } from './RollbackDialog.tsx';
import { StatusBadge } from './StatusBadge.tsx';

const LINK = 'text-sky-700 underline dark:text-sky-400';

/**
 * A restore's way back: its safety backup as a linked backup record with Roll back, Restore and Download, or who
 * rolled it back, or why there is nothing to roll back to.
 */
export function SafetyBackupPanel({ restore, nameOf }: { restore: Restore; nameOf: (sourceId: string) => string }) {
  const headingId = useId();
  const way = wayBack(restore);
  if (way.kind === 'pending') return null;
  return (
    <section aria-labelledby={headingId} className="card flex flex-col gap-2">
      <h2 id={headingId} className="text-lg font-semibold">
        Safety backup
      </h2>
      {way.kind === 'legacyKey' ? (
        <p className="text-sm">
          Taken before safety backups were backup records, so it cannot be rolled back from here; its object is{' '}
          <code className="text-xs break-all">{way.key}</code>.
        </p>
      ) : way.kind === 'nothingToRollBackTo' ? (
        <p className="text-sm">{way.reason}</p>
      ) : (
        <SafetyBackupRecord
          restore={restore}
          backupId={restore.safetyBackupId}
          offerRollback={way.kind === 'rollBack'}
          nameOf={nameOf}
        />
      )}
      {way.kind === 'rolledBack' ? (
        <p className="text-sm">
          Rolled back by{' '}
          <Link className={LINK} to={`/restores/${encodeURIComponent(way.by)}`}>
            restore {way.by}
          </Link>
          .
        </p>
      ) : null}
    </section>
  );
}

/** The safety backup's record, linked, and what the person's role may do with it. */
function SafetyBackupRecord({
  restore,
  backupId,
  offerRollback,
  nameOf,
}: {
  restore: Restore;
  backupId: string | undefined;
  offerRollback: boolean;
  nameOf: (sourceId: string) => string;
}) {
  const can = useCan();
  const [dialog, setDialog] = useState<'rollback' | 'restore' | undefined>();
  const safety = useQuery({
    queryKey: ['backups', backupId],
    queryFn: () => api.getBackup({ id: backupId ?? '' }),
    enabled: backupId !== undefined,
  });
  const download = useDownload(backupId ?? '');
  if (backupId === undefined) return null;
  const target = `${nameOf(restore.targetSourceId)}/${restore.targetDatabase}`;
  const backup = safety.data;
  const usable = backup?.status === 'succeeded' && !backup.trashedAt && !backup.objectMissingAt;
  return (
    <>
      <p className="text-sm">
        <Link className={LINK} to={`/backups/${encodeURIComponent(backupId)}`}>
          Safety backup of {target}
        </Link>{' '}
        taken before this restore{backup ? `, ${formatTime(backup.createdAt)}` : ''}.{' '}
        {backup && backup.status !== 'succeeded' ? <StatusBadge status={backup.status} /> : null}
        {backup?.trashedAt ? ' It is in the trash.' : null}
        {backup?.objectMissingAt ? ' Its object is missing from the bucket: it cannot be restored.' : null}
      </p>
      {safety.isError ? (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          Could not load the safety backup: {errorMessage(safety.error)}
        </p>
      ) : null}
      {backup && usable ? (
        <div className="flex flex-wrap gap-1">
          {offerRollback && can('rollbackRestore') ? (
            <button type="button" className="btn btn-danger" onClick={() => setDialog('rollback')}>
              Roll back
            </button>
          ) : null}
          {can('createRestore') ? (
            <button type="button" className="btn" onClick={() => setDialog('restore')}>
              Restore
            </button>
          ) : null}
          {can('getDownloadUrl') ? (
            <button type="button" className="btn" onClick={() => download.mutate()} disabled={download.isPending}>
              Download
            </button>
          ) : null}
          {dialog === 'rollback' ? (
            <RollbackDialog
              restore={restore}
              targetName={nameOf(restore.targetSourceId)}
              safetyBackup={backup}
              open
              onOpenChange={(open) => setDialog(open ? 'rollback' : undefined)}
            />
          ) : null}
          {dialog === 'restore' ? (
            <RestoreDialog backup={backup} open onOpenChange={(open) => setDialog(open ? 'restore' : undefined)} />
          ) : null}
        </div>
      ) : null}
    </>
  );
}
