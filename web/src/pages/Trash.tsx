import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Page } from '../../../types/api.ts';
import type { Backup } from '../../../types/backup.ts';
import { api, errorMessage } from '../api.ts';
import { BackupTable } from '../components/BackupTable.tsx';
import { Modal } from '../components/Modal.tsx';
import { useToast } from '../components/Toasts.tsx';
import { formatTime } from '../format.ts';
import { useCan } from '../permissions.tsx';
import { useDataSources } from '../queries.ts';
import { LoadFailed } from '../components/LoadFailed.tsx';

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
    mutationFn: () => api.post(`/v1/backups/${backup.id}/untrash`),
    onSuccess: () => {
      toast.success('Backup restored from the trash');
      void refresh();
    },
    onError: (error) => toast.error(`Could not restore from the trash: ${errorMessage(error)}`),
  });
  const remove = useMutation({
    mutationFn: () => api.delete(`/v1/backups/${backup.id}`),
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

/** Trashed backups: restorable until the sweep deletes them at the end of their grace period. */
export function Trash() {
  const sources = useDataSources();
  const trash = useQuery({ queryKey: ['trash'], queryFn: () => api.get<Page<Backup>>('/v1/trash?limit=100') });
  return (
    <section className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">Trash</h1>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Trashed backups are deleted by the daily sweep once their grace period is over.
      </p>
      {trash.isPending ? (
        <p role="status">Loading the trash…</p>
      ) : trash.isError ? (
        <LoadFailed what={`the trash`} error={trash.error} />
      ) : trash.data.items.length === 0 ? (
        <div className="card">The trash is empty.</div>
      ) : (
        <BackupTable
          backups={trash.data.items}
          sources={sources.data?.items ?? []}
          actions={(b) => <TrashActions backup={b} />}
        />
      )}
    </section>
  );
}
