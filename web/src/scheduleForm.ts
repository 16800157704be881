import {
  CreateScheduleSchema,
  type CreateScheduleInput,
  type Retention,
  type Schedule,
  type UpdateScheduleInput,
} from '../../types/schedule.ts';
import { fieldErrors } from '../../types/zodMessages.ts';
import { fromCron, presetProblems, toCron, type CronPreset } from './cronBuilder.ts';

/** What the schedule form holds: the chosen source, and the parts the body is built from. */
export interface ScheduleFormState {
  readonly sourceId: string;
  readonly name: string;
  readonly preset: CronPreset;
  readonly timeZone: string;
  readonly retention: Retention;
  readonly verifyWhen: 'never' | 'afterEachBackup' | 'weekly';
}

/** The form opened on an existing schedule: the builder on the preset its cron matches (raw cron otherwise). */
export function formState(schedule: Schedule): ScheduleFormState {
  return {
    sourceId: schedule.sourceId,
    name: schedule.name ?? '',
    preset: fromCron(schedule.cron),
    timeZone: schedule.timeZone,
    retention: { ...schedule.retention },
    verifyWhen: schedule.verify.when,
  };
}

/** The body of `POST /v1/data-sources/{id}/schedules`: a blank name is left out, the builder's choice becomes cron. */
export function scheduleBody(state: ScheduleFormState): CreateScheduleInput {
  const name = state.name.trim();
  return {
    ...(name && { name }),
    cron: toCron(state.preset),
    timeZone: state.timeZone,
    retention: { ...state.retention },
    verify: { when: state.verifyWhen, testRestore: false },
  };
}

const spaced = (cron: string) => cron.trim().split(/\s+/).join(' ');

/**
 * The body of `PATCH /v1/schedules/{id}`: only what the form changed (so the audit event names just that), a
 * blanked name as `null`, and only the retention counts that differ. Empty when nothing changed.
 */
export function scheduleChanges(schedule: Schedule, state: ScheduleFormState): UpdateScheduleInput {
  const body = scheduleBody(state);
  const retention = Object.fromEntries(
    Object.entries(state.retention).filter(([key, value]) => schedule.retention[key as keyof Retention] !== value),
  );
  return {
    ...((body.name ?? null) !== (schedule.name ?? null) && { name: body.name ?? null }),
    ...(spaced(body.cron) !== schedule.cron && { cron: body.cron }),
    ...(state.timeZone !== schedule.timeZone && { timeZone: state.timeZone }),
    ...(Object.keys(retention).length > 0 && { retention }),
    ...(state.verifyWhen !== schedule.verify.when && { verify: { when: state.verifyWhen } }),
  };
}

/**
 * The form's problems before anything is sent, by field: the builder's own (`days`, `time`…: a weekly schedule
 * needs a day), the API's schema over the body (its messages, its paths: `cron`, `retention.daily`…) and a source
 * to schedule. Empty when the body may be sent.
 */
export function scheduleProblems(state: ScheduleFormState): Record<string, string> {
  const builder = presetProblems(state.preset);
  const checked = CreateScheduleSchema.safeParse(scheduleBody(state));
  const { cron, ...others } = checked.success ? {} : fieldErrors(checked.error);
  return {
    ...others,
    // The builder's message names the control; the schema's would only say the cron it made is wrong.
    ...(Object.keys(builder).length > 0 ? builder : cron && { cron }),
    ...(state.sourceId ? {} : { sourceId: 'choose a data source' }),
  };
}

/** The API's per-field answer in the form's terms: the route's `{id}` is the source picked in the form. */
export function serverProblems(fields: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields ?? {}).map(([path, message]) => [path === 'id' ? 'sourceId' : path, message]),
  );
}
