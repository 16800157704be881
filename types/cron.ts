/**
 * Standard 5-field cron (`minute hour day-of-month month day-of-week`), pure TypeScript so that the API, local
 * mode's scheduler and the console share one reading of an expression: parsing with readable messages, the next
 * run times in an IANA time zone, and the EventBridge Scheduler `cron(…)` expression that runs the same times.
 *
 * Semantics (Vixie cron / cronie, what Linux runs):
 * - fields: `*`, numbers, names (JAN-DEC, SUN-SAT, any case), ranges `a-b`, steps `*\/n`, `a-b/n` and `a/n`
 *   (a to the field's end), comma lists of those; day-of-week 0 and 7 are both Sunday. No `?`, `L`, `W`, `#`
 *   or `@daily` macros.
 * - day-of-month and day-of-week: when both are restricted (neither starts with `*`), a day matches if EITHER
 *   matches; otherwise both must (so `*` in one of them leaves the other alone).
 *
 * Daylight saving time follows EventBridge Scheduler, which runs the Keepsake schedules in AWS ("Amazon
 * EventBridge Scheduler automatically adjusts your schedule for Daylight Saving Time. When the time shifts forward
 * in Spring, your schedule invocation gets skipped if the cron expression falls on a non-existent date and time.
 * When the time shifts back in the Fall, your schedule runs only once and doesn't repeat its invocation.":
 * https://repost.aws/knowledge-center/eventbridge-scheduler-adjust-dst and the "Daylight saving time" section of
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html). So a local time that does not
 * exist (02:30 in Europe/Berlin on the spring-forward Sunday) is skipped, not moved to 03:30, and a local time
 * that happens twice (02:30 on the fall-back Sunday) runs once, at its first occurrence (the summer-time one: AWS
 * does not say which of the two; the first is what a clock watcher sees first).
 */

export type CronFieldName = 'minute' | 'hour' | 'day-of-month' | 'month' | 'day-of-week';

/** An expression that is not valid cron, or that never runs; `message` is written for the person who typed it. */
export class CronError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CronError';
  }
}

export interface CronField {
  /** The text as written. */
  readonly text: string;
  /** Every value the field allows, ascending (day-of-week normalized to 0-6, Sunday 0). */
  readonly values: readonly number[];
  /** The field starts with `*`: for day-of-month/day-of-week it does not take part in the OR rule. */
  readonly star: boolean;
}

export interface Cron {
  readonly expression: string;
  readonly minute: CronField;
  readonly hour: CronField;
  readonly dayOfMonth: CronField;
  readonly month: CronField;
  readonly dayOfWeek: CronField;
}

interface FieldSpec {
  readonly name: CronFieldName;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** How the range reads in messages. */
  readonly range: string;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59, range: '0-59' },
  { name: 'hour', min: 0, max: 23, range: '0-23' },
  { name: 'day-of-month', min: 1, max: 31, range: '1-31' },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, range: '1-12 or JAN-DEC' },
  { name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES, range: '0-7 or SUN-SAT' },
];

const FIELD_LIST = 'minute hour day-of-month month day-of-week';

function parseValue(token: string, spec: FieldSpec): number {
  if (/^\d+$/.test(token)) {
    const value = Number(token);
    if (value < spec.min || value > spec.max)
      throw new CronError(`${spec.name}: ${token} is out of range ${spec.range}`);
    return value;
  }
  const index = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  if (index >= 0) return spec.name === 'month' ? index + 1 : index;
  const expected = spec.names ? `a number or a name (${spec.range})` : `a number (${spec.range})`;
  throw new CronError(`${spec.name}: "${token}" is not ${expected}`);
}

function parseField(text: string, spec: FieldSpec): CronField {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw new CronError(`${spec.name}: "${text}" has an empty list item`);
    if (item.includes('?')) throw new CronError(`${spec.name}: "?" is not standard cron; use *`);
    const [base = '', stepText, ...extra] = item.split('/');
    if (extra.length > 0) throw new CronError(`${spec.name}: "${item}" has more than one /`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
        throw new CronError(`${spec.name}: step "${stepText}" in "${item}" must be a whole number of at least 1`);
      }
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (base === '*') {
      from = spec.min;
      to = spec.name === 'day-of-week' ? 6 : spec.max;
    } else if (base.includes('-')) {
      const [low = '', high = '', ...rest] = base.split('-');
      if (rest.length > 0 || low === '' || high === '')
        throw new CronError(`${spec.name}: "${base}" is not a range like 1-5`);
      from = parseValue(low, spec);
      to = parseValue(high, spec);
      if (from > to) throw new CronError(`${spec.name}: range ${base} runs backwards; write the low end first`);
    } else if (base === '') {
      throw new CronError(`${spec.name}: "${item}" needs a value or * before the /`);
    } else {
      from = parseValue(base, spec);
      // `a/n` means from a to the end of the field, as in EventBridge and most crons.
      to = stepText === undefined ? from : spec.name === 'day-of-week' ? 6 : spec.max;
    }
    for (let value = from; value <= to; value += step) values.add(spec.name === 'day-of-week' ? value % 7 : value);
  }
  return { text, values: [...values].sort((a, b) => a - b), star: text.startsWith('*') };
}

/** Days in a month of any year (February counts its leap day: it exists in some years). */
const MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** Both day fields restricted: standard cron runs when either matches. */
const dayFieldsOr = (cron: Cron): boolean => !cron.dayOfMonth.star && !cron.dayOfWeek.star;

/**
 * Parses and validates an expression; throws `CronError` with a message naming the field and the problem, and
 * refuses expressions that can never run (`0 0 31 2 *`, `0 0 30 2 *`).
 */
export function parseCron(expression: string): Cron {
  const parts = expression
    .trim()
    .split(/\s+/)
    .filter((part) => part !== '');
  if (parts.length !== 5) {
    const hint = parts.length === 6 ? ' (seconds and year fields are not supported)' : '';
    throw new CronError(`cron must have 5 fields (${FIELD_LIST}), got ${parts.length}${hint}`);
  }
  const [minute, hour, dayOfMonth, month, dayOfWeek] = parts.map((part, i) =>
    parseField(part, FIELDS[i] as FieldSpec),
  ) as [CronField, CronField, CronField, CronField, CronField];
  const cron: Cron = { expression: parts.join(' '), minute, hour, dayOfMonth, month, dayOfWeek };
  // With the OR rule the day-of-week alone finds days in every month; otherwise some month must have the day.
  const someDay =
    dayFieldsOr(cron) || month.values.some((m) => dayOfMonth.values.some((d) => d <= (MAX_DAYS[m - 1] ?? 0)));
  if (!someDay) {
    throw new CronError(`cron never runs: day-of-month ${dayOfMonth.text} does not occur in month ${month.text}`);
  }
  return cron;
}

/** The message `parseCron` would throw, or undefined for a valid expression (for schema refinements). */
export function cronProblem(expression: string): string | undefined {
  try {
    parseCron(expression);
    return undefined;
  } catch (error) {
    if (error instanceof CronError) return error.message;
    throw error;
  }
}

function dayMatches(cron: Cron, year: number, month: number, day: number): boolean {
  const inMonth = cron.dayOfMonth.values.includes(day);
  const inWeek = cron.dayOfWeek.values.includes(new Date(Date.UTC(year, month - 1, day)).getUTCDay());
  return dayFieldsOr(cron) ? inMonth || inWeek : inMonth && inWeek;
}

// ---- time zones ---------------------------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall-clock time at `instant` in `timeZone`, as milliseconds of a UTC date with the same fields. */
function wallClock(instant: number, timeZone: string): number {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const f = (name: string) => fields[name] ?? 0;
  return Date.UTC(f('year'), f('month') - 1, f('day'), f('hour'), f('minute'), f('second'));
}

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * The first instant whose wall clock in `timeZone` reads `local` (a UTC-fields timestamp), or undefined when the
 * clock skips it (spring forward). Offsets a day either side cover every transition near it.
 */
function firstInstantOf(local: number, timeZone: string): number | undefined {
  const candidates = new Set<number>();
  for (const probe of [local - DAY, local, local + DAY]) {
    const offset = wallClock(Math.floor(probe / 1000) * 1000, timeZone) - Math.floor(probe / 1000) * 1000;
    candidates.add(local - offset);
  }
  const matches = [...candidates].filter((instant) => wallClock(instant, timeZone) === local).sort((a, b) => a - b);
  return matches[0];
}

/** `Area/Location` names with capitalized parts, as IANA spells them (`America/Argentina/Buenos_Aires`, `Etc/GMT+5`). */
const IANA_NAME = /^(?:[A-Z][A-Za-z_-]*\/)+[A-Z][A-Za-z0-9_+-]*$/;

let zones: Set<string> | undefined;

/** The IANA names this runtime lists (`Intl.supportedValuesOf`) plus `UTC`, which that list leaves out. */
export function knownTimeZones(): ReadonlySet<string> {
  zones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);
  return zones;
}

/**
 * Whether schedules accept `timeZone`: a name in `knownTimeZones()`, or an IANA-spelled alias the runtime resolves.
 * The alias rule matters because ICU lists some zones under their old names only (Node 20 lists `Asia/Calcutta`
 * and `Europe/Kiev`, not `Asia/Kolkata` and `Europe/Kyiv`, which are what people pick).
 */
export function isKnownTimeZone(timeZone: string): boolean {
  if (knownTimeZones().has(timeZone)) return true;
  if (!IANA_NAME.test(timeZone)) return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** How far `nextRuns` looks ahead: Feb 29 on a given weekday can be 28+ years away. */
const SEARCH_YEARS = 40;

/**
 * The next `count` run times strictly after `after`, as Dates, for a schedule evaluated in `timeZone` with
 * EventBridge Scheduler's daylight-saving rules (skipped local times do not run, repeated ones run once).
 */
export function nextRuns(cron: Cron | string, timeZone: string, after: Date, count = 3): Date[] {
  const parsed = typeof cron === 'string' ? parseCron(cron) : cron;
  const runs: Date[] = [];
  if (count <= 0) return runs;
  const afterMs = after.getTime();
  const start = new Date(wallClock(Math.floor(afterMs / MINUTE) * MINUTE, timeZone));
  const startMinute = start.getTime();
  let year = start.getUTCFullYear();
  let month = start.getUTCMonth() + 1;
  let day = start.getUTCDate();
  const lastYear = year + SEARCH_YEARS;
  while (year <= lastYear) {
    if (!parsed.month.values.includes(month)) {
      day = 1;
      month += 1;
    } else {
      if (dayMatches(parsed, year, month, day)) {
        for (const hour of parsed.hour.values) {
          for (const minute of parsed.minute.values) {
            const local = Date.UTC(year, month - 1, day, hour, minute);
            // Earlier wall-clock times of the first day have already run (or never will, under "runs once").
            if (local < startMinute) continue;
            const instant = firstInstantOf(local, timeZone);
            if (instant === undefined || instant <= afterMs) continue;
            runs.push(new Date(instant));
            if (runs.length === count) return runs;
          }
        }
      }
      day += 1;
      if (day > daysIn(year, month)) {
        day = 1;
        month += 1;
      }
    }
    if (month > 12) {
      month = 1;
      year += 1;
    }
  }
  return runs;
}

// ---- EventBridge Scheduler ----------------------------------------------------------------------------------

/** Runs of consecutive values as `a-b`, singles as `a`; `a/n` when the values step evenly to the field's end. */
function fieldExpression(values: readonly number[], min: number, max: number, steps: boolean): string {
  if (values.length === max - min + 1) return '*';
  const [first = min, second = min] = values;
  if (steps && values.length >= 3) {
    const step = second - first;
    const even = step > 1 && values.every((value, i) => value === first + i * step);
    if (even && (values.at(-1) ?? 0) + step > max) return `${first}/${step}`;
  }
  const parts: string[] = [];
  for (let i = 0; i < values.length;) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === (values[j] ?? 0) + 1) j += 1;
    parts.push(j > i ? `${values[i]}-${values[j]}` : `${values[i]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * The EventBridge Scheduler expression that runs at the same times: `cron(min hour dom month dow year)`, with `?`
 * in the day field that does not restrict and day-of-week renumbered 1-7 (SUN-SAT). Throws `CronError` when both
 * day fields restrict, which EventBridge cannot express (it has no OR of the two, nor an AND).
 */
export function toEventBridgeCron(cron: Cron | string): string {
  const parsed = typeof cron === 'string' ? parseCron(cron) : cron;
  const allMonthDays = parsed.dayOfMonth.values.length === 31;
  const allWeekDays = parsed.dayOfWeek.values.length === 7;
  let dom: string;
  let dow: string;
  if (allMonthDays && allWeekDays) {
    [dom, dow] = ['*', '?'];
  } else if (dayFieldsOr(parsed)) {
    // Either field matching every day makes every day match.
    if (!allMonthDays && !allWeekDays) {
      throw new CronError(
        `EventBridge Scheduler cannot run on "day-of-month ${parsed.dayOfMonth.text} or day-of-week ${parsed.dayOfWeek.text}": ` +
          'restrict only one of them and put * in the other (or create two schedules)',
      );
    }
    [dom, dow] = ['*', '?'];
  } else if (allMonthDays) {
    [dom, dow] = [
      '?',
      fieldExpression(
        parsed.dayOfWeek.values.map((d) => d + 1),
        1,
        7,
        false,
      ),
    ];
  } else if (allWeekDays) {
    [dom, dow] = [fieldExpression(parsed.dayOfMonth.values, 1, 31, true), '?'];
  } else {
    throw new CronError(
      `EventBridge Scheduler cannot restrict both day-of-month (${parsed.dayOfMonth.text}) and day-of-week (${parsed.dayOfWeek.text}): put * in one of them`,
    );
  }
  // Non-adjacent values are at most 30 minutes, 12 hours, 16 days and 6 months: always within Scheduler's 256.
  return `cron(${[
    fieldExpression(parsed.minute.values, 0, 59, true),
    fieldExpression(parsed.hour.values, 0, 23, true),
    dom,
    fieldExpression(parsed.month.values, 1, 12, true),
    dow,
    '*',
  ].join(' ')})`;
}

/** Parses, checks that EventBridge Scheduler can run it, and returns the first problem as a message, or undefined. */
export function scheduleCronProblem(expression: string): string | undefined {
  try {
    toEventBridgeCron(parseCron(expression));
    return undefined;
  } catch (error) {
    if (error instanceof CronError) return error.message;
    throw error;
  }
}

/** Runs looked ahead to find a schedule's interval: enough to see a weekday-only cron's weekend gap. */
const LOOKAHEAD_RUNS = 8;

/**
 * The longest gap between a schedule's coming runs: "2× its interval" of a weekday-only or monthly schedule
 * must not call a Monday morning or the 3rd of the month stale (the freshness alarm and the console both use it).
 */
export function intervalMs(schedule: { readonly cron: string; readonly timeZone: string }, now: Date): number {
  const runs = nextRuns(schedule.cron, schedule.timeZone, now, LOOKAHEAD_RUNS);
  let longest = 0;
  for (let i = 1; i < runs.length; i++)
    longest = Math.max(longest, (runs[i]?.getTime() ?? 0) - (runs[i - 1]?.getTime() ?? 0));
  return longest;
}
