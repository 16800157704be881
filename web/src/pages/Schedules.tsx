import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import type { DataSource } from '../../../types/dataSource.ts';
import { DEFAULT_RETENTION, type Schedule } from '../../../types/schedule.ts';
import { api, ApiError, errorMessage } from '../api.ts';
import { describeCron, preview, toCron, WEEKDAYS, type CronPreset } from '../cronBuilder.ts';
import { Field } from '../components/Field.tsx';
import { Modal } from '../components/Modal.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { useToast } from '../components/Toasts.tsx';
import { formatTime } from '../format.ts';
import { useCan } from '../permissions.tsx';
import { useDataSources, useSchedules } from '../queries.ts';
import { scheduleBody, scheduleProblems, serverProblems, type ScheduleFormState } from '../scheduleForm.ts';
import { LoadFailed } from '../components/LoadFailed.tsx';

const TIME_ZONES: readonly string[] = Intl.supportedValuesOf('timeZone');
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

function timeOf(preset: CronPreset): string {
  return 'hour' in preset
    ? `${String(preset.hour).padStart(2, '0')}:${String(preset.minute).padStart(2, '0')}`
    : '02:00';
}

function withTime(preset: CronPreset, time: string): CronPreset {
  const [hour = 0, minute = 0] = time.split(':').map(Number);
  return 'hour' in preset ? { ...preset, hour, minute } : preset;
}

/** The builder: a preset (hourly, daily at, weekly on, monthly on) or raw cron, with the next 3 runs before saving. */
function CronBuilder({
  preset,
  onChange,
  timeZone,
}: {
  preset: CronPreset;
  onChange: (p: CronPreset) => void;
  timeZone: string;
}) {
  const shown = preview(toCron(preset), timeZone);
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
        <Field label="Minute past the hour">
          <input
            className="input"
            type="number"
            min={0}
            max={59}
            value={preset.minute}
            onChange={(e) => onChange({ ...preset, minute: Number(e.target.value) })}
          />
        </Field>
      ) : null}
      {preset.kind === 'weekly' ? (
        <fieldset className="flex flex-wrap gap-2 text-sm">
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
        </fieldset>
      ) : null}
      {preset.kind === 'monthly' ? (
        <Field label="Day of the month">
          <input
            className="input"
            type="number"
            min={1}
            max={31}
            value={preset.day}
            onChange={(e) => onChange({ ...preset, day: Number(e.target.value) })}
          />
        </Field>
      ) : null}
      {'hour' in preset ? (
        <Field label="At (time of day)">
          <input
            className="input"
            type="time"
            value={timeOf(preset)}
            onChange={(e) => onChange(withTime(preset, e.target.value))}
          />
        </Field>
      ) : null}
      {preset.kind === 'raw' ? (
        <Field label="Cron expression" hint="minute hour day-of-month month day-of-week">
          <input
            className="input font-mono"
            value={preset.expression}
            onChange={(e) => onChange({ kind: 'raw', expression: e.target.value })}
          />
        </Field>
      ) : null}
      <div className="rounded-md bg-slate-100 p-3 text-sm dark:bg-slate-800" aria-live="polite">
        <p className="font-medium">
          <code>{toCron(preset)}</code> in {timeZone}
        </p>
        {'problem' in shown ? (
          <p className="text-red-700 dark:text-red-400">{shown.problem}</p>
        ) : (
          <ol aria-label="Next runs" className="mt-1 list-decimal pl-5">
            {shown.runs.map((run) => (
              <li key={run}>{run}</li>
            ))}
          </ol>
        )}
      </div>
    </div>
  );
}

function ScheduleForm({ sources, onDone }: { sources: readonly DataSource[]; onDone: () => void }) {
  const toast = useToast();
  const queries = useQueryClient();
  const [sourceId, setSourceId] = useState(sources[0]?.id ?? '');
  const [name, setName] = useState('');
  const [preset, setPreset] = useState<CronPreset>({ kind: 'daily', hour: 2, minute: 0 });
  const [timeZone, setTimeZone] = useState(browserZone);
  const [retention, setRetention] = useState<ScheduleFormState['retention']>({ ...DEFAULT_RETENTION });
  const [verifyWhen, setVerifyWhen] = useState<ScheduleFormState['verifyWhen']>('weekly');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const create = useMutation({
    mutationFn: (body: unknown) => api.post<Schedule>(`/v1/data-sources/${sourceId}/schedules`, body),
    onSuccess: (schedule) => {
      toast.success(`Schedule saved: ${describeCron(schedule.cron)} (${schedule.timeZone})`);
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
    if (Object.keys(problems).length === 0) create.mutate(scheduleBody(state));
  };
  const zones = useMemo(() => (TIME_ZONES.includes('UTC') ? TIME_ZONES : ['UTC', ...TIME_ZONES]), []);
  return (
    <form onSubmit={submit} noValidate className="flex flex-col gap-3">
      <Field label="Data source" error={errors.sourceId}>
        <select className="input" value={sourceId} onChange={(e) => setSourceId(e.target.value)}>
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
      <CronBuilder preset={preset} onChange={setPreset} timeZone={timeZone} />
      {errors.cron ? <p className="text-xs text-red-700 dark:text-red-400">{errors.cron}</p> : null}
      <fieldset className="grid grid-cols-2 gap-2 sm:grid-cols-4">
        <legend className="mb-1 text-sm font-medium">Keep (grandfather-father-son)</legend>
        {(['keepLast', 'daily', 'weekly', 'monthly'] as const).map((period) => (
          <Field key={period} label={period === 'keepLast' ? 'latest' : period} error={errors[`retention.${period}`]}>
            <input
              className="input"
              type="number"
              min={0}
              value={retention[period]}
              onChange={(e) => setRetention({ ...retention, [period]: Number(e.target.value) })}
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
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          Save schedule
        </button>
      </div>
    </form>
  );
}

function ScheduleRow({ schedule, sourceName }: { schedule: Schedule; sourceName: string }) {
  const can = useCan();
  const toast = useToast();
  const queries = useQueryClient();
  const [confirm, setConfirm] = useState(false);
  const refresh = () => queries.invalidateQueries({ queryKey: ['schedules'] });
  const toggle = useMutation({
    mutationFn: () => api.post(`/v1/schedules/${schedule.id}/${schedule.enabled ? 'pause' : 'resume'}`),
    onSuccess: () => {
      toast.success(schedule.enabled ? 'Schedule paused' : 'Schedule resumed');
      void refresh();
    },
    onError: (error) => toast.error(errorMessage(error)),
  });
  const remove = useMutation({
    mutationFn: () => api.delete(`/v1/schedules/${schedule.id}`),
    onSuccess: () => {
      toast.success('Schedule deleted');
      setConfirm(false);
      void refresh();
    },
    onError: (error) => toast.error(`Could not delete the schedule: ${errorMessage(error)}`),
  });
  return (
    <tr>
      <td>
        {sourceName}
        {schedule.name ? <span className="block text-xs text-slate-500">{schedule.name}</span> : null}
      </td>
      <td>
        {describeCron(schedule.cron)}
        <span className="block text-xs text-slate-500">{schedule.timeZone}</span>
      </td>
      <td>{schedule.enabled ? formatTime(schedule.nextRuns[0]) : '—'}</td>
      <td className="tabular-nums">
        {schedule.retention.daily} / {schedule.retention.weekly} / {schedule.retention.monthly}
        {schedule.retention.keepLast > 0 || schedule.retention.includeManualBackups ? (
          <span className="block text-xs text-slate-600 dark:text-slate-300">
            {[
              schedule.retention.keepLast > 0 && `latest ${schedule.retention.keepLast}`,
              schedule.retention.includeManualBackups && 'manual backups included',
            ]
              .filter(Boolean)
              .join(' · ')}
          </span>
        ) : null}
      </td>
      <td>
        <StatusBadge status={schedule.enabled ? 'enabled' : 'paused'} />
      </td>
      <td>
        <div className="flex flex-wrap gap-1">
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

/** Every schedule with when it runs next, its retention and state; new ones through the cron builder. */
export function Schedules() {
  const can = useCan();
  const [creating, setCreating] = useState(false);
  const sources = useDataSources();
  const schedules = useSchedules();
  const nameOf = (id: string) => sources.data?.items.find((s) => s.id === id)?.name ?? id;
  return (
    <section className="flex flex-col gap-4">
      <div className="flex items-center justify-between">
        <h1 className="text-2xl font-semibold">Schedules</h1>
        {can('createSchedule') ? (
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
        open={creating}
        onOpenChange={setCreating}
        title="New schedule"
        description="When a data source is backed up, and how many backups are kept."
      >
        <ScheduleForm sources={sources.data?.items ?? []} onDone={() => setCreating(false)} />
      </Modal>
      {schedules.isPending ? (
        <p role="status">Loading schedules…</p>
      ) : schedules.isError ? (
        <LoadFailed what={`schedules`} error={schedules.error} />
      ) : schedules.data.items.length === 0 ? (
        <div className="card">No schedules yet: backups run only when someone starts them.</div>
      ) : (
        <div className="card overflow-x-auto">
          <table className="table">
            <thead>
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
                <ScheduleRow key={schedule.id} schedule={schedule} sourceName={nameOf(schedule.sourceId)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
