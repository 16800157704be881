import type * as z from 'zod';
import {
  DEFAULT_MANUAL_BACKUP_KEEP_DAYS,
  DEFAULT_TRASH_GRACE_DAYS,
  ManualBackupKeepDaysSchema,
  TrashGraceDaysSchema,
} from '../../types/retention.ts';
import { DEFAULT_RETENTION, RetentionSchema, type Retention } from '../../types/schedule.ts';

/** The part of a zod error worth a cold-start message. */
const firstIssue = (error: { issues: readonly { message: string }[] }) => error.issues[0]?.message ?? 'invalid';

/**
 * `DEFAULT_RETENTION` (JSON like `{"daily":7,"weekly":4,"monthly":6}`, counts left out take their defaults): the
 * policy of sources without schedules. Absent → DEFAULT_RETENTION; malformed → throws, so the function fails at
 * cold start rather than thinning backups by a policy nobody chose.
 */
export function defaultRetentionFromEnv(env: NodeJS.ProcessEnv = process.env): Retention {
  const raw = env.DEFAULT_RETENTION;
  if (raw === undefined || raw.trim() === '') return { ...DEFAULT_RETENTION };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(
      `environment variable DEFAULT_RETENTION must be JSON like {"daily":7,"weekly":4,"monthly":6}, got ${raw}`,
    );
  }
  const parsed = RetentionSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(`environment variable DEFAULT_RETENTION is invalid: ${firstIssue(parsed.error)}`);
  return parsed.data;
}

/** A number of days from `env[name]`: absent → `fallback`; malformed → throws at cold start. */
function daysFromEnv(env: NodeJS.ProcessEnv, name: string, schema: z.ZodType<number>, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`environment variable ${firstIssue(parsed.error)}, got ${raw}`);
  return parsed.data;
}

/** `TRASH_GRACE_DAYS`: whole days a backup stays in the trash; absent → 7; malformed → throws at cold start. */
export const trashGraceDaysFromEnv = (env: NodeJS.ProcessEnv = process.env): number =>
  daysFromEnv(env, 'TRASH_GRACE_DAYS', TrashGraceDaysSchema, DEFAULT_TRASH_GRACE_DAYS);

/** `MANUAL_BACKUP_KEEP_DAYS`: whole days manual and API backups are kept; absent → 30; malformed → throws. */
export const manualBackupKeepDaysFromEnv = (env: NodeJS.ProcessEnv = process.env): number =>
  daysFromEnv(env, 'MANUAL_BACKUP_KEEP_DAYS', ManualBackupKeepDaysSchema, DEFAULT_MANUAL_BACKUP_KEEP_DAYS);
