import { nextRuns } from '../../types/cron.ts';
import { CronExpressionSchema } from '../../types/schedule.ts';

/** The schedules people ask for, as the builder's presets; anything else is written as raw cron. */
export type CronPreset =
  | { readonly kind: 'hourly'; readonly minute: number }
  | { readonly kind: 'daily'; readonly hour: number; readonly minute: number }
  | { readonly kind: 'weekly'; readonly days: readonly number[]; readonly hour: number; readonly minute: number }
  | { readonly kind: 'monthly'; readonly day: number; readonly hour: number; readonly minute: number }
  | { readonly kind: 'raw'; readonly expression: string };

export const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** The 5-field cron a preset stands for (minute hour day-of-month month day-of-week). */
export function toCron(preset: CronPreset): string {
  switch (preset.kind) {
    case 'hourly':
      return `${preset.minute} * * * *`;
    case 'daily':
      return `${preset.minute} ${preset.hour} * * *`;
    case 'weekly':
      return `${preset.minute} ${preset.hour} * * ${[...preset.days].sort((a, b) => a - b).join(',') || '*'}`;
    case 'monthly':
      return `${preset.minute} ${preset.hour} ${preset.day} * *`;
    case 'raw':
      return preset.expression.trim();
  }
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

const pad = (n: number) => String(n).padStart(2, '0');

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

/** What the form shows under the builder: the problem with the expression, or its next runs in the time zone. */
export function preview(
  expression: string,
  timeZone: string,
  now: Date = new Date(),
): { problem: string } | { runs: string[] } {
  const checked = CronExpressionSchema.safeParse(expression);
  if (!checked.success) return { problem: checked.error.issues[0]?.message ?? 'invalid cron expression' };
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  });
  return { runs: nextRuns(expression, timeZone, now, 3).map((run) => format.format(run)) };
}
