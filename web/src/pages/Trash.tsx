import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import type { Backup, TrashedBackup } from '../../../types/backup.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import { RETENTION_PRINCIPAL } from '../../../types/retention.ts';
import { api, errorMessage } from '../api.ts';
import { BackupTrigger } from '../components/BackupTrigger.tsx';
import { LoadFailed } from '../components/LoadFailed.tsx';
import { Modal } from '../components/Modal.tsx';
import { useToast } from '../components/Toasts.tsx';
import { formatBytes, formatTime } from '../format.ts';
import { useCan } from '../permissions.tsx';
import { useDataSources } from '../queries.ts';
import { CardLabel } from '../components/CardTable.tsx';

function TrashActions({ backup }: { backup: Backup }) {
  const can = useCan();
  const toast = useToast();
  const queries = useQueryClient();
  const [confirm, setConfirm] = useState(false);
  const refresh = () =>
    Promise.all([
      queries.invalidateQueries({ queryKey: ['trash'] }),
      queries.invalidateQueries({ queryKey: ['backups'] }),
    ]);
  const untrash = useMutation({
    mutationFn: () => api.untrashBackup({ id: backup.id }),
    onSuccess: () => {
      toast.success('Backup restored from the trash');
      void refresh();
    },
    onError: (error) => toast.error(`Could not restore from the trash: ${errorMessage(error)}`),
  });
  const remove = useMutation({
    mutationFn: () => api.deleteBackup({ id: backup.id }),
    onSuccess: () => {
      toast.success('Backup deleted permanently');
      setConfirm(false);
      void refresh();
    },
    onError: (error) => toast.error(`Could not delete: ${errorMessage(error)}`),
  });
  return (
    <div className="flex flex-wrap gap-1">
      {can('untrashBackup') ? (
        <button type="button" className="btn" onClick={() => untrash.mutate()} disabled={untrash.isPending}>
          Restore from trash
        </button>
      ) : null}
      {can('deleteBackup') ? (
        <button type="button" className="btn" onClick={() => setConfirm(true)}>
          Delete permanently
        </button>
      ) : null}
      <Modal
        open={confirm}
        onOpenChange={setConfirm}
        title="Delete this backup permanently?"
        description={`The ${backup.database} backup of ${formatTime(backup.createdAt)} and its file are deleted now; this cannot be undone.`}
      >
        <div className="flex justify-end gap-2">
          <button type="button" className="btn" onClick={() => setConfirm(false)}>
            Keep it
          </button>
          <button type="button" className="btn btn-danger" onClick={() => remove.mutate()} disabled={remove.isPending}>
            Delete permanently
          </button>
        </div>
      </Modal>
    </div>
  );
}

const DAY_MS = 86_400_000;

/** "in 6 days", "in 5 hours", "at the next sweep": how far off a purge is, as a person plans around it. */
function untilPurge(purgeAfter: string, now = Date.now()): string {
  const ms = Date.parse(purgeAfter) - now;
  if (ms <= 0) return 'at the next daily sweep';
  if (ms < DAY_MS) return `in ${Math.max(1, Math.round(ms / 3_600_000))} h, at the first daily sweep after`;
  const days = Math.round(ms / DAY_MS);
  return `in ${days} ${days === 1 ? 'day' : 'days'}, at the first daily sweep after`;
}

/** Who moved it to the trash: retention by name, a console user by e-mail over the recorded principal. */
function TrashedBy({ backup }: { backup: TrashedBackup }) {
  if (backup.trashedBy === undefined) return <span className="text-slate-600 dark:text-slate-300">not recorded</span>;
  if (backup.trashedBy === RETENTION_PRINCIPAL) return <>Retention (automatic)</>;
  return (
    <>
      {backup.trashedByName ?? backup.trashedBy}
      {backup.trashedByName ? (
        <span className="block text-xs break-all text-slate-600 dark:text-slate-300">{backup.trashedBy}</span>
      ) : null}
    </>
  );
}

/**
 * The trash as rows: which backup, who trashed it when, why, and when the sweep deletes it for good. Below the md
 * breakpoint each row stacks as a card with its cells labelled, so nothing needs sideways scrolling on a phone.
 */
function TrashTable({ backups, sources }: { backups: readonly TrashedBackup[]; sources: readonly DataSource[] }) {
  const nameOf = (id: string) => sources.find((s) => s.id === id)?.name ?? id;
  const cell = 'block md:table-cell';
  return (
    <div className="card md:overflow-x-auto">
      <table className="table">
        <thead className="hidden md:table-header-group">
          <tr>
            <th>Backup</th>
            <th>Trashed</th>
            <th>Why</th>
            <th>Deleted for good</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {backups.map((b) => (
            <tr key={b.id} className="block border-b border-slate-200 py-2 md:table-row md:py-0 dark:border-slate-800">
              <td className={cell}>
                <Link className="text-sky-700 underline dark:text-sky-400" to={`/backups/${b.id}`}>
                  {formatTime(b.startedAt ?? b.createdAt)}
                </Link>
                <span className="block">
                  {nameOf(b.sourceId)} · {b.database}
                </span>
                <span className="block text-xs text-slate-600 dark:text-slate-300">
                  <BackupTrigger backup={b} compact /> · {b.status} · {formatBytes(b.compressedBytes)}
                </span>
              </td>
              <td className={cell}>
                <CardLabel>Trashed</CardLabel>
                <TrashedBy backup={b} />
                <span className="block text-xs text-slate-600 dark:text-slate-300">{formatTime(b.trashedAt)}</span>
              </td>
              <td className={`${cell} md:max-w-xs`}>
                <CardLabel>Why</CardLabel>
                {b.trashReason ?? 'not recorded'}
              </td>
              <td className={cell}>
                <CardLabel>Deleted for good</CardLabel>
                {b.purgeAfter ? (
                  <>
                    after {formatTime(b.purgeAfter)}
                    <span className="block text-xs text-slate-600 dark:text-slate-300">{untilPurge(b.purgeAfter)}</span>
                  </>
                ) : (
                  '—'
                )}
              </td>
              <td className={cell}>
                <TrashActions backup={b} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Trashed backups: restorable until the sweep deletes them at the end of their grace period. */
export function Trash() {
  const sources = useDataSources();
  const trash = useQuery({ queryKey: ['trash'], queryFn: () => api.listTrash({ limit: 100 }) });
  return (
    <section className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">Trash</h1>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Each backup here says who or what moved it to the trash and why. It can be restored until its grace period ends;
        the daily sweep then deletes it with its file.
      </p>
      {trash.isPending ? (
        <p role="status">Loading the trash…</p>
      ) : trash.isError ? (
        <LoadFailed what={`the trash`} error={trash.error} />
      ) : trash.data.items.length === 0 ? (
        <div className="card">The trash is empty.</div>
      ) : (
        <TrashTable backups={trash.data.items} sources={sources.data?.items ?? []} />
      )}
    </section>
  );
}
