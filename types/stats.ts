import * as z from 'zod';
import { BackupSchema, BackupStatusSchema } from './backup.ts';
import { IdSchema } from './dataSource.ts';

/** How many backups entered each status within a window (a backup that queued, ran and succeeded counts in all three). */
export const StatusCountsSchema = z.object({
  queued: z.number().int(),
  running: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
});
export type StatusCounts = z.infer<typeof StatusCountsSchema>;

/** The last finished backup of a source (succeeded, failed or cancelled). */
export const LastBackupSchema = z.object({
  backupId: IdSchema,
  status: BackupStatusSchema,
  finishedAt: z.iso.datetime(),
  compressedBytes: z.number().int().nonnegative().optional(),
});
export type LastBackup = z.infer<typeof LastBackupSchema>;

export const SourceStatsSchema = z.object({
  sourceId: IdSchema,
  /** Bytes of the source's succeeded backups still in the bucket (trash included: it is stored until deleted). */
  storedBytes: z.number().int(),
  storedBackups: z.number().int(),
  lastBackup: LastBackupSchema.optional(),
  lastSucceededAt: z.iso.datetime().optional(),
});
export type SourceStats = z.infer<typeof SourceStatsSchema>;

/** Days in the dashboard's daily series: the last 30 calendar days (UTC), today included. */
export const DAILY_SERIES_DAYS = 30;

/** One UTC day of the dashboard's series. */
export const DailyStatsSchema = z.object({
  day: z.iso.date(),
  /** How many backups entered each status that day. */
  counts: StatusCountsSchema,
  /** Bytes stored at the end of the day (today: now), as `storedBytes` counts them. */
  storedBytes: z.number().int(),
});
export type DailyStats = z.infer<typeof DailyStatsSchema>;

/** `GET /v1/stats`: the dashboard, served from aggregates kept up to date on write. */
export const StatsResponseSchema = z.object({
  generatedAt: z.iso.datetime(),
  /** The last 24 hours to the hour; 7 and 30 days are calendar days (UTC) including today. */
  counts: z.object({ last24h: StatusCountsSchema, last7d: StatusCountsSchema, last30d: StatusCountsSchema }),
  failuresLast7d: z.number().int(),
  /** The newest failed backups of the last 7 days (at most 5), for the dashboard's "needs attention" list. */
  recentFailures: z.array(BackupSchema),
  storedBytes: z.number().int(),
  storedBackups: z.number().int(),
  sources: z.array(SourceStatsSchema),
  /** Every one of the last 30 days, oldest first, days without backups included (all zeros but storage). */
  daily: z.array(DailyStatsSchema).length(DAILY_SERIES_DAYS),
});
export type StatsResponse = z.infer<typeof StatsResponseSchema>;
