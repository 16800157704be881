import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useForm } from 'react-hook-form';
import { Link, useNavigate } from 'react-router';
import type { ConnectionTestResult, TlsUsed } from '../../../types/apiDataSources.ts';
import { CONNECTION_PROBLEM_TITLES } from '../../../types/connectionTest.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import { ENGINES, type Engine } from '../../../types/engines.ts';
import type { Schedule } from '../../../types/schedule.ts';
import type { StatsResponse } from '../../../types/stats.ts';
import { api, ApiError, errorMessage } from '../api.ts';
import { Field } from '../components/Field.tsx';
import { Modal } from '../components/Modal.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { useToast } from '../components/Toasts.tsx';
import {
  changesConnection,
  editValues,
  engineChange,
  ENGINE_OPTIONS,
  fieldMessages,
  NEW_SOURCE_VALUES,
  parseSchemaList,
  sourceFormSchema,
  testSettingsBody,
  tlsOptions,
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
 * What a connection test found, as the dialog shows it: the server and how the session was protected, or the
 * problem in plain words with the server's own message beneath; a failure offers to save the source disabled.
 */
function ConnectionTestPanel({
  result,
  onSaveDisabled,
  saving,
}: {
  result: ConnectionTestResult;
  onSaveDisabled: () => void;
  saving: boolean;
}) {
  if (result.ok)
    return (
      <div
        role="status"
        className="rounded-md border border-emerald-300 bg-emerald-50 p-3 text-sm sm:col-span-2 dark:border-emerald-800 dark:bg-emerald-950/40"
      >
        <p className="font-medium text-emerald-800 dark:text-emerald-300">Connected to {result.serverVersion}</p>
        <p>
          TLS {describeTls(result)}, answered in {result.durationMs} ms
        </p>
      </div>
    );
  return (
    <div
      role="alert"
      className="flex flex-col gap-2 rounded-md border border-red-300 bg-red-50 p-3 text-sm sm:col-span-2 dark:border-red-800 dark:bg-red-950/40"
    >
      <p className="font-medium text-red-800 dark:text-red-300">{CONNECTION_PROBLEM_TITLES[result.problem]}</p>
      <p>{result.explanation}</p>
      <div>
        <p className="text-xs font-medium">The server said:</p>
        <pre className="font-mono text-xs break-words whitespace-pre-wrap">{result.error}</pre>
      </div>
      <div className="flex flex-wrap items-center justify-end gap-2">
        <span className="text-xs">Saved disabled, it takes no scheduled backups until you enable it.</span>
        <button type="button" className="btn" onClick={onSaveDisabled} disabled={saving}>
          Save anyway, disabled
        </button>
      </div>
    </div>
  );
}

/**
 * The form that adds a source, or edits `source`: the API's own schema checks every field before anything is sent,
 * and the API's per-field answer maps back onto the fields. "Test connection" tries the settings as typed (on edit
 * with the stored password unless a new one is typed); saving tests first whenever the connection could change, and
 * saves only if it works, or disabled when the person chooses so after a failed test. On edit only the changed
 * fields are sent, and the password only when a new one is typed.
 */
function SourceForm({ source, onDone }: { source?: DataSource; onDone: () => void }) {
  const toast = useToast();
  const queries = useQueryClient();
  const form = useForm<SourceFormValues, unknown, SourceFormOutput>({
    resolver: zodResolver(sourceFormSchema(source !== undefined)),
    defaultValues: source ? editValues(source) : NEW_SOURCE_VALUES,
  });
  const { errors, isSubmitting } = form.formState;
  const engine = form.watch('engine') as Engine;
  const tlsMode = form.watch('tls.mode');
  // The engine before the latest change: its default port tells whether the port field still holds a default.
  const previousEngine = useRef<Engine>(engine);
  const onEngineChange = (to: Engine) => {
    const change = engineChange(previousEngine.current, to, {
      port: form.getValues('port'),
      tlsMode: form.getValues('tls.mode'),
    });
    previousEngine.current = to;
    if (change.port !== undefined) form.setValue('port', change.port);
    if (change.tlsMode !== undefined) form.setValue('tls.mode', change.tlsMode);
    if (!ENGINES[to].schemaFilter) form.setValue('schemas', undefined);
  };
  const [tested, setTested] = useState<{ result: ConnectionTestResult; values: SourceFormOutput } | undefined>();
  const [testing, setTesting] = useState(false);
  const [savingDisabled, setSavingDisabled] = useState(false);
  // A result speaks for the values it was found with: any edit makes it stale, so it goes.
  useEffect(() => {
    const subscription = form.watch(() => setTested(undefined));
    return () => subscription.unsubscribe();
  }, [form]);

  const showFieldErrors = (error: unknown) => {
    if (error instanceof ApiError)
      for (const [field, message] of fieldMessages(error.fields).onFields) form.setError(field, { message });
  };
  const runTest = async (values: SourceFormOutput): Promise<ConnectionTestResult | undefined> => {
    setTesting(true);
    try {
      const result = await api.post<ConnectionTestResult>('/v1/data-sources/test', testSettingsBody(values, source));
      setTested({ result, values });
      return result;
    } catch (error) {
      showFieldErrors(error);
      toast.error(`Could not test the connection: ${errorMessage(error)}`);
      return undefined;
    } finally {
      setTesting(false);
    }
  };
  const save = async (values: SourceFormOutput, disable: boolean) => {
    const what = source ? 'save' : 'add';
    const disabled = disable ? ', disabled: enable it once the connection works' : '';
    try {
      if (source) {
        const body = { ...updateBody(source, values), ...(disable && source.enabled && { enabled: false }) };
        const saved = await api.patch<DataSource>(`/v1/data-sources/${source.id}`, body);
        toast.success(`Data source "${saved.name}" saved${disabled}`);
      } else {
        const created = await api.post<DataSource>('/v1/data-sources', {
          ...values,
          ...(disable && { enabled: false }),
        });
        toast.success(`Data source "${created.name}" added${disabled}`);
      }
      await queries.invalidateQueries({ queryKey: ['data-sources'] });
      onDone();
    } catch (error) {
      showFieldErrors(error);
      toast.error(`Could not ${what} the data source: ${errorMessage(error)}`);
    }
  };
  const submit = form.handleSubmit(async (values) => {
    const changes = source ? updateBody(source, values) : undefined;
    if (changes && Object.keys(changes).length === 0) {
      toast.info('Nothing changed');
      onDone();
      return;
    }
    if (!changes || changesConnection(changes)) {
      const result = await runTest(values);
      // Not saved: the panel says why and offers to save disabled, or the toast says why the test could not run.
      if (!result?.ok) return;
    }
    await save(values, false);
  });
  const test = form.handleSubmit(async (values) => void (await runTest(values)));
  const saveDisabled = async () => {
    if (!tested) return;
    setSavingDisabled(true);
    await save(tested.values, true);
    setSavingDisabled(false);
  };
  const busy = isSubmitting || testing || savingDisabled;
  const saveLabel = testing && isSubmitting ? 'Testing the connection…' : isSubmitting ? 'Saving…' : undefined;
  return (
    <form onSubmit={submit} noValidate className="grid gap-3 sm:grid-cols-2">
      <Field label="Name" error={errors.name?.message}>
        <input className="input" {...form.register('name')} />
      </Field>
      <Field label="Engine" error={errors.engine?.message}>
        <select
          className="input"
          {...form.register('engine', { onChange: (event) => onEngineChange(event.target.value as Engine) })}
        >
          {ENGINE_OPTIONS.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
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
      <Field label={engine === 'postgresql' ? 'TLS (sslmode)' : 'TLS'} error={errors.tls?.mode?.message}>
        <select className="input" {...form.register('tls.mode')}>
          {tlsOptions(engine).map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      </Field>
      {tlsMode === 'verify-ca' || tlsMode === 'verify-identity' ? (
        <Field
          label="CA certificate (PEM)"
          error={errors.tls?.caPem?.message}
          hint="The CA that signed the server's certificate, e.g. the RDS global bundle; blank for a publicly trusted one"
        >
          <textarea
            className="input font-mono text-xs sm:col-span-2"
            rows={3}
            spellCheck={false}
            {...form.register('tls.caPem', { setValueAs: (value: string) => (value ? value : undefined) })}
          />
        </Field>
      ) : null}
      {ENGINES[engine].schemaFilter ? (
        <Field
          label="Schemas"
          error={errors.schemas?.message}
          hint="Back up only these schemas (comma-separated); blank for every schema"
        >
          <input className="input" autoComplete="off" {...form.register('schemas', { setValueAs: parseSchemaList })} />
        </Field>
      ) : null}
      {tested ? (
        <ConnectionTestPanel result={tested.result} onSaveDisabled={() => void saveDisabled()} saving={busy} />
      ) : null}
      <div className="flex flex-wrap justify-end gap-2 sm:col-span-2">
        <button type="button" className="btn" onClick={onDone}>
          Cancel
        </button>
        <button type="button" className="btn" onClick={() => void test()} disabled={busy}>
          {testing && !isSubmitting ? 'Testing…' : 'Test connection'}
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {saveLabel ?? (source ? 'Save changes' : 'Add data source')}
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
        : toast.error(
            `Connection to "${source.name}" failed: ${CONNECTION_PROBLEM_TITLES[result.problem]}. ${result.explanation} The server said: ${result.error}`,
          ),
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
