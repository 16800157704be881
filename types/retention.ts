import * as z from 'zod';
import { IdSchema } from './dataSource.ts';
import { NotificationSchema } from './orchestration.ts';

/**
 * Why retention keeps a good backup (succeeded, its verification not failed, its object not missing): it is the
 * source's newest good one, one of its `keepLast` newest (`last`), the newest that verified (`lastVerified`), or the
 * newest good one of one of the last `daily` days, `weekly` ISO weeks or `monthly` calendar months that have one
 * (see functions/retention/gfs.ts).
 */
export const KeepReasonSchema = z.enum(['newest', 'last', 'lastVerified', 'daily', 'weekly', 'monthly']);
export type KeepReason = z.infer<typeof KeepReasonSchema>;

/** The audit principal of everything the sweeper and the post-backup retention step do. */
export const RETENTION_PRINCIPAL = 'keepsake:retention';

/**
 * Days a restore's safety backup (trigger `safety`) is kept after its restore ended, before retention moves it to
 * the trash: long enough to notice a restore went wrong and roll it back, short enough that the copies of whole
 * databases restores leave behind do not pile up. A constant for now; a per-deploy setting can come later.
 */
export const SAFETY_BACKUP_KEEP_DAYS = 7;

/**
 * Days a manual or API backup (trigger `manual`/`api`) stays before retention moves it to the trash, unless
 * MANUAL_BACKUP_KEEP_DAYS says otherwise or a schedule of its source opts in (`retention.includeManualBackups`).
 * One setting per deployment, like TRASH_GRACE_DAYS: a backup taken by hand before a risky change is kept as
 * long on every source, and schedules (which are per source) already say how scheduled backups are kept.
 */
export const DEFAULT_MANUAL_BACKUP_KEEP_DAYS = 30;

/** `MANUAL_BACKUP_KEEP_DAYS`: whole days, 1 to 10 years. */
export const ManualBackupKeepDaysSchema = z.coerce
  .number({ error: 'MANUAL_BACKUP_KEEP_DAYS must be a number of days' })
  .int('MANUAL_BACKUP_KEEP_DAYS must be a whole number of days')
  .min(1, 'MANUAL_BACKUP_KEEP_DAYS must be between 1 and 3650')
  .max(3650, 'MANUAL_BACKUP_KEEP_DAYS must be between 1 and 3650');

/** Days a backup stays in the trash before the sweeper deletes it with its object, unless TRASH_GRACE_DAYS says otherwise. */
export const DEFAULT_TRASH_GRACE_DAYS = 7;

/** `TRASH_GRACE_DAYS`: whole days, 0 (purge at the next sweep) to 10 years. */
export const TrashGraceDaysSchema = z.coerce
  .number({ error: 'TRASH_GRACE_DAYS must be a number of days' })
  .int('TRASH_GRACE_DAYS must be a whole number of days')
  .min(0, 'TRASH_GRACE_DAYS must be between 0 and 3650')
  .max(3650, 'TRASH_GRACE_DAYS must be between 0 and 3650');

/** Task "Apply retention" (Backup machine after a success, and the sweeper per source). */
export const ApplyRetentionTaskSchema = z.object({ sourceId: IdSchema }).strict();
export type ApplyRetentionTask = z.infer<typeof ApplyRetentionTaskSchema>;

/**
 * What "Apply retention" did: how many good backups it kept, which it moved to the trash, and which it found
 * without their object and marked so (`objectMissingAt`) just now, with the notification the state machine
 * publishes about those (present only when there are any: a backup already marked is never reported again).
 */
export const ApplyRetentionResultSchema = z.object({
  sourceId: IdSchema,
  kept: z.number().int().nonnegative(),
  trashed: z.array(IdSchema),
  objectsMissing: z.array(IdSchema),
  notification: NotificationSchema.optional(),
});
export type ApplyRetentionResult = z.infer<typeof ApplyRetentionResultSchema>;

/**
 * Task "List sources" (the sweeper's first step). Whatever the schedule that starts the sweeper puts in its
 * input is accepted and ignored.
 */
export const ListSourceIdsTaskSchema = z.looseObject({});
export type ListSourceIdsTask = z.infer<typeof ListSourceIdsTaskSchema>;

export const SourceIdsSchema = z.object({ sourceIds: z.array(IdSchema) });
export type SourceIds = z.infer<typeof SourceIdsSchema>;

/**
 * Task "Purge trash": one bounded batch. The state machine calls it again with the `cursor` of the previous
 * result while `more` is true; a first call sends `{}`. Other fields are ignored.
 */
export const PurgeTrashTaskSchema = z.looseObject({ cursor: z.string().min(1).optional() });
export type PurgeTrashTask = z.infer<typeof PurgeTrashTaskSchema>;

/**
 * One batch of the purge: how many trashed backups were deleted with their objects, which could not be (they
 * stay in the trash and are retried at the next sweep), whether calling again is worth it, and `cursor`, where
 * the next batch starts (present whenever older-than-grace trash may remain past this batch).
 */
export const PurgeTrashResultSchema = z.object({
  purged: z.number().int().nonnegative(),
  failed: z.array(z.object({ backupId: IdSchema, error: z.string() })),
  more: z.boolean(),
  cursor: z.string().optional(),
});
export type PurgeTrashResult = z.infer<typeof PurgeTrashResultSchema>;
