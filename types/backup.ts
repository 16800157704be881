import * as z from 'zod';
import { pageOf } from './api.ts';
import { IdSchema } from './dataSource.ts';

export const BackupStatusSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export type BackupStatus = z.infer<typeof BackupStatusSchema>;

/**
 * Who asked for the backup. `safety` is the Restore machine's backup of a database it is about to overwrite (linked
 * by `restoreId`): listed, restorable and counted like any backup, but outside the schedules' GFS retention.
 */
export const BackupTriggerSchema = z.enum(['manual', 'schedule', 'api', 'safety']);
export type BackupTrigger = z.infer<typeof BackupTriggerSchema>;

export const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex characters');

/** S3's id of one version of an object, in a bucket that keeps versions. */
export const S3VersionIdSchema = z
  .string()
  .min(1, 'versionId must not be empty')
  .max(1024, 'versionId must be at most 1024 characters');
/** S3's entity tag of an object, quotes included, as HeadObject reports it and `If-Match` expects it. */
export const S3ETagSchema = z.string().regex(/^"[^"]{1,200}"$/, 'etag must be a quoted entity tag');

/** The last re-read of a backup's object (the Verify machine): its SHA-256 and gzip stream checked end to end. */
export const VerificationSchema = z
  .object({
    status: z.enum(['verified', 'failed']),
    at: z.iso.datetime(),
    /** Why it failed: corruption found (checksum or gzip), or the object could not be read. */
    reason: z.string().optional(),
  })
  .strict();
export type Verification = z.infer<typeof VerificationSchema>;

/** One backup of one database, from the moment it is queued to its outcome. */
export const BackupSchema = z
  .object({
    id: IdSchema,
    sourceId: IdSchema,
    database: z.string().min(1),
    status: BackupStatusSchema,
    trigger: BackupTriggerSchema,
    scheduleId: IdSchema.optional(),
    /** For a `safety` backup: the restore that took it before overwriting this database (its way back). */
    restoreId: IdSchema.optional(),
    s3Key: z.string().min(1).optional(),
    /**
     * The object version written, read back when the backup was finalized: restores, verifications and test
     * restores read exactly it (the version where the bucket keeps versions, else held to the ETag with `If-Match`).
     */
    s3VersionId: S3VersionIdSchema.optional(),
    s3ETag: S3ETagSchema.optional(),
    compressedBytes: z.number().int().nonnegative().optional(),
    uncompressedBytes: z.number().int().nonnegative().optional(),
    sha256: Sha256Schema.optional(),
    tables: z.number().int().nonnegative().optional(),
    serverVersion: z.string().optional(),
    createdAt: z.iso.datetime(),
    startedAt: z.iso.datetime().optional(),
    finishedAt: z.iso.datetime().optional(),
    durationMs: z.number().int().nonnegative().optional(),
    error: z.string().optional(),
    /** Set while the backup is in the trash: it leaves every list but the trash, and can be restored or deleted. */
    trashedAt: z.iso.datetime().optional(),
    /** With `trashedAt`: who moved it there, a person's principal or `keepsake:retention`. */
    trashedBy: z.string().optional(),
    /** With `trashedAt`: why, in words, e.g. "manual backup older than 30 days". */
    trashReason: z.string().max(500).optional(),
    verification: VerificationSchema.optional(),
    /**
     * Set when retention found the object gone from the bucket (when it was first found): the backup can never be
     * restored, counts as good for no retention period, and was alerted about once.
     */
    objectMissingAt: z.iso.datetime().optional(),
  })
  .strict();
export type Backup = z.infer<typeof BackupSchema>;

/**
 * A backup as the trash lists it: `purgeAfter` is when its grace period (TRASH_GRACE_DAYS) ends and the next daily
 * sweep deletes it with its object; `trashedByName` is the console user's e-mail, where it could be looked up.
 */
export const TrashedBackupSchema = BackupSchema.extend({
  purgeAfter: z.iso.datetime().optional(),
  trashedByName: z.string().optional(),
}).strict();
export type TrashedBackup = z.infer<typeof TrashedBackupSchema>;

export const TrashPageSchema = pageOf(TrashedBackupSchema);
