import * as z from 'zod';
import { PageQuerySchema, pageOf } from './api.ts';
import { DatabaseNameSchema, IdSchema } from './dataSource.ts';

export const RestoreStatusSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export type RestoreStatus = z.infer<typeof RestoreStatusSchema>;

/**
 * The automatic rollback of a failed restore: the safety backup restored into the target in the same execution,
 * while the restore still holds the target's lock.
 */
export const AutoRollbackSchema = z
  .object({
    status: z.enum(['succeeded', 'failed']),
    error: z.string().min(1).optional(),
    finishedAt: z.iso.datetime(),
  })
  .strict();
export type AutoRollback = z.infer<typeof AutoRollbackSchema>;

/** One restore of a succeeded backup into a database of a data source (the backup's own or another). */
export const RestoreSchema = z
  .object({
    id: IdSchema,
    backupId: IdSchema,
    /** The data source the backup was taken from. */
    sourceId: IdSchema,
    targetSourceId: IdSchema,
    targetDatabase: DatabaseNameSchema,
    status: RestoreStatusSchema,
    /** The principal who asked for it. */
    requestedBy: z.string(),
    createdAt: z.iso.datetime(),
    startedAt: z.iso.datetime().optional(),
    finishedAt: z.iso.datetime().optional(),
    durationMs: z.number().int().nonnegative().optional(),
    /** The safety backup (a backup record, trigger `safety`) taken of the target before it was overwritten: the way back. */
    safetyBackupId: IdSchema.optional(),
    /** Its object key; restores recorded before safety backups were backup records have only this. */
    safetyBackupKey: z.string().optional(),
    error: z.string().optional(),
    /** Set on a rollback: the restore it undoes (this one restores that one's safety backup). */
    rollbackOf: IdSchema.optional(),
    /** Asked for at creation: if the restore fails after its safety backup, put that safety backup back at once. */
    rollbackOnFailure: z.boolean().optional(),
    /** The rollback restore that undoes this one: a restore is rolled back once. */
    rolledBackBy: IdSchema.optional(),
    /** How the automatic rollback of a failed restore (`rollbackOnFailure`) went; the restore itself stays failed. */
    autoRollback: AutoRollbackSchema.optional(),
  })
  .strict();
export type Restore = z.infer<typeof RestoreSchema>;

/**
 * Body of `POST /v1/restores`. Overwriting a database is destructive, so the caller repeats the target
 * database's name, as a person would type it into a confirmation box.
 */
export const CreateRestoreSchema = z
  .object({
    backupId: IdSchema,
    targetSourceId: IdSchema,
    targetDatabase: DatabaseNameSchema,
    confirmDatabase: z.string({ error: 'confirmDatabase must repeat targetDatabase' }),
    /**
     * Roll back automatically if the restore fails after its safety backup was taken (default false). Schedules
     * only run backups, so this is chosen per restore.
     */
    rollbackOnFailure: z.boolean({ error: 'rollbackOnFailure must be true or false' }).optional(),
  })
  .strict()
  .refine((body) => body.confirmDatabase === body.targetDatabase, {
    path: ['confirmDatabase'],
    message: 'confirmDatabase must repeat targetDatabase exactly',
  });
export type CreateRestore = z.infer<typeof CreateRestoreSchema>;

/**
 * Body of `POST /v1/restores/{id}/rollback`: restores the restore's safety backup into the same target. It
 * overwrites that database again, so the caller repeats its name as for any restore.
 */
export const RollbackRestoreSchema = z
  .object({ confirmDatabase: z.string({ error: "confirmDatabase must repeat the restore's targetDatabase" }) })
  .strict();
export type RollbackRestore = z.infer<typeof RollbackRestoreSchema>;

export const CreateRestoreResponseSchema = z.object({ restoreId: IdSchema });
export type CreateRestoreResponse = z.infer<typeof CreateRestoreResponseSchema>;

/** `GET /v1/restores`: newest first, all or into one target source. */
export const ListRestoresQuerySchema = PageQuerySchema.extend({ targetSourceId: IdSchema.optional() });
export type ListRestoresQuery = z.infer<typeof ListRestoresQuerySchema>;

/** A restore as the API answers: `requestedByName` is the console user's e-mail, where it could be looked up. */
export const ListedRestoreSchema = RestoreSchema.extend({ requestedByName: z.string().optional() });
export type ListedRestore = z.infer<typeof ListedRestoreSchema>;

export const RestorePageSchema = pageOf(ListedRestoreSchema);

/** How a restore ended, as the Restore state machine reports it. */
export const RestoreOutcomeSchema = z.discriminatedUnion('status', [
  z
    .object({
      status: z.literal('succeeded'),
      durationMs: z.number().int().nonnegative(),
      safetyBackupKey: z.string().optional(),
      safetyBackupId: IdSchema.optional(),
    })
    .strict(),
  z
    .object({
      status: z.literal('failed'),
      error: z.string().min(1),
      durationMs: z.number().int().nonnegative().optional(),
      safetyBackupKey: z.string().optional(),
      safetyBackupId: IdSchema.optional(),
      autoRollback: AutoRollbackSchema.optional(),
    })
    .strict(),
  z.object({ status: z.literal('cancelled'), error: z.string().min(1).optional() }).strict(),
]);
export type RestoreOutcome = z.infer<typeof RestoreOutcomeSchema>;
