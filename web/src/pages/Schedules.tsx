import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import type { DataSource } from '../../../types/dataSource.ts';
import { DEFAULT_RETENTION, type Schedule } from '../../../types/schedule.ts';
import { api, ApiError, errorMessage } from '../api.ts';
import {
  describeCron,
  preview,
  runTimes,
  timeOf,
  toCron,
  WEEKDAYS,
  withTime,
  type CronPreset,
} from '../cronBuilder.ts';
import { Field } from '../components/Field.tsx';
import { Modal } from '../components/Modal.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { useToast } from '../components/Toasts.tsx';
import { useCan } from '../permissions.tsx';
import { useDataSources, useSchedules } from '../queries.ts';
import {
  formState,
  scheduleBody,
  scheduleChanges,
  scheduleProblems,
  serverProblems,
  type ScheduleFormState,
} from '../scheduleForm.ts';
import { LoadFailed } from '../components/LoadFailed.tsx';
import { CardLabel } from '../components/CardTable.tsx';

const TIME_ZONES: readonly string[] = Intl.supportedValuesOf('timeZone');
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** A number input's value: empty while cleared (NaN), so the builder can say what is missing. */
const shown = (n: number) => (Number.isNaN(n) ? '' : n);

const errorText = 'text-xs text-red-700 dark:text-red-400';
const secondaryText = 'text-xs text-slate-600 dark:text-slate-300';

/** A run in the schedule's zone, with the viewer's own clock beneath when it reads differently. */
function RunTime({ run }: { run: { inZone: string; local?: string } }) {
  return (
    <>
      {run.inZone}
      {run.local ? <span className={`block ${secondaryText}`}>your time: {run.local}</span> : null}
    </>
  );
}

/**
 * The builder: a preset (hourly, daily at, weekly on, monthly on) or raw cron, each control with its own problem
 * (a weekly schedule needs a day), and the next 3 runs in the schedule's zone before saving.
 */
function CronBuilder({
  preset,
  onChange,
  timeZone,
  errors,
}: {
  preset: CronPreset;
  onChange: (p: CronPreset) => void;
  timeZone: string;
  errors: Readonly<Record<string, string>>;
}) {
  const next = preview(preset, timeZone, browserZone);
  const switchTo = (kind: CronPreset['kind']) => {
    const time = timeOf(preset);
    const base = { hour: 2, minute: 0 };
    const next: CronPreset =
      kind === 'hourly'
        ? { kind, minute: 0 }
        : kind === 'daily'
          ? { kind, ...base }
          : kind === 'weekly'
            ? { kind, days: [1], ...base }
            : kind === 'monthly'
              ? { kind, day: 1, ...base }
              : { kind, expression: toCron(preset) };
    onChange(kind === 'raw' || kind === 'hourly' ? next : withTime(next, time));
  };
  return (
    <div className="flex flex-col gap-3">
      <Field label="Repeat">
        <select className="input" value={preset.kind} onChange={(e) => switchTo(e.target.value as CronPreset['kind'])}>
          <option value="hourly">Hourly</option>
          <option value="daily">Daily at…</option>
          <option value="weekly">Weekly on…</option>
          <option value="monthly">Monthly on…</option>
          <option value="raw">Cron expression</option>
        </select>
      </Field>
      {preset.kind === 'hourly' ? (
        <Field label="Minute past the hour" error={errors.minute}>
          <input
            className="input"
            type="number"
            min={0}
            max={59}
            value={shown(preset.minute)}
            onChange={(e) => onChange({ ...preset, minute: e.target.valueAsNumber })}
          />
        </Field>
      ) : null}
      {preset.kind === 'weekly' ? (
        <fieldset
          className="flex flex-wrap gap-2 text-sm"
          aria-describedby={errors.days ? 'schedule-days-error' : undefined}
        >
          <legend className="mb-1 font-medium">Days</legend>
          {WEEKDAYS.map((name, day) => (
            <label key={name} className="flex items-center gap-1">
              <input
                type="checkbox"
                checked={preset.days.includes(day)}
                onChange={(e) =>
                  onChange({
                    ...preset,
                    days: e.target.checked ? [...preset.days, day] : preset.days.filter((d) => d !== day),
                  })
                }
              />
              {name}
            </label>
          ))}
          {errors.days ? (
            <p id="schedule-days-error" className={`w-full ${errorText}`}>
              {errors.days}
            </p>
          ) : null}
        </fieldset>
      ) : null}
      {preset.kind === 'monthly' ? (
        <Field label="Day of the month" error={errors.day}>
          <input
            className="input"
            type="number"
            min={1}
            max={31}
            value={shown(preset.day)}
            onChange={(e) => onChange({ ...preset, day: e.target.valueAsNumber })}
          />
        </Field>
      ) : null}
      {'hour' in preset ? (
        <Field label="At (time of day)" error={errors.time}>
          <input
            className="input"
            type="time"
            value={timeOf(preset)}
            onChange={(e) => onChange(withTime(preset, e.target.value))}
          />
        </Field>
      ) : null}
      {preset.kind === 'raw' ? (
        <Field label="Cron expression" hint="minute hour day-of-month month day-of-week" error={errors.cron}>
          <input
            className="input font-mono"
            value={preset.expression}
            onChange={(e) => onChange({ kind: 'raw', expression: e.target.value })}
          />
        </Field>
      ) : null}
      <div className="rounded-md bg-slate-100 p-3 text-sm dark:bg-slate-800" aria-live="polite">
        {'problem' in next ? (
          <p className="text-red-700 dark:text-red-400">No runs: {next.problem}</p>
        ) : (
          <>
            <p className="font-medium">
              <code>{toCron(preset)}</code> in {timeZone}
            </p>
            <ol aria-label="Next runs" className="mt-1 list-decimal pl-5">
              {next.runs.map((run) => (
                <li key={run.inZone}>
                  <RunTime run={run} />
                </li>
              ))}
            </ol>
          </>
        )}
      </div>
    </div>
  );
}

const NEW_SCHEDULE: Omit<ScheduleFormState, 'sourceId'> = {
  name: '',
  preset: { kind: 'daily', hour: 2, minute: 0 },
  timeZone: browserZone,
  retention: { ...DEFAULT_RETENTION },
  verifyWhen: 'weekly',
};

/**
 * A new schedule (for `sourceId` when a link named one), or an existing one to change: the same fields and checks,
 * an edit sends only what changed and keeps its source.
 */
function ScheduleForm({
  sources,
  editing,
  sourceId: preselected,
  onDone,
}: {
  sources: readonly DataSource[];
  editing?: Schedule;
  sourceId?: string;
  onDone: () => void;
}) {
  const toast = useToast();
  const queries = useQueryClient();
  const known = preselected !== undefined && sources.some((s) => s.id === preselected);
  const initial = editing
    ? formState(editing)
    : { ...NEW_SCHEDULE, sourceId: known ? preselected : (sources[0]?.id ?? '') };
  const [sourceId, setSourceId] = useState(initial.sourceId);
  const [name, setName] = useState(initial.name);
  const [preset, setPreset] = useState<CronPreset>(initial.preset);
  const [timeZone, setTimeZone] = useState(initial.timeZone);
  const [retention, setRetention] = useState<ScheduleFormState['retention']>(initial.retention);
  const [verifyWhen, setVerifyWhen] = useState<ScheduleFormState['verifyWhen']>(initial.verifyWhen);
  const [errors, setErrors] = useState<Record<string, string>>(
    preselected !== undefined && !known
      ? { sourceId: 'the data source in the link is not there (any more): choose one' }
      : {},
  );
  const save = useMutation({
    // The call itself, as creating and editing send different bodies to different operations.
    mutationFn: (send: () => Promise<Schedule>) => send(),
    onSuccess: (schedule) => {
      toast.success(`Schedule ${editing ? 'updated' : 'saved'}: ${describeCron(schedule.cron)} (${schedule.timeZone})`);
      void queries.invalidateQueries({ queryKey: ['schedules'] });
      onDone();
    },
    onError: (error) => {
      if (error instanceof ApiError && error.fields) setErrors(serverProblems(error.fields));
      toast.error(`Could not save the schedule: ${errorMessage(error)}`);
    },
  });
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    const state = { sourceId, name, preset, timeZone, retention, verifyWhen };
    const problems = scheduleProblems(state);
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    if (!editing) return save.mutate(() => api.createSchedule({ id: sourceId }, scheduleBody(state)));
    const changes = scheduleChanges(editing, state);
    if (Object.keys(changes).length > 0) return save.mutate(() => api.updateSchedule({ id: editing.id }, changes));
    toast.info('Nothing changed');
    onDone();
  };
  const zones = useMemo(() => (TIME_ZONES.includes('UTC') ? TIME_ZONES : ['UTC', ...TIME_ZONES]), []);
  return (
    <form onSubmit={submit} noValidate className="flex flex-col gap-3">
      <Field
        label="Data source"
        error={errors.sourceId}
        hint={editing ? 'A schedule stays with its source: make a new one for another.' : undefined}
      >
        <select
          className="input"
          value={sourceId}
          disabled={editing !== undefined}
          onChange={(e) => setSourceId(e.target.value)}
        >
          {sources.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Name (optional)" error={errors.name}>
        <input className="input" value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <Field label="Time zone" error={errors.timeZone}>
        <select className="input" value={timeZone} onChange={(e) => setTimeZone(e.target.value)}>
          {zones.map((zone) => (
            <option key={zone} value={zone}>
              {zone}
            </option>
          ))}
        </select>
      </Field>
      <CronBuilder preset={preset} onChange={setPreset} timeZone={timeZone} errors={errors} />
      <fieldset className="grid grid-cols-2 gap-2 sm:grid-cols-4">
        <legend className="mb-1 text-sm font-medium">Keep (grandfather-father-son)</legend>
        {(['keepLast', 'daily', 'weekly', 'monthly'] as const).map((period) => (
          <Field key={period} label={period === 'keepLast' ? 'latest' : period} error={errors[`retention.${period}`]}>
            <input
              className="input"
              type="number"
              min={0}
              value={shown(retention[period])}
              onChange={(e) => setRetention({ ...retention, [period]: e.target.valueAsNumber })}
            />
          </Field>
        ))}
        <label className="col-span-full flex items-start gap-2 text-sm">
          <input
            type="checkbox"
            className="mt-1"
            checked={retention.includeManualBackups}
            onChange={(e) => setRetention({ ...retention, includeManualBackups: e.target.checked })}
          />
          <span>
            Count manual and API backups too
            <span className="block text-xs text-slate-600 dark:text-slate-300">
              Otherwise they are left out of these counts and kept for their own days (30 unless the deployment says
              otherwise).
            </span>
          </span>
        </label>
      </fieldset>
      <Field label="Verify backups" error={errors['verify.when']}>
        <select
          className="input"
          value={verifyWhen}
          onChange={(e) => setVerifyWhen(e.target.value as typeof verifyWhen)}
        >
          <option value="weekly">weekly (the newest backup)</option>
          <option value="afterEachBackup">after each backup</option>
          <option value="never">never</option>
        </select>
      </Field>
      <div className="flex justify-end gap-2">
        <button type="button" className="btn" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          Save schedule
        </button>
      </div>
    </form>
  );
}

const cell = 'block md:table-cell';

function ScheduleRow({ schedule, sources }: { schedule: Schedule; sources: readonly DataSource[] }) {
  const can = useCan();
  const toast = useToast();
  const queries = useQueryClient();
  const [confirm, setConfirm] = useState(false);
  const [editing, setEditing] = useState(false);
  const refresh = () => queries.invalidateQueries({ queryKey: ['schedules'] });
  const toggle = useMutation({
    mutationFn: () =>
      schedule.enabled ? api.pauseSchedule({ id: schedule.id }) : api.resumeSchedule({ id: schedule.id }),
    onSuccess: () => {
      toast.success(schedule.enabled ? 'Schedule paused' : 'Schedule resumed');
      void refresh();
    },
    onError: (error) => toast.error(errorMessage(error)),
  });
  const remove = useMutation({
    mutationFn: () => api.deleteSchedule({ id: schedule.id }),
    onSuccess: () => {
      toast.success('Schedule deleted');
      setConfirm(false);
      void refresh();
    },
    onError: (error) => toast.error(`Could not delete the schedule: ${errorMessage(error)}`),
  });
  const next = schedule.nextRuns[0];
  return (
    <tr className="block border-b border-slate-200 py-2 md:table-row md:py-0 dark:border-slate-800">
      <td className={cell}>
        {sources.find((s) => s.id === schedule.sourceId)?.name ?? schedule.sourceId}
        {schedule.name ? <span className={`block ${secondaryText}`}>{schedule.name}</span> : null}
      </td>
      <td className={cell}>
        <CardLabel>When</CardLabel>
        {describeCron(schedule.cron)}
        <span className={`block ${secondaryText}`}>{schedule.timeZone}</span>
      </td>
      <td className={cell}>
        <CardLabel>Next run</CardLabel>
        {schedule.enabled && next ? <RunTime run={runTimes(new Date(next), schedule.timeZone, browserZone)} /> : '—'}
      </td>
      <td className={`${cell} tabular-nums`}>
        <CardLabel>Keep d / w / m</CardLabel>
        {schedule.retention.daily} / {schedule.retention.weekly} / {schedule.retention.monthly}
        {schedule.retention.keepLast > 0 || schedule.retention.includeManualBackups ? (
          <span className={`block ${secondaryText}`}>
            {[
              schedule.retention.keepLast > 0 && `latest ${schedule.retention.keepLast}`,
              schedule.retention.includeManualBackups && 'manual backups included',
            ]
              .filter(Boolean)
              .join(' · ')}
          </span>
        ) : null}
      </td>
      <td className={cell}>
        <StatusBadge status={schedule.enabled ? 'enabled' : 'paused'} />
      </td>
      <td className={`${cell} pt-2 md:pt-0`}>
        <div className="flex flex-wrap gap-1">
          {can('updateSchedule') ? (
            <button type="button" className="btn" onClick={() => setEditing(true)}>
              Edit
            </button>
          ) : null}
          {can('pauseSchedule') ? (
            <button type="button" className="btn" onClick={() => toggle.mutate()} disabled={toggle.isPending}>
              {schedule.enabled ? 'Pause' : 'Resume'}
            </button>
          ) : null}
          {can('deleteSchedule') ? (
            <button type="button" className="btn" onClick={() => setConfirm(true)}>
              Delete
            </button>
          ) : null}
        </div>
        <Modal
          open={editing}
          onOpenChange={setEditing}
          title="Edit schedule"
          description="Changes apply from the next run; existing backups stay."
        >
          <ScheduleForm sources={sources} editing={schedule} onDone={() => setEditing(false)} />
        </Modal>
        <Modal
          open={confirm}
          onOpenChange={setConfirm}
          title="Delete this schedule?"
          description="Existing backups stay; no new ones are taken on this schedule."
        >
          <div className="flex justify-end gap-2">
            <button type="button" className="btn" onClick={() => setConfirm(false)}>
              Keep it
            </button>
            <button
              type="button"
              className="btn btn-danger"
              onClick={() => remove.mutate()}
              disabled={remove.isPending}
            >
              Delete schedule
            </button>
          </div>
        </Modal>
      </td>
    </tr>
  );
}

/**
 * Every schedule with when it runs next (in its own zone), its retention and state; new ones through the cron
 * builder. `?source=<id>` (the data sources page's "none" link) opens the new-schedule form on that source.
 */
export function Schedules() {
  const can = useCan();
  const [params, setParams] = useSearchParams();
  const linked = params.get('source') ?? undefined;
  const [creating, setCreating] = useState(linked !== undefined);
  const sources = useDataSources();
  const schedules = useSchedules();
  const mayCreate = can('createSchedule');
  const close = (open: boolean) => {
    setCreating(open);
    // Done with the link: a reload or Back should not open the form again.
    if (!open && linked !== undefined) setParams({}, { replace: true });
  };
  return (
    <section className="flex flex-col gap-4">
      <div className="flex items-center justify-between">
        <h1 className="text-2xl font-semibold">Schedules</h1>
        {mayCreate ? (
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => setCreating(true)}
            disabled={!sources.data?.items.length}
          >
            New schedule
          </button>
        ) : null}
      </div>
      <Modal
        open={mayCreate && creating}
        onOpenChange={close}
        title="New schedule"
        description="When a data source is backed up, and how many backups are kept."
      >
        {sources.data ? (
          <ScheduleForm sources={sources.data.items} sourceId={linked} onDone={() => close(false)} />
        ) : sources.isError ? (
          <LoadFailed what="data sources" error={sources.error} />
        ) : (
          <p role="status">Loading data sources…</p>
        )}
      </Modal>
      {schedules.isPending ? (
        <p role="status">Loading schedules…</p>
      ) : schedules.isError ? (
        <LoadFailed what={`schedules`} error={schedules.error} />
      ) : schedules.data.items.length === 0 ? (
        <div className="card">No schedules yet: backups run only when someone starts them.</div>
      ) : (
        <div className="card md:overflow-x-auto">
          <table className="table">
            <thead className="hidden md:table-header-group">
              <tr>
                <th>Source</th>
                <th>When</th>
                <th>Next run</th>
                <th>Keep d / w / m</th>
                <th>State</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {schedules.data.items.map((schedule) => (
                <ScheduleRow key={schedule.id} schedule={schedule} sources={sources.data?.items ?? []} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
