import { CreateScheduleSchema, type CreateScheduleInput, type Retention } from '../../types/schedule.ts';
import { fieldErrors } from '../../types/zodMessages.ts';
import { toCron, type CronPreset } from './cronBuilder.ts';

/** What the schedule form holds: the chosen source, and the parts the body is built from. */
export interface ScheduleFormState {
  readonly sourceId: string;
  readonly name: string;
  readonly preset: CronPreset;
  readonly timeZone: string;
  readonly retention: Retention;
  readonly verifyWhen: 'never' | 'afterEachBackup' | 'weekly';
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

/**
 * The form's problems before anything is sent, by field: the API's own schema over the body (its messages, its
 * paths: `cron`, `retention.daily`…) and a source to schedule. Empty when the body may be sent.
 */
export function scheduleProblems(state: ScheduleFormState): Record<string, string> {
  const checked = CreateScheduleSchema.safeParse(scheduleBody(state));
  return {
    ...(checked.success ? {} : fieldErrors(checked.error)),
    ...(state.sourceId ? {} : { sourceId: 'choose a data source' }),
  };
}

/** The API's per-field answer in the form's terms: the route's `{id}` is the source picked in the form. */
export function serverProblems(fields: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields ?? {}).map(([path, message]) => [path === 'id' ? 'sourceId' : path, message]),
  );
}
