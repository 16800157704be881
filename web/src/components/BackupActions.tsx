import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Backup } from '../../../types/backup.ts';
import { api, errorMessage } from '../api.ts';
import { RestoreDialog } from './RestoreDialog.tsx';
import { useToast } from './Toasts.tsx';
import { useCan } from '../permissions.tsx';
import { awaitingVerification, useVerifyWatches, watchVerification } from '../queries.ts';

/** Downloading a backup: the API hands out a short-lived presigned URL, which the browser then follows. */
export function useDownload(backupId: string) {
  const toast = useToast();
  return useMutation({
    mutationFn: () => api.getDownloadUrl({ id: backupId }),
    onSuccess: ({ url }) => {
      window.location.assign(url);
    },
    onError: (error) => toast.error(`Could not download: ${errorMessage(error)}`),
  });
}

/**
 * What a person can do with a backup: download, verify, restore and trash a succeeded one; cancel a running one. A
 * verification started here is followed (the views of the backup poll) until its outcome is recorded.
 */
export function BackupActions({ backup }: { backup: Backup }) {
  const can = useCan();
  const toast = useToast();
  const queries = useQueryClient();
  const watches = useVerifyWatches();
  const [restoring, setRestoring] = useState(false);
  const refresh = () => queries.invalidateQueries({ queryKey: ['backups'] });
  const download = useDownload(backup.id);
  const verify = useMutation({
    mutationFn: () => api.verifyBackup({ id: backup.id }),
    onSuccess: () => {
      watchVerification(backup);
      toast.info('Verification started: the checksum badge updates when it ends');
      void refresh();
    },
    onError: (error) => toast.error(`Could not verify: ${errorMessage(error)}`),
  });
  const verifying = awaitingVerification(backup, watches);
  const trash = useMutation({
    mutationFn: () => api.trashBackup({ id: backup.id }),
    onSuccess: () => {
      toast.success('Backup moved to the trash');
      void refresh();
    },
    onError: (error) => toast.error(`Could not trash: ${errorMessage(error)}`),
  });
  const cancel = useMutation({
    mutationFn: () => api.cancelBackup({ id: backup.id }),
    onSuccess: () => {
      toast.info('Cancelling the backup');
      void refresh();
    },
    onError: (error) => toast.error(`Could not cancel: ${errorMessage(error)}`),
  });
  if (backup.status === 'queued' || backup.status === 'running') {
    return can('cancelBackup') ? (
      <button type="button" className="btn" onClick={() => cancel.mutate()} disabled={cancel.isPending}>
        Cancel
      </button>
    ) : null;
  }
  if (backup.status !== 'succeeded' || backup.trashedAt) return null;
  return (
    <div className="flex flex-wrap gap-1">
      {can('getDownloadUrl') ? (
        <button type="button" className="btn" onClick={() => download.mutate()} disabled={download.isPending}>
          Download
        </button>
      ) : null}
      {can('verifyBackup') ? (
        <button type="button" className="btn" onClick={() => verify.mutate()} disabled={verify.isPending || verifying}>
          {verifying ? 'Verifying…' : 'Verify'}
        </button>
      ) : null}
      {can('createRestore') ? (
        <button type="button" className="btn" onClick={() => setRestoring(true)}>
          Restore
        </button>
      ) : null}
      {can('trashBackup') ? (
        <button type="button" className="btn" onClick={() => trash.mutate()} disabled={trash.isPending}>
          Trash
        </button>
      ) : null}
      {restoring ? <RestoreDialog backup={backup} open={restoring} onOpenChange={setRestoring} /> : null}
    </div>
  );
}
