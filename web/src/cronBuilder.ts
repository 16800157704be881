import { nextRuns } from '../../types/cron.ts';
import { CronExpressionSchema } from '../../types/schedule.ts';

/**
 * The schedules people ask for, as the builder's presets; anything else is written as raw cron. A cleared input
 * holds NaN, so the builder can say what is missing instead of reading it as 0.
 */
export type CronPreset =
  | { readonly kind: 'hourly'; readonly minute: number }
  | { readonly kind: 'daily'; readonly hour: number; readonly minute: number }
  | { readonly kind: 'weekly'; readonly days: readonly number[]; readonly hour: number; readonly minute: number }
  | { readonly kind: 'monthly'; readonly day: number; readonly hour: number; readonly minute: number }
  | { readonly kind: 'raw'; readonly expression: string };

export const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** The 5-field cron a preset stands for (minute hour day-of-month month day-of-week); check `presetProblems` first. */
export function toCron(preset: CronPreset): string {
  switch (preset.kind) {
    case 'hourly':
      return `${preset.minute} * * * *`;
    case 'daily':
      return `${preset.minute} ${preset.hour} * * *`;
    case 'weekly':
      return `${preset.minute} ${preset.hour} * * ${[...preset.days].sort((a, b) => a - b).join(',')}`;
    case 'monthly':
      return `${preset.minute} ${preset.hour} ${preset.day} * *`;
    case 'raw':
      return preset.expression.trim();
  }
}

const whole = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;

/**
 * What is wrong with the builder's choice, by its control (`minute`, `days`, `day`, `time`; `cron` for raw cron,
 * with the API's message). Empty when it makes a schedule that runs. A weekly schedule with no day ticked is an
 * error here: it used to be sent as every day.
 */
export function presetProblems(preset: CronPreset): Record<string, string> {
  const problems: Record<string, string> = {};
  if (preset.kind === 'raw') {
    const checked = CronExpressionSchema.safeParse(preset.expression);
    if (!checked.success) problems.cron = checked.error.issues[0]?.message ?? 'invalid cron expression';
    return problems;
  }
  if (preset.kind === 'hourly') {
    if (!whole(preset.minute, 0, 59)) problems.minute = 'minute past the hour must be a whole number from 0 to 59';
    return problems;
  }
  if (preset.kind === 'weekly' && preset.days.length === 0) problems.days = 'tick at least one day of the week';
  if (preset.kind === 'monthly' && !whole(preset.day, 1, 31))
    problems.day = 'day of the month must be a whole number from 1 to 31';
  if (!whole(preset.hour, 0, 23) || !whole(preset.minute, 0, 59)) problems.time = 'choose a time of day (HH:MM)';
  return problems;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The time input's value for a preset with a time of day; empty when none is chosen. */
export function timeOf(preset: CronPreset): string {
  if (!('hour' in preset)) return '02:00';
  return whole(preset.hour, 0, 23) && whole(preset.minute, 0, 59) ? `${pad(preset.hour)}:${pad(preset.minute)}` : '';
}

/** The preset at the time input's `HH:MM`; a cleared input leaves no time (NaN), which `presetProblems` names. */
export function withTime(preset: CronPreset, time: string): CronPreset {
  if (!('hour' in preset)) return preset;
  const match = /^(\d{2}):(\d{2})/.exec(time);
  return { ...preset, hour: match ? Number(match[1]) : NaN, minute: match ? Number(match[2]) : NaN };
}

const NUMBER = /^\d{1,2}$/;
const inRange = (text: string, min: number, max: number) =>
  NUMBER.test(text) && Number(text) >= min && Number(text) <= max;

/** The preset a stored cron matches, so editing opens on the builder a person used; otherwise raw. */
export function fromCron(expression: string): CronPreset {
  const fields = expression.trim().split(/\s+/);
  const [minute = '', hour = '', dom = '', month = '', dow = ''] = fields;
  const raw: CronPreset = { kind: 'raw', expression: expression.trim() };
  if (fields.length !== 5 || month !== '*' || !inRange(minute, 0, 59)) return raw;
  const m = Number(minute);
  if (hour === '*' && dom === '*' && dow === '*') return { kind: 'hourly', minute: m };
  if (!inRange(hour, 0, 23)) return raw;
  const h = Number(hour);
  if (dom === '*' && dow === '*') return { kind: 'daily', hour: h, minute: m };
  if (dom === '*' && /^[0-6](,[0-6])*$/.test(dow))
    return { kind: 'weekly', days: [...new Set(dow.split(',').map(Number))].sort((a, b) => a - b), hour: h, minute: m };
  if (dow === '*' && inRange(dom, 1, 31)) return { kind: 'monthly', day: Number(dom), hour: h, minute: m };
  return raw;
}

/** A preset in words, for the schedules table. */
export function describeCron(expression: string): string {
  const preset = fromCron(expression);
  const at = 'hour' in preset ? `at ${pad(preset.hour)}:${pad(preset.minute)}` : '';
  switch (preset.kind) {
    case 'hourly':
      return `hourly at :${pad(preset.minute)}`;
    case 'daily':
      return `daily ${at}`;
    case 'weekly':
      return `weekly on ${preset.days.map((d) => WEEKDAYS[d]).join(', ')} ${at}`;
    case 'monthly':
      return `monthly on day ${preset.day} ${at}`;
    case 'raw':
      return `cron ${preset.expression}`;
  }
}

/**
 * A run time as the wall clock of `timeZone` reads it, labelled with the zone's name: "Mon 8 Dec 02:00
 * Europe/Berlin" (the year only when it is not this year there). The zone name rather than "CET" or "GMT+1":
 * it is what the schedule was written in and what EventBridge Scheduler follows.
 */
export function formatRun(run: Date, timeZone: string, now: Date = new Date()): string {
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const parts = (at: Date) =>
    Object.fromEntries(format.formatToParts(at).map((part) => [part.type, part.value])) as Record<string, string>;
  const p = parts(run);
  const year = p.year === parts(now).year ? '' : ` ${p.year}`;
  return `${p.weekday} ${p.day} ${p.month}${year} ${p.hour}:${p.minute} ${timeZone}`;
}

/**
 * A schedule's run for the page: in its own zone, and also in the browser's zone when the clock there reads
 * differently (a schedule in the viewer's own zone, or one at the same offset, shows once).
 */
export function runTimes(
  run: Date,
  timeZone: string,
  browserZone: string,
  now: Date = new Date(),
): { inZone: string; local?: string } {
  const inZone = formatRun(run, timeZone, now);
  const local = formatRun(run, browserZone, now);
  return inZone.slice(0, -timeZone.length) === local.slice(0, -browserZone.length) ? { inZone } : { inZone, local };
}

/** What the form shows under the builder: what is wrong with the choice, or its next runs as `runTimes` gives them. */
export function preview(
  preset: CronPreset,
  timeZone: string,
  browserZone: string,
  now: Date = new Date(),
): { problem: string } | { runs: { inZone: string; local?: string }[] } {
  const problem = Object.values(presetProblems(preset))[0];
  if (problem) return { problem };
  return {
    runs: nextRuns(toCron(preset), timeZone, now, 3).map((run) => runTimes(run, timeZone, browserZone, now)),
  };
}
