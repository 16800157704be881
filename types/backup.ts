import * as z from 'zod';
import { IdSchema } from './dataSource.ts';

export const BackupStatusSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export type BackupStatus = z.infer<typeof BackupStatusSchema>;

export const BackupTriggerSchema = z.enum(['manual', 'schedule', 'api']);
export type BackupTrigger = z.infer<typeof BackupTriggerSchema>;

export const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex characters');

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
    s3Key: z.string().min(1).optional(),
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
    verification: VerificationSchema.optional(),
  })
  .strict();
export type Backup = z.infer<typeof BackupSchema>;
