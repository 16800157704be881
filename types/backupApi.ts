import * as z from 'zod';
import { PageQuerySchema, fromBeforeTo, fromBeforeToIssue, pageOf, rangeBound } from './api.ts';
import {
  BackupSchema,
  BackupStatusSchema,
  BackupTriggerSchema,
  S3ETagSchema,
  S3VersionIdSchema,
  Sha256Schema,
} from './backup.ts';
import { IdSchema } from './dataSource.ts';

/**
 * The `Idempotency-Key` header of "trigger a backup": any printable ASCII token a client can generate (a UUID,
 * a CI run id). The same key within 24 hours answers with the same backup instead of starting another.
 */
export const IdempotencyKeySchema = z
  .string()
  .min(1, 'Idempotency-Key must not be empty')
  .max(128, 'Idempotency-Key must be at most 128 characters')
  .regex(/^[\x21-\x7e]+$/, 'Idempotency-Key must be printable ASCII without spaces');

/** How long an idempotency key keeps answering with the backup it started. */
export const IDEMPOTENCY_WINDOW_SECONDS = 24 * 60 * 60;

/** Body of `POST /v1/data-sources/{id}/backups` (optional): who asks. The console sends `manual`. */
export const TriggerBackupBodySchema = z
  .object({
    trigger: BackupTriggerSchema.extract(['manual', 'api'], { error: 'trigger must be manual or api' }).default('api'),
  })
  .strict()
  .prefault({});
export type TriggerBackupBody = z.infer<typeof TriggerBackupBodySchema>;

export const TriggerBackupResponseSchema = z.object({ backupId: IdSchema });
export type TriggerBackupResponse = z.infer<typeof TriggerBackupResponseSchema>;

const backupFilters = {
  status: BackupStatusSchema.optional(),
  from: rangeBound('from').optional(),
  to: rangeBound('to').optional(),
};

/** `GET /v1/backups`: every filter optional, any combination; newest first. */
export const ListBackupsQuerySchema = PageQuerySchema.extend({
  sourceId: IdSchema.optional(),
  ...backupFilters,
}).refine(fromBeforeTo, fromBeforeToIssue);
export type ListBackupsQuery = z.infer<typeof ListBackupsQuerySchema>;

/** `GET /v1/data-sources/{id}/backups`: the same filters, the source coming from the path. */
export const SourceBackupsQuerySchema = PageQuerySchema.extend(backupFilters).refine(fromBeforeTo, fromBeforeToIssue);
export type SourceBackupsQuery = z.infer<typeof SourceBackupsQuerySchema>;

/** What the repository filters by: the union of both list routes. */
export type BackupFilter = Pick<ListBackupsQuery, 'sourceId' | 'status' | 'from' | 'to'>;

/** `GET /v1/trash`: most recently trashed first. */
export const ListTrashQuerySchema = PageQuerySchema.extend({ sourceId: IdSchema.optional() });
export type ListTrashQuery = z.infer<typeof ListTrashQuerySchema>;

export const BackupPageSchema = pageOf(BackupSchema);

export const DownloadUrlResponseSchema = z.object({ url: z.url(), expiresAt: z.iso.datetime() });
export type DownloadUrlResponse = z.infer<typeof DownloadUrlResponseSchema>;

export const VerifyBackupResponseSchema = z.object({ backupId: IdSchema, executionArn: z.string() });
export type VerifyBackupResponse = z.infer<typeof VerifyBackupResponseSchema>;

/**
 * How a backup ended, as the Backup state machine reports it to `recordBackupOutcome`: the runner's result on
 * success, the reason otherwise.
 */
export const BackupOutcomeSchema = z.discriminatedUnion('status', [
  z
    .object({
      status: z.literal('succeeded'),
      s3Key: z.string().min(1),
      s3VersionId: S3VersionIdSchema.optional(),
      s3ETag: S3ETagSchema.optional(),
      compressedBytes: z.number().int().nonnegative(),
      uncompressedBytes: z.number().int().nonnegative(),
      sha256: Sha256Schema,
      tables: z.number().int().nonnegative(),
      serverVersion: z.string().optional(),
      durationMs: z.number().int().nonnegative(),
    })
    .strict(),
  z
    .object({
      status: z.literal('failed'),
      error: z.string().min(1),
      durationMs: z.number().int().nonnegative().optional(),
    })
    .strict(),
  z.object({ status: z.literal('cancelled'), error: z.string().min(1).optional() }).strict(),
]);
export type BackupOutcome = z.infer<typeof BackupOutcomeSchema>;

/** Input of the state machine's first step: the record the API queued, or a scheduled run's new one. */
export const BeginBackupRunSchema = z
  .object({
    backupId: IdSchema,
    dataSourceId: IdSchema,
    trigger: BackupTriggerSchema,
    scheduleId: IdSchema.optional(),
    executionArn: z.string().min(1).optional(),
  })
  .strict();
export type BeginBackupRun = z.infer<typeof BeginBackupRunSchema>;
