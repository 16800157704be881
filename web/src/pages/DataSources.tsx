import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { Link, useNavigate } from 'react-router';
import type { ConnectionTestResult, TlsUsed } from '../../../types/apiDataSources.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import type { Schedule } from '../../../types/schedule.ts';
import type { StatsResponse } from '../../../types/stats.ts';
import { api, ApiError, errorMessage } from '../api.ts';
import { Field } from '../components/Field.tsx';
import { Modal } from '../components/Modal.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { useToast } from '../components/Toasts.tsx';
import {
  editValues,
  fieldMessages,
  NEW_SOURCE_VALUES,
  sourceFormSchema,
  updateBody,
  type SourceFormOutput,
  type SourceFormValues,
} from '../dataSourceForm.ts';
import { describeCron } from '../cronBuilder.ts';
import { formatAge } from '../format.ts';
import { useCan } from '../permissions.tsx';
import { useDataSources, useSchedules } from '../queries.ts';
import { LoadFailed } from '../components/LoadFailed.tsx';
import { CardLabel, CARD_CELL, CARD_ROW, CARD_THEAD } from '../components/CardTable.tsx';

/**
 * The form that adds a source, or edits `source`: the API's own schema checks every field before anything is sent,
 * and the API's per-field answer maps back onto the fields. On edit only the changed fields are sent, and the
 * password only when a new one is typed.
 */
function SourceForm({ source, onDone }: { source?: DataSource; onDone: () => void }) {
  const toast = useToast();
  const queries = useQueryClient();
  const form = useForm<SourceFormValues, unknown, SourceFormOutput>({
    resolver: zodResolver(sourceFormSchema(source !== undefined)),
    defaultValues: source ? editValues(source) : NEW_SOURCE_VALUES,
  });
  const { errors, isSubmitting } = form.formState;
  const submit = form.handleSubmit(async (values) => {
    const what = source ? 'save' : 'add';
    try {
      if (source) {
        const body = updateBody(source, values);
        if (Object.keys(body).length === 0) {
          toast.info('Nothing changed');
          onDone();
          return;
        }
        const saved = await api.patch<DataSource>(`/v1/data-sources/${source.id}`, body);
        toast.success(`Data source "${saved.name}" saved`);
      } else {
        const created = await api.post<DataSource>('/v1/data-sources', values);
        toast.success(`Data source "${created.name}" added`);
      }
      await queries.invalidateQueries({ queryKey: ['data-sources'] });
      onDone();
    } catch (error) {
      if (error instanceof ApiError)
        for (const [field, message] of fieldMessages(error.fields).onFields) form.setError(field, { message });
      toast.error(`Could not ${what} the data source: ${errorMessage(error)}`);
    }
  });
  return (
    <form onSubmit={submit} noValidate className="grid gap-3 sm:grid-cols-2">
      <Field label="Name" error={errors.name?.message}>
        <input className="input" {...form.register('name')} />
      </Field>
      <Field label="Engine" error={errors.engine?.message}>
        <select className="input" {...form.register('engine')}>
          <option value="mysql">MySQL</option>
          <option value="mariadb">MariaDB</option>
        </select>
      </Field>
      <Field label="Host" error={errors.host?.message}>
        <input className="input" autoComplete="off" {...form.register('host')} />
      </Field>
      <Field label="Port" error={errors.port?.message}>
        <input className="input" inputMode="numeric" {...form.register('port', { valueAsNumber: true })} />
      </Field>
      <Field label="Database" error={errors.database?.message}>
        <input className="input" autoComplete="off" {...form.register('database')} />
      </Field>
      <Field label="Username" error={errors.username?.message}>
        <input className="input" autoComplete="off" {...form.register('username')} />
      </Field>
      <Field
        label="Password"
        error={errors.password?.message}
        hint={source ? 'Leave blank to keep the stored password' : 'Stored in Secrets Manager; never shown again'}
      >
        <input
          className="input"
          type="password"
          autoComplete="new-password"
          placeholder={source ? 'unchanged' : undefined}
          {...form.register('password')}
        />
      </Field>
      <Field label="TLS" error={errors.tls?.mode?.message}>
        <select className="input" {...form.register('tls.mode')}>
          <option value="required">required</option>
          <option value="preferred">preferred (falls back to cleartext)</option>
          <option value="verify-ca">verify CA</option>
          <option value="verify-identity">verify identity</option>
          <option value="disabled">disabled</option>
        </select>
      </Field>
      <div className="flex justify-end gap-2 sm:col-span-2">
        <button type="button" className="btn" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={isSubmitting}>
          {source ? (isSubmitting ? 'Saving…' : 'Save changes') : isSubmitting ? 'Adding…' : 'Add data source'}
        </button>
      </div>
    </form>
  );
}

/** "verified (TLSv1.3)", "encrypted (unverified) (TLSv1.2)" or "none": what protected the test's login. */
const describeTls = ({ tls, tlsProtocol }: TlsUsed): string => (tlsProtocol ? `${tls} (${tlsProtocol})` : tls);

function SourceActions({ source }: { source: DataSource }) {
  const can = useCan();
  const toast = useToast();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [editing, setEditing] = useState(false);
  const test = useMutation({
    mutationFn: () => api.post<ConnectionTestResult>(`/v1/data-sources/${source.id}/test`),
    onSuccess: (result) =>
      result.ok
        ? toast.success(
            `Connection to "${source.name}" OK: ${result.serverVersion} in ${result.durationMs} ms, TLS ${describeTls(result)}`,
          )
        : toast.error(`Connection to "${source.name}" failed: ${result.error}`),
    onError: (error) => toast.error(`Connection test failed: ${errorMessage(error)}`),
  });
  const backUp = useMutation({
    mutationFn: () => api.post<{ backupId: string }>(`/v1/data-sources/${source.id}/backups`, { trigger: 'manual' }),
    onSuccess: ({ backupId }) => {
      toast.info(`Backup of "${source.name}" started`);
      void navigate(`/backups/${backupId}`);
    },
    onError: (error) => toast.error(`Could not start a backup: ${errorMessage(error)}`),
  });
  const toggle = useMutation({
    mutationFn: () => api.post(`/v1/data-sources/${source.id}/${source.enabled ? 'disable' : 'enable'}`),
    onSuccess: () => {
      toast.success(`"${source.name}" ${source.enabled ? 'disabled' : 'enabled'}`);
      void queries.invalidateQueries({ queryKey: ['data-sources'] });
    },
    onError: (error) => toast.error(errorMessage(error)),
  });
  const remove = useMutation({
    mutationFn: () => api.delete(`/v1/data-sources/${source.id}`),
    onSuccess: () => {
      toast.success(`"${source.name}" deleted`);
      setConfirmDelete(false);
      void queries.invalidateQueries({ queryKey: ['data-sources'] });
    },
    onError: (error) => toast.error(`Could not delete "${source.name}": ${errorMessage(error)}`),
  });
  return (
    <div className="flex flex-wrap gap-1">
      {can('testDataSource') ? (
        <button type="button" className="btn" onClick={() => test.mutate()} disabled={test.isPending}>
          {test.isPending ? 'Testing…' : 'Test connection'}
        </button>
      ) : null}
      {can('triggerBackup') ? (
        <button
          type="button"
          className="btn btn-primary"
          onClick={() => backUp.mutate()}
          disabled={backUp.isPending || !source.enabled}
        >
          Back up now
        </button>
      ) : null}
      {can('updateDataSource') ? (
        <button type="button" className="btn" onClick={() => setEditing(true)}>
          Edit
        </button>
      ) : null}
      {can('enableDataSource') ? (
        <button type="button" className="btn" onClick={() => toggle.mutate()} disabled={toggle.isPending}>
          {source.enabled ? 'Disable' : 'Enable'}
        </button>
      ) : null}
      {can('deleteDataSource') ? (
        <button type="button" className="btn" onClick={() => setConfirmDelete(true)}>
          Delete
        </button>
      ) : null}
      <Modal
        open={editing}
        onOpenChange={setEditing}
        title={`Edit "${source.name}"`}
        description="Only the fields you change are saved."
      >
        <SourceForm source={source} onDone={() => setEditing(false)} />
      </Modal>
      <Modal
        open={confirmDelete}
        onOpenChange={setConfirmDelete}
        title={`Delete "${source.name}"?`}
        description="Its schedules stop and its password is deleted. Its backups stay until they are trashed."
      >
        <div className="flex justify-end gap-2">
          <button type="button" className="btn" onClick={() => setConfirmDelete(false)}>
            Keep it
          </button>
          <button type="button" className="btn btn-danger" onClick={() => remove.mutate()} disabled={remove.isPending}>
            Delete data source
          </button>
        </div>
      </Modal>
    </div>
  );
}

/**
 * What a source's schedules say in its row: each active one in words, paused ones marked; "none" opens the
 * new-schedule form on this source.
 */
function ScheduleSummary({ sourceId, schedules }: { sourceId: string; schedules: readonly Schedule[] | undefined }) {
  if (schedules === undefined) return <span className="text-slate-500">…</span>;
  if (schedules.length === 0) {
    return (
      <Link
        className="text-sky-700 underline dark:text-sky-400"
        to={`/schedules?source=${encodeURIComponent(sourceId)}`}
      >
        none
      </Link>
    );
  }
  return (
    <ul>
      {schedules.map((schedule) => (
        <li key={schedule.id} className={schedule.enabled ? undefined : 'text-slate-500'}>
          {describeCron(schedule.cron)} ({schedule.timeZone}){schedule.enabled ? '' : ', paused'}
        </li>
      ))}
    </ul>
  );
}

export function DataSources() {
  const can = useCan();
  const [creating, setCreating] = useState(false);
  const sources = useDataSources();
  const schedules = useSchedules();
  const stats = useQuery({ queryKey: ['stats'], queryFn: () => api.get<StatsResponse>('/v1/stats') });
  const lastOf = (id: string) => stats.data?.sources.find((s) => s.sourceId === id)?.lastBackup;
  return (
    <section className="flex flex-col gap-4">
      <div className="flex items-center justify-between">
        <h1 className="text-2xl font-semibold">Data sources</h1>
        {can('createDataSource') ? (
          <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
            Add data source
          </button>
        ) : null}
      </div>
      <Modal
        open={creating}
        onOpenChange={setCreating}
        title="Add a data source"
        description="A MySQL or MariaDB database Keepsake backs up."
      >
        <SourceForm onDone={() => setCreating(false)} />
      </Modal>
      {sources.isPending ? (
        <p role="status">Loading data sources…</p>
      ) : sources.isError ? (
        <LoadFailed what={`data sources`} error={sources.error} />
      ) : sources.data.items.length === 0 ? (
        <div className="card">No data sources yet. Add the first one to start backing it up.</div>
      ) : (
        <div className="card md:overflow-x-auto">
          <table className="table">
            <thead className={CARD_THEAD}>
              <tr>
                <th>Name</th>
                <th>Database</th>
                <th>Status</th>
                <th>Last backup</th>
                <th>Schedule</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {sources.data.items.map((source) => {
                const last = lastOf(source.id);
                return (
                  <tr key={source.id} className={CARD_ROW}>
                    <td className={`${CARD_CELL} font-medium break-words`}>{source.name}</td>
                    <td className={`${CARD_CELL} break-all md:break-normal`}>
                      <CardLabel>Database</CardLabel>
                      {source.engine} · {source.host}:{source.port}/{source.database}
                    </td>
                    <td className={CARD_CELL}>
                      <CardLabel>Status</CardLabel>
                      {source.enabled ? <StatusBadge status="enabled" /> : <StatusBadge status="disabled" />}
                    </td>
                    <td className={CARD_CELL}>
                      <CardLabel>Last backup</CardLabel>
                      {last ? (
                        <span>
                          <StatusBadge status={last.status} /> {formatAge(last.finishedAt)}
                        </span>
                      ) : (
                        'never'
                      )}
                    </td>
                    <td className={CARD_CELL}>
                      <CardLabel>Schedule</CardLabel>
                      <ScheduleSummary
                        sourceId={source.id}
                        schedules={schedules.data?.items.filter((x) => x.sourceId === source.id)}
                      />
                    </td>
                    <td className={CARD_CELL}>
                      <SourceActions source={source} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
