import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { useNavigate } from 'react-router';
import type { DatabaseInspection } from '../../../types/apiDataSources.ts';
import type { Backup } from '../../../types/backup.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import type { CreateRestoreResponse } from '../../../types/restore.ts';
import { api, errorMessage } from '../api.ts';
import { formatBytes } from '../format.ts';
import { useCan } from '../permissions.tsx';
import { useDataSources } from '../queries.ts';
import {
  confirmationNeeded,
  databaseNameProblem,
  describeContents,
  restoreBody,
  restoreReady,
  type TargetLookup,
} from '../restoreTarget.ts';
import { Field } from './Field.tsx';
import { Modal } from './Modal.tsx';
import { SourceOptions } from './SourceOptions.tsx';
import { useToast } from './Toasts.tsx';

/** `value`, once it has stopped changing for `ms`: the name is looked up when the typing pauses, not per key. */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** Whether the chosen database exists on the target source's server, and what it holds (GET …/databases/{database}). */
function useTargetLookup(open: boolean, sourceId: string, database: string): TargetLookup {
  const can = useCan();
  const settled = useSettled(database, 400);
  const allowed = can('inspectDatabase');
  const inspection = useQuery({
    queryKey: ['database', sourceId, settled],
    queryFn: () =>
      api.get<DatabaseInspection>(
        `/v1/data-sources/${encodeURIComponent(sourceId)}/databases/${encodeURIComponent(settled)}`,
      ),
    enabled: open && allowed && sourceId !== '' && settled === database && databaseNameProblem(settled) === undefined,
    retry: false,
  });
  if (!allowed) return { state: 'failed', reason: 'your role may not look into databases' };
  if (settled !== database || inspection.isPending) return { state: 'checking' };
  if (inspection.isError) return { state: 'failed', reason: errorMessage(inspection.error) };
  return { state: 'found', inspection: inspection.data };
}

/** What restoring into the target does to it, as far as the server told (or why it could not be asked). */
function TargetPreview({
  lookup,
  database,
  source,
  backup,
}: {
  lookup: TargetLookup;
  database: string;
  source: DataSource | undefined;
  backup: Backup;
}) {
  const on = source ? ` on ${source.name}` : '';
  if (lookup.state === 'checking') {
    return (
      <p role="status" className="text-sm text-slate-600 dark:text-slate-400">
        Looking into <strong>{database}</strong>
        {on}…
      </p>
    );
  }
  if (lookup.state === 'failed') {
    return (
      <p
        role="alert"
        className="rounded-md border border-amber-500 bg-amber-50 p-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100"
      >
        Could not look into <strong>{database}</strong>
        {on}, so what it holds is not listed: {lookup.reason}. The restore can still go ahead once you confirm the name.
      </p>
    );
  }
  const { inspection } = lookup;
  if (!inspection.exists) {
    return (
      <p
        role="status"
        className="rounded-md border border-emerald-600 bg-emerald-50 p-2 text-sm text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100"
      >
        <strong>{database}</strong> does not exist{on}: it will be created.
      </p>
    );
  }
  const held =
    backup.tables === undefined ? '' : ` (this backup holds ${backup.tables} table${backup.tables === 1 ? '' : 's'})`;
  return (
    <div
      role="note"
      aria-label="What will be overwritten"
      className="flex flex-col gap-2 rounded-md border border-amber-500 bg-amber-50 p-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100"
    >
      <p>
        <strong>{inspection.database}</strong> exists{on} with {describeContents(inspection)}.
      </p>
      {inspection.schemas ? (
        <p>Schemas: {inspection.schemas.length > 0 ? inspection.schemas.join(', ') : 'none but the system ones'}</p>
      ) : null}
      {inspection.tables.length > 0 ? (
        // Focusable so that a keyboard can scroll a long list.
        <div
          tabIndex={0}
          role="region"
          aria-label={`Tables of ${inspection.database}`}
          className="max-h-48 overflow-y-auto rounded bg-white focus-visible:outline-2 focus-visible:outline-sky-600 dark:bg-slate-900"
        >
          <table className="table">
            <thead>
              <tr>
                <th>Name</th>
                <th className="text-right">Rows (estimate)</th>
                <th className="text-right">Size (estimate)</th>
              </tr>
            </thead>
            <tbody>
              {inspection.tables.map((table) => (
                <tr key={`${table.schema ?? ''}.${table.name}`}>
                  <td>
                    {table.schema === undefined ? null : <span className="text-slate-500">{table.schema}.</span>}
                    {table.name}
                    {table.kind === 'view' ? <span className="ml-1 text-xs text-slate-500">view</span> : null}
                  </td>
                  <td className="text-right tabular-nums">
                    {table.approxRows === undefined ? '—' : `≈ ${table.approxRows.toLocaleString()}`}
                  </td>
                  <td className="text-right tabular-nums">{formatBytes(table.bytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <p>
        Tables and views in this backup{held} are dropped and recreated with the backup's data; the other tables of{' '}
        {inspection.database} are kept. A safety backup of {inspection.database} is taken first, and nothing is
        overwritten unless it succeeds. Afterwards the restore's page links it: <strong>Roll back</strong> there puts
        back the tables and views {inspection.database} holds now.
      </p>
    </div>
  );
}

/**
 * Restore a backup: into a new database by default (the safe choice), or over the source's database. Before the
 * confirmation the dialog shows what the target holds (looked up as the name is typed); the name must be typed
 * again whenever something could be overwritten, including when the lookup failed. Once started, the restore's
 * own page opens, where its progress and live log are followed.
 */
export function RestoreDialog({
  backup,
  open,
  onOpenChange,
}: {
  backup: Backup;
  open: boolean;
  onOpenChange: (open: boolean) => void;
}) {
  const toast = useToast();
  const navigate = useNavigate();
  const sources = useDataSources({ enabled: open });
  const [targetSourceId, setTargetSourceId] = useState(backup.sourceId);
  const [intoNew, setIntoNew] = useState(true);
  const [newDatabase, setNewDatabase] = useState(`${backup.database}_restored`);
  const [confirm, setConfirm] = useState('');
  const [rollbackOnFailure, setRollbackOnFailure] = useState(false);
  const target = sources.data?.items.find((s) => s.id === targetSourceId);
  const database = intoNew ? newDatabase : (target?.database ?? '');
  const lookup = useTargetLookup(open, targetSourceId, database);
  const choice = { database, intoNew, confirm, lookup, rollbackOnFailure };
  const nameProblem = intoNew ? databaseNameProblem(newDatabase) : undefined;
  const restore = useMutation({
    mutationFn: () => api.post<CreateRestoreResponse>('/v1/restores', restoreBody(backup.id, targetSourceId, choice)),
    onSuccess: ({ restoreId }) => {
      toast.info(`Restore into ${target?.name ?? targetSourceId}/${database} started`);
      onOpenChange(false);
      void navigate(`/restores/${encodeURIComponent(restoreId)}`);
    },
    onError: (error) => toast.error(`Could not start the restore: ${errorMessage(error)}`),
  });
  const ready = restoreReady(choice);
  const confirming = confirmationNeeded(intoNew, lookup);
  const rollbackHintId = useId();
  return (
    <Modal
      open={open}
      onOpenChange={onOpenChange}
      title="Restore backup"
      description={`Backup of ${backup.database} from ${new Date(backup.createdAt).toLocaleString()}`}
    >
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
            <input type="radio" name="where" checked={intoNew} onChange={() => setIntoNew(true)} /> Into a new database
            (safe)
          </label>
          <label className="flex items-center gap-2">
            <input type="radio" name="where" checked={!intoNew} onChange={() => setIntoNew(false)} /> Over the source's
            database {target ? `"${target.database}"` : ''}
          </label>
        </fieldset>
        {intoNew ? (
          <Field label="New database name" error={nameProblem}>
            <input className="input" value={newDatabase} onChange={(e) => setNewDatabase(e.target.value)} />
          </Field>
        ) : null}
        {database && !nameProblem ? (
          <TargetPreview lookup={lookup} database={database} source={target} backup={backup} />
        ) : null}
        {confirming ? (
          <Field label={`Type ${database} to confirm`}>
            <input className="input" value={confirm} onChange={(e) => setConfirm(e.target.value)} autoComplete="off" />
          </Field>
        ) : null}
        {confirming ? (
          <div className="flex flex-col gap-1 text-sm">
            <label className="flex items-center gap-2">
              <input
                type="checkbox"
                checked={rollbackOnFailure}
                onChange={(e) => setRollbackOnFailure(e.target.checked)}
                aria-describedby={rollbackHintId}
              />
              Roll back automatically if the restore fails
            </label>
            <p id={rollbackHintId} className="text-xs text-slate-500">
              If the restore fails after it started changing {database}, the safety backup is restored over it at once,
              instead of leaving it half restored.
            </p>
          </div>
        ) : null}
        <div className="flex justify-end gap-2">
          <button type="button" className="btn" onClick={() => onOpenChange(false)}>
            Cancel
          </button>
          <button
            type="submit"
            className={confirming ? 'btn btn-danger' : 'btn btn-primary'}
            disabled={!ready || restore.isPending}
          >
            Restore
          </button>
        </div>
      </form>
    </Modal>
  );
}
