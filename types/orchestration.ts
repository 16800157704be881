import { z } from 'zod';
import { BackupSchema, BackupTriggerSchema } from './backup.ts';
import { IdSchema } from './dataSource.ts';
import { BackupJobSchema, ObjectKeySchema } from './job.ts';

/**
 * The Backup state machine's input, whoever starts it: the API (`backupId` = the queued record and the
 * execution's name) or EventBridge Scheduler (`scheduleId`; the execution's name becomes the backup's id).
 */
export const BackupExecutionInputSchema = z
  .object({
    dataSourceId: IdSchema,
    trigger: BackupTriggerSchema,
    backupId: IdSchema.optional(),
    scheduleId: IdSchema.optional(),
  })
  .strict();
export type BackupExecutionInput = z.infer<typeof BackupExecutionInputSchema>;


/** Task "Begin backup": the execution's input, name (the backup's id) and ARN. */
export const BeginBackupTaskSchema = z
  .object({ input: BackupExecutionInputSchema, executionName: z.string().min(1), executionArn: z.string().min(1) })
  .strict();
export type BeginBackupTask = z.infer<typeof BeginBackupTaskSchema>;

/**
 * What "Begin backup" hands the runner task: the record and the runner's job. The job names the object key
 * (so the state machine knows where to look afterwards) and a reference to the password, never the password.
 */
export const BegunBackupSchema = z.object({
  backup: BackupSchema,
  job: BackupJobSchema,
});
export type BegunBackup = z.infer<typeof BegunBackupSchema>;

/** Task "Record success": the runner exited 0; the object's tags are the facts to record. */
export const FinalizeBackupTaskSchema = z.object({ backupId: IdSchema, key: ObjectKeySchema }).strict();
export type FinalizeBackupTask = z.infer<typeof FinalizeBackupTaskSchema>;

/** A Step Functions error as a Catch hands it on: `Cause` is free text or JSON (Lambda, ECS task). */
export const StatesErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });
export type StatesError = z.infer<typeof StatesErrorSchema>;

/** Task "Record failure": the execution (whose name gives the backup's id), the step that failed and its error. */
export const BackupFailureTaskSchema = z
  .object({
    executionName: z.string().min(1),
    dataSourceId: IdSchema,
    step: z.enum(['begin', 'run', 'finalize']),
    error: StatesErrorSchema,
  })
  .strict();
export type BackupFailureTask = z.infer<typeof BackupFailureTaskSchema>;

/** What the failure notification says: published to the alerts topic by the state machine. */
export const NotificationSchema = z.object({ subject: z.string().max(100), message: z.string() });
export type Notification = z.infer<typeof NotificationSchema>;

export const RecordedFailureSchema = z.object({ reason: z.string(), notification: NotificationSchema });
export type RecordedFailure = z.infer<typeof RecordedFailureSchema>;
