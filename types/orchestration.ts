import * as z from 'zod';
import { BackupSchema, BackupTriggerSchema, VerificationSchema } from './backup.ts';
import { DatabaseNameSchema, IdSchema } from './dataSource.ts';
import { BackupJobSchema, ObjectKeySchema, RestoreJobSchema, VerifyJobSchema } from './job.ts';
import { RestoreSchema } from './restore.ts';
import { VerifyPolicySchema } from './schedule.ts';

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
  /** The schedule's verification policy (never for backups not started by a schedule). */
  verify: VerifyPolicySchema,
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

/** The Verify machine's input (the API starts it on a succeeded backup) and its first task's. */
export const VerifyExecutionInputSchema = z
  .object({ backupId: IdSchema, testRestore: z.boolean().default(false) })
  .strict();
export type VerifyExecutionInput = z.infer<typeof VerifyExecutionInputSchema>;

/** The runner's verify job, and with `testRestore` its restore into a scratch database on the source's server. */
export const PreparedVerifySchema = z.object({ job: VerifyJobSchema, testRestoreJob: RestoreJobSchema.optional() });
export type PreparedVerify = z.infer<typeof PreparedVerifySchema>;

/** Task "Record verification": no error → verified; the run step's error → failed with the reason. */
export const RecordVerificationTaskSchema = z
  .object({ backupId: IdSchema, error: StatesErrorSchema.optional() })
  .strict();
export type RecordVerificationTask = z.infer<typeof RecordVerificationTaskSchema>;

export const RecordedVerificationSchema = z.object({
  verification: VerificationSchema,
  notification: NotificationSchema.optional(),
});
export type RecordedVerification = z.infer<typeof RecordedVerificationSchema>;

/** The Restore machine's input, as the API starts it (the restore record is already queued). */
export const RestoreExecutionInputSchema = z
  .object({ restoreId: IdSchema, backupId: IdSchema, targetSourceId: IdSchema, targetDatabase: DatabaseNameSchema })
  .strict();
export type RestoreExecutionInput = z.infer<typeof RestoreExecutionInputSchema>;

export const RestoreIdTaskSchema = z.object({ restoreId: IdSchema }).strict();
export type RestoreIdTask = z.infer<typeof RestoreIdTaskSchema>;

/**
 * What "Begin restore" hands on: the safety backup of the target (skipped by the runner if the database does not
 * exist yet) and the restore itself, both with password references only.
 */
export const BegunRestoreSchema = z.object({
  restore: RestoreSchema,
  safetyJob: BackupJobSchema,
  restoreJob: RestoreJobSchema,
});
export type BegunRestore = z.infer<typeof BegunRestoreSchema>;

/** Task "Record safety backup": the key the runner was told to write, and the restore job "Begin restore" described. */
export const SafetyBackupTaskSchema = z
  .object({ restoreId: IdSchema, key: ObjectKeySchema, restoreJob: RestoreJobSchema })
  .strict();
export type SafetyBackupTask = z.infer<typeof SafetyBackupTaskSchema>;

/**
 * The safety backup as found: its key and backup record (`backupId`; absent only in executions begun before safety
 * backups were recorded) when the runner wrote one, else why there is none.
 */
export const SafetyBackupSchema = z.union([
  z.object({ key: ObjectKeySchema, sha256: z.string(), backupId: IdSchema.optional() }).strict(),
  z.object({ skipped: z.string() }).strict(),
]);
export type SafetyBackup = z.infer<typeof SafetyBackupSchema>;

/**
 * What "Record safety backup" hands on: the safety backup (or why there is none); the restore job, now knowing
 * whether the target existed; and, for a restore with `rollbackOnFailure` whose safety backup was taken, the job that
 * restores that safety backup into the target should the restore fail.
 */
export const RecordedSafetyBackupSchema = z
  .object({ safety: SafetyBackupSchema, restoreJob: RestoreJobSchema, rollbackJob: RestoreJobSchema.optional() })
  .strict();
export type RecordedSafetyBackup = z.infer<typeof RecordedSafetyBackupSchema>;

/** Task "Record restore": the restore ran; `safety` is what the safety step found. */
export const FinalizeRestoreTaskSchema = z.object({ restoreId: IdSchema, safety: SafetyBackupSchema }).strict();
export type FinalizeRestoreTask = z.infer<typeof FinalizeRestoreTaskSchema>;

/**
 * Task "Record restore failure": the machine's whole state (so the safety backup comes along once it was taken):
 * the step that failed (`failedStep`), its error, `recorded.safety` when present, and `autoRollback` when the
 * automatic rollback ran (with its error if it failed); the rest is ignored.
 */
export const RestoreFailureTaskSchema = z.object({
  restoreId: IdSchema,
  failedStep: z.enum(['begin', 'safety', 'restore', 'finalize']),
  error: StatesErrorSchema,
  recorded: z.object({ safety: SafetyBackupSchema }).optional(),
  autoRollback: z.object({ error: StatesErrorSchema.optional() }).optional(),
});
export type RestoreFailureTask = z.infer<typeof RestoreFailureTaskSchema>;

/** A scheduled, enabled source without a succeeded backup in twice its schedule's interval. */
export const StaleSourceSchema = z.object({
  sourceId: IdSchema,
  intervalMinutes: z.number().int().nonnegative(),
  lastSucceededAt: z.iso.datetime().optional(),
});
export type StaleSource = z.infer<typeof StaleSourceSchema>;

/** What the hourly freshness check found; its count is the `Keepsake/StaleSources` metric. */
export const FreshnessReportSchema = z.object({
  checkedSources: z.number().int().nonnegative(),
  stale: z.array(StaleSourceSchema),
});
export type FreshnessReport = z.infer<typeof FreshnessReportSchema>;

/** The input of a task that needs none (the freshness check, the due-verifications list): ignored. */
export const IgnoredTaskInputSchema = z.looseObject({});

/** A Verify execution the daily sweep starts: the newest backup of a weekly-verified schedule's source. */
export const DueVerificationSchema = z.object({ backupId: IdSchema, testRestore: z.boolean() });
export type DueVerification = z.infer<typeof DueVerificationSchema>;
export const DueVerificationsSchema = z.object({ due: z.array(DueVerificationSchema) });
export type DueVerifications = z.infer<typeof DueVerificationsSchema>;

/**
 * EventBridge's "Step Functions Execution Status Change" for a Backup or Restore execution that ended without
 * reaching its own record step: stopped from the console (ABORTED), out of time (TIMED_OUT), or failed where
 * nothing could record it (FAILED).
 */
export const StoppedExecutionEventSchema = z.object({
  source: z.literal('aws.states'),
  detail: z.object({
    executionArn: z.string().min(1),
    stateMachineArn: z.string().min(1),
    name: z.string().min(1),
    status: z.enum(['ABORTED', 'TIMED_OUT', 'FAILED']),
    /** Why, when the sender knows better than the status says (local mode: it stopped while the run was under way). */
    cause: z.string().nullish(),
  }),
});
export type StoppedExecutionEvent = z.infer<typeof StoppedExecutionEventSchema>;
