import * as z from 'zod';

/**
 * What a runner is doing, in its `progress` lines. `completing`: a backup's dump is whole and handed to the upload;
 * the object store is assembling the object.
 */
export const ProgressPhaseSchema = z.enum(['dumping', 'completing', 'verifying', 'restoring']);
export type ProgressPhase = z.infer<typeof ProgressPhaseSchema>;

/**
 * One line a runner logged while it worked on a backup or restore (containers/backup/src/main.ts writes them as
 * JSON to stderr): `start`, `spawn`, `progress` (every ~2 s), then `done` or `failed`. The fields named here
 * are the runner's; any other field it adds is passed through unchanged. Lines never hold a password.
 */
export const LogLineSchema = z.looseObject({
  time: z.iso.datetime(),
  level: z.string().min(1),
  event: z.string().min(1),
  /** The Step Functions execution the runner worked for (env KEEPSAKE_EXECUTION_ARN). */
  execution: z.string().optional(),
  /** `start`: backup, restore or verify; `done`: the result's mode (backup, skipped, restore, verify). */
  mode: z.string().optional(),
  /**
   * `progress`: a ProgressPhase, and the bytes taken in and given out so far. A plain string here, so the lines of a
   * runner with a phase this reader does not know yet are still shown.
   */
  phase: z.string().optional(),
  bytesRead: z.number().optional(),
  bytesWritten: z.number().optional(),
  elapsedMs: z.number().optional(),
  done: z.boolean().optional(),
  /** `spawn`: the child process started (mysqldump, mysql, igzip). */
  tool: z.string().optional(),
  /** `failed`: why, safe to show. */
  error: z.string().optional(),
});
export type LogLine = z.infer<typeof LogLineSchema>;

/**
 * Opaque position in a job's log: clients pass back `nextCursor` unchanged. Longer than a list's cursor: in AWS
 * it may carry a CloudWatch Logs search token.
 */
export const LogCursorSchema = z
  .string()
  .max(6144, 'cursor is too long')
  .regex(/^[A-Za-z0-9_-]+$/, 'cursor is not one this API issued');

/** `GET /v1/backups/{id}/logs` and `GET /v1/restores/{id}/logs`: lines after `cursor` (from the first without). */
export const LogPageQuerySchema = z.object({ cursor: LogCursorSchema.optional() });
export type LogPageQuery = z.infer<typeof LogPageQuerySchema>;

/**
 * A page of a job's log, oldest line first. `nextCursor` is the position after the last line read: pass it back
 * to get only newer lines (absent while nothing was read yet). `more` says further lines are available right
 * now (the page was cut at its size); `running` that the job is still queued or running, so more may come.
 */
export const LogPageSchema = z.object({
  lines: z.array(LogLineSchema),
  nextCursor: z.string().optional(),
  more: z.boolean(),
  running: z.boolean(),
});
export type LogPage = z.infer<typeof LogPageSchema>;
