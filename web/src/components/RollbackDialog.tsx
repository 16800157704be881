import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useNavigate } from 'react-router';
import type { Backup } from '../../../types/backup.ts';
import type { Restore } from '../../../types/restore.ts';
import { api, errorMessage } from '../api.ts';
import { formatTime } from '../format.ts';
import { Field } from './Field.tsx';
import { Modal } from './Modal.tsx';
import { useToast } from './Toasts.tsx';

/**
 * Roll a restore back: restore its safety backup over the same target. Destructive like any restore, so the
 * database's name must be typed; what the target holds now is kept in a new safety backup first, which the dialog
 * says. Once the API accepts, the console goes to the rollback's own live page.
 */
export function RollbackDialog({
  restore,
  targetName,
  safetyBackup,
  open,
  onOpenChange,
}: {
  restore: Restore;
  /** The target data source's name, as the page shows it. */
  targetName: string;
  safetyBackup: Backup | undefined;
  open: boolean;
  onOpenChange: (open: boolean) => void;
}) {
  const toast = useToast();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [confirm, setConfirm] = useState('');
  const refusalId = useId();
  const database = restore.targetDatabase;
  const rollback = useMutation({
    mutationFn: () => api.rollbackRestore({ id: restore.id }, { confirmDatabase: confirm }),
    onSuccess: ({ restoreId }) => {
      toast.info(`Rollback ${restoreId} of ${targetName}/${database} started`);
      void queries.invalidateQueries({ queryKey: ['restores'] });
      onOpenChange(false);
      void navigate(`/restores/${encodeURIComponent(restoreId)}`);
    },
  });
  const taken = safetyBackup ? ` (taken ${formatTime(safetyBackup.createdAt)})` : '';
  return (
    <Modal
      open={open}
      onOpenChange={onOpenChange}
      title={`Roll back restore ${restore.id}`}
      description={`${targetName} / ${database}`}
    >
      <form
        className="flex flex-col gap-3"
        onSubmit={(event) => {
          event.preventDefault();
          if (confirm === database) rollback.mutate();
        }}
      >
        <div
          role="note"
          aria-label="What rolling back does"
          className="flex flex-col gap-2 rounded-md border border-amber-500 bg-amber-50 p-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100"
        >
          <p>
            This restores the safety backup of <strong>{database}</strong>
            {taken} over it: the tables and views it held before restore {restore.id} are dropped and recreated as they
            were then. Tables that restore added and the safety backup does not hold are left as they are.
          </p>
          <p>
            What <strong>{database}</strong> holds now is kept first, in a new safety backup: this rollback can itself
            be rolled back.
          </p>
        </div>
        <Field label={`Type ${database} to confirm`}>
          <input
            className="input"
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
            autoComplete="off"
            aria-errormessage={rollback.isError ? refusalId : undefined}
          />
        </Field>
        {rollback.isError ? (
          <p
            id={refusalId}
            role="alert"
            className="rounded-md border border-red-600 bg-red-50 p-2 text-sm text-red-900 dark:bg-red-950 dark:text-red-100"
          >
            Could not roll back: {errorMessage(rollback.error)}
          </p>
        ) : null}
        <div className="flex justify-end gap-2">
          <button type="button" className="btn" onClick={() => onOpenChange(false)}>
            Cancel
          </button>
          <button type="submit" className="btn btn-danger" disabled={confirm !== database || rollback.isPending}>
            {rollback.isPending ? 'Rolling back…' : 'Roll back'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
