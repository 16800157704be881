import * as z from 'zod';
import { pageOf } from './api.ts';
import { isKnownTimeZone, scheduleCronProblem } from './cron.ts';
import { IdSchema } from './dataSource.ts';

/** A required field's message when it is missing, else `wrongType` (zod's own says "expected string, received…"). */
const requiredOr = (name: string, wrongType: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `${name} is required` : wrongType;

/**
 * Standard 5-field cron (minute hour day-of-month month day-of-week) that EventBridge Scheduler can run: the
 * message says which field is wrong, or that the expression never runs (`0 0 31 2 *`). See types/cron.ts.
 */
export const CronExpressionSchema = z
  .string({ error: requiredOr('cron', 'cron must be a string') })
  .trim()
  .min(1, 'cron is required')
  .max(200, 'cron must be at most 200 characters')
  .superRefine((expression, ctx) => {
    const problem = scheduleCronProblem(expression);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  // One canonical spelling: single spaces between the fields.
  .transform((expression) => expression.split(/\s+/).join(' '));

/** An IANA time zone name this runtime knows (Intl's list) or `UTC`. */
export const TimeZoneSchema = z
  .string({ error: requiredOr('timeZone', 'timeZone must be a string') })
  .refine(isKnownTimeZone, 'timeZone must be an IANA time zone name such as Europe/Berlin, America/New_York or UTC');

const retentionCount = (name: string, max: number) =>
  z
    .number({ error: `retention.${name} must be a number` })
    .int(`retention.${name} must be a whole number`)
    .min(0, `retention.${name} must be between 0 and ${max}`)
    .max(max, `retention.${name} must be between 0 and ${max}`);

/**
 * The default policy (issue 4): 7 daily, 4 weekly, 6 monthly; no `keepLast` beyond the newest, which is always kept;
 * manual and API backups left to their own keep-for days (issue 19).
 */
export const DEFAULT_RETENTION = { daily: 7, weekly: 4, monthly: 6, keepLast: 0, includeManualBackups: false } as const;

const includeManualBackups = z.boolean({ error: 'retention.includeManualBackups must be true or false' });

/**
 * Grandfather-father-son retention the sweeper applies to the schedule's source: keep the last `keepLast` good
 * backups, and the newest of the last `daily` days, `weekly` weeks and `monthly` months (the newest good one is
 * always kept). Only scheduled backups count unless `includeManualBackups`: manual and API backups otherwise stay
 * for MANUAL_BACKUP_KEEP_DAYS (default 30), whatever the schedule's counts (see functions/retention/manual.ts).
 */
export const RetentionSchema = z
  .object(
    {
      daily: retentionCount('daily', 366).default(DEFAULT_RETENTION.daily),
      weekly: retentionCount('weekly', 520).default(DEFAULT_RETENTION.weekly),
      monthly: retentionCount('monthly', 240).default(DEFAULT_RETENTION.monthly),
      keepLast: retentionCount('keepLast', 1000).default(DEFAULT_RETENTION.keepLast),
      includeManualBackups: includeManualBackups.default(DEFAULT_RETENTION.includeManualBackups),
    },
    { error: 'retention must be an object like {"daily": 7, "weekly": 4, "monthly": 6}' },
  )
  .strict();
export type Retention = z.infer<typeof RetentionSchema>;

/**
 * Re-reading this schedule's backups (the Verify machine): after each backup, or weekly (the newest backup,
 * from the daily sweep); `testRestore` also restores it into a scratch database on the same server and
 * compares the table count with the backup's, then drops the scratch database.
 */
export const VerifyPolicySchema = z
  .object(
    {
      when: z
        .enum(['never', 'afterEachBackup', 'weekly'], { error: 'verify.when must be never, afterEachBackup or weekly' })
        .default('never'),
      testRestore: z.boolean({ error: 'verify.testRestore must be true or false' }).default(false),
    },
    { error: 'verify must be an object like {"when": "afterEachBackup", "testRestore": false}' },
  )
  .strict();
export type VerifyPolicy = z.infer<typeof VerifyPolicySchema>;
export const DEFAULT_VERIFY_POLICY: VerifyPolicy = { when: 'never', testRestore: false };

const NameSchema = z
  .string({ error: 'name must be a string' })
  .trim()
  .min(1, 'name must not be empty')
  .max(100, 'name must be at most 100 characters');

/** What is stored for a schedule (and returned, with its next run times). */
export const ScheduleFieldsSchema = z
  .object({
    id: IdSchema,
    sourceId: IdSchema,
    name: NameSchema.optional(),
    cron: CronExpressionSchema,
    timeZone: TimeZoneSchema,
    /** false while paused: the EventBridge schedule is DISABLED and nothing runs. */
    enabled: z.boolean(),
    retention: RetentionSchema,
    /** Absent on schedules stored before verification existed: read as never. */
    verify: VerifyPolicySchema.default({ ...DEFAULT_VERIFY_POLICY }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .strict();

/** A schedule as the API returns it: `nextRuns` holds the next 3 run times (ISO, UTC), empty while paused. */
export const ScheduleSchema = ScheduleFieldsSchema.extend({
  nextRuns: z.array(z.iso.datetime()).max(3),
}).strict();
export type Schedule = z.infer<typeof ScheduleSchema>;

const bodyObject = {
  error: (issue: { input?: unknown }) =>
    issue.input === undefined ? 'a JSON body is required' : 'body must be a JSON object',
};

/** Body of `POST /v1/data-sources/{id}/schedules`; retention counts not sent take their defaults. */
export const CreateScheduleSchema = z
  .object(
    {
      name: NameSchema.optional(),
      cron: CronExpressionSchema,
      timeZone: TimeZoneSchema,
      enabled: z.boolean({ error: 'enabled must be true or false' }).default(true),
      retention: RetentionSchema.default({ ...DEFAULT_RETENTION }),
      verify: VerifyPolicySchema.default({ ...DEFAULT_VERIFY_POLICY }),
    },
    bodyObject,
  )
  .strict();
export type CreateSchedule = z.infer<typeof CreateScheduleSchema>;
export type CreateScheduleInput = z.input<typeof CreateScheduleSchema>;

/**
 * Body of `PATCH /v1/schedules/{id}`: only the fields sent change (no defaults here), `name: null` removes the name,
 * and `retention` counts are merged into the stored ones. Pausing and resuming have their own routes.
 */
export const UpdateScheduleSchema = z
  .object(
    {
      name: NameSchema.nullable(),
      cron: CronExpressionSchema,
      timeZone: TimeZoneSchema,
      retention: z
        .object(
          {
            daily: retentionCount('daily', 366),
            weekly: retentionCount('weekly', 520),
            monthly: retentionCount('monthly', 240),
            keepLast: retentionCount('keepLast', 1000),
            includeManualBackups,
          },
          { error: 'retention must be an object like {"daily": 7}' },
        )
        .partial()
        .strict(),
      verify: z
        .object(
          { when: VerifyPolicySchema.shape.when.unwrap(), testRestore: VerifyPolicySchema.shape.testRestore.unwrap() },
          { error: 'verify must be an object like {"when": "weekly"}' },
        )
        .partial()
        .strict(),
    },
    bodyObject,
  )
  .partial()
  .strict()
  // Only for an otherwise valid body: an unknown field alone is reported as that, not as "nothing to change".
  .refine((body) => Object.keys(body).length > 0, {
    message: 'send at least one field to change',
    when: (payload) => payload.issues.length === 0,
  });
export type UpdateSchedule = z.infer<typeof UpdateScheduleSchema>;
export type UpdateScheduleInput = z.input<typeof UpdateScheduleSchema>;

/** Response of the schedule lists: one page, oldest first. The query is `PageQuerySchema`. */
export const SchedulePageSchema = pageOf(ScheduleSchema);

/** What EventBridge Scheduler hands the Backup state machine when a schedule fires. */
export const ScheduledBackupInputSchema = z
  .object({ dataSourceId: IdSchema, scheduleId: IdSchema, trigger: z.literal('schedule') })
  .strict();
export type ScheduledBackupInput = z.infer<typeof ScheduledBackupInputSchema>;
