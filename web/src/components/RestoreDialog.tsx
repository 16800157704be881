import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import type { Backup } from '../../../types/backup.ts';
import type { CreateRestoreResponse } from '../../../types/restore.ts';
import { api, errorMessage } from '../api.ts';
import { Field } from './Field.tsx';
import { Modal } from './Modal.tsx';
import { useToast } from './Toasts.tsx';
import { useDataSources } from '../queries.ts';
import { SourceOptions } from './SourceOptions.tsx';

/**
 * Restore a backup: into a new database by default (the safe choice); overwriting an existing one needs its name
 * typed again, and the dialog says a safety backup of it is taken first.
 */
export function RestoreDialog({ backup, open, onOpenChange }: { backup: Backup; open: boolean; onOpenChange: (open: boolean) => void }) {
  const toast = useToast();
  const sources = useDataSources({ enabled: open });
  const [targetSourceId, setTargetSourceId] = useState(backup.sourceId);
  const [intoNew, setIntoNew] = useState(true);
  const [newDatabase, setNewDatabase] = useState(`${backup.database}_restored`);
  const [confirm, setConfirm] = useState('');
  const target = sources.data?.items.find((s) => s.id === targetSourceId);
  const database = intoNew ? newDatabase : (target?.database ?? '');
  const restore = useMutation({
    mutationFn: () => api.post<CreateRestoreResponse>('/v1/restores', { backupId: backup.id, targetSourceId, targetDatabase: database, confirmDatabase: intoNew ? database : confirm }),
    onSuccess: ({ restoreId }) => {
      toast.info(`Restore ${restoreId} into ${target?.name ?? targetSourceId}/${database} started`);
      onOpenChange(false);
    },
    onError: (error) => toast.error(`Could not start the restore: ${errorMessage(error)}`),
  });
  const ready = database.length > 0 && (intoNew || confirm === database);
  return (
    <Modal open={open} onOpenChange={onOpenChange} title="Restore backup" description={`Backup of ${backup.database} from ${new Date(backup.createdAt).toLocaleString()}`}>
      <form
        className="flex flex-col gap-3"
        onSubmit={(event) => {
          event.preventDefault();
          if (ready) restore.mutate();
        }}
      >
        <Field label="Target data source">
          <select className="input" value={targetSourceId} onChange={(e) => setTargetSourceId(e.target.value)}>
            <SourceOptions sources={sources.data?.items} />
          </select>
        </Field>
        <fieldset className="flex flex-col gap-1 text-sm">
          <legend className="font-medium">Where</legend>
          <label className="flex items-center gap-2">
            <input type="radio" name="where" checked={intoNew} onChange={() => setIntoNew(true)} /> Into a new database (safe)
          </label>
          <label className="flex items-center gap-2">
            <input type="radio" name="where" checked={!intoNew} onChange={() => setIntoNew(false)} /> Over the source's database {target ? `"${target.database}"` : ''}
          </label>
        </fieldset>
        {intoNew ? (
          <Field label="New database name">
            <input className="input" value={newDatabase} onChange={(e) => setNewDatabase(e.target.value)} />
          </Field>
        ) : (
          <>
            <p role="note" className="rounded-md border border-amber-500 bg-amber-50 p-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100">
              Every table of <strong>{database}</strong> on {target?.name} will be replaced by the backup's. A safety backup of it is taken first.
            </p>
            <Field label={`Type ${database} to confirm`}>
              <input className="input" value={confirm} onChange={(e) => setConfirm(e.target.value)} autoComplete="off" />
            </Field>
          </>
        )}
        <div className="flex justify-end gap-2">
          <button type="button" className="btn" onClick={() => onOpenChange(false)}>
            Cancel
          </button>
          <button type="submit" className={intoNew ? 'btn btn-primary' : 'btn btn-danger'} disabled={!ready || restore.isPending}>
            Restore
          </button>
        </div>
      </form>
    </Modal>
  );
}
