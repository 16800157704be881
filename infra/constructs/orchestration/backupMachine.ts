import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { KeepsakeFunction } from '../KeepsakeFunction.ts';
import type { MachineKit } from './machineKit.ts';

/** The Backup machine's states, by the names local mode and the tests find them by. */
export const BACKUP_STATES = {
  begin: 'Begin backup',
  run: 'Run backup',
  finalize: 'Record success',
  retention: 'Apply retention',
  notifyRetention: 'Notify retention problem',
  notifyObjectsMissing: 'Notify missing objects',
  startVerify: 'Start verify',
  recordFailure: 'Record failure',
  notifyFailure: 'Notify failure',
} as const;

/**
 * Backup: begin (record running) → runner on Fargate (`ecs:runTask.sync`) → record success from the object's tags →
 * apply retention for the source → start a Verify if the schedule asks for one after each backup. A failure before
 * the backup is recorded → failed record with the reason → notification → Fail.
 */
export function backupMachine(
  kit: MachineKit,
  uses: { readonly applyRetention: KeepsakeFunction; readonly verifyMachine: sfn.IStateMachine },
): sfn.StateMachine {
  const { scope } = kit;
  const { applyRetention, verifyMachine } = uses;
  const beginBackup = kit.describesJobs(kit.fn('BeginBackup', 'orchestration/beginBackup.ts', 'write'));
  const finalizeBackup = kit.readsBackupObjects(kit.fn('FinalizeBackup', 'orchestration/finalizeBackup.ts', 'write'));
  const recordBackupFailure = kit.readsRunnerLogs(
    kit.fn('RecordBackupFailure', 'orchestration/recordBackupFailure.ts', 'write'),
  );

  const begin = kit.lambdaStep(
    BACKUP_STATES.begin,
    beginBackup,
    sfn.TaskInput.fromObject({
      input: sfn.JsonPath.entirePayload,
      executionName: sfn.JsonPath.executionName,
      executionArn: sfn.JsonPath.executionId,
    }),
    '$.begun',
  );
  const run = kit.runnerStep(BACKUP_STATES.run, '$.begun.job');
  const finalize = kit.lambdaStep(
    BACKUP_STATES.finalize,
    finalizeBackup,
    sfn.TaskInput.fromObject({
      backupId: sfn.JsonPath.stringAt('$.begun.backup.id'),
      key: sfn.JsonPath.stringAt('$.begun.job.key'),
    }),
    '$.backup',
  );
  const retention = kit.lambdaStep(
    BACKUP_STATES.retention,
    applyRetention,
    sfn.TaskInput.fromObject({ sourceId: sfn.JsonPath.stringAt('$.dataSourceId') }),
    '$.retention',
  );
  // The backup itself succeeded; retention that failed is reported and left to the daily sweeper.
  const notifyRetention = kit.retentionProblemStep(
    BACKUP_STATES.notifyRetention,
    '$.dataSourceId',
    '$.retentionError.Cause',
    'The backup of data source {} succeeded, but applying its retention failed: {}. The daily sweeper will retry.',
  );
  retention.addCatch(notifyRetention, { errors: [sfn.Errors.ALL], resultPath: '$.retentionError' });
  // Backups retention found without their objects are alerted about once: only the run that marked them returns this.
  const objectsMissing = new sfn.Choice(scope, 'Objects missing?');
  const notifyObjectsMissing = kit.notifyStep(BACKUP_STATES.notifyObjectsMissing, '$.retention');
  // The schedule asks for a re-read of every backup: started, not awaited (its own alarm and alert cover it).
  const verifyNow = new sfn.Choice(scope, 'Verify now?');
  const startVerify = kit.startVerifyStep(
    BACKUP_STATES.startVerify,
    verifyMachine,
    sfn.JsonPath.stringAt('$.begun.backup.id'),
    sfn.JsonPath.stringAt('$.begun.verify.testRestore'),
  );
  const succeeded = new sfn.Succeed(scope, 'Backup succeeded');

  notifyRetention.next(verifyNow);
  objectsMissing
    .when(sfn.Condition.isPresent('$.retention.notification'), notifyObjectsMissing.next(verifyNow))
    .otherwise(verifyNow);
  verifyNow
    .when(sfn.Condition.stringEquals('$.begun.verify.when', 'afterEachBackup'), startVerify.next(succeeded))
    .otherwise(succeeded);

  // Until the backup is recorded as succeeded, any failure ends it as failed, with the step and the reason.
  const recordFailure = kit.lambdaStep(
    BACKUP_STATES.recordFailure,
    recordBackupFailure,
    sfn.TaskInput.fromObject({
      executionName: sfn.JsonPath.executionName,
      dataSourceId: sfn.JsonPath.stringAt('$.dataSourceId'),
      step: sfn.JsonPath.stringAt('$.failedStep'),
      error: sfn.JsonPath.objectAt('$.error'),
    }),
    '$.failure',
  );
  recordFailure
    .next(kit.notifyStep(BACKUP_STATES.notifyFailure))
    .next(new sfn.Fail(scope, 'Backup failed', { error: 'BackupFailed', causePath: '$.failure.reason' }));
  kit.catchInto(begin, 'begin', recordFailure);
  kit.catchInto(run, 'run', recordFailure);
  kit.catchInto(finalize, 'finalize', recordFailure);

  return kit.machine(
    'Backup',
    begin.next(run).next(finalize).next(retention).next(objectsMissing),
    kit.runTimeout.plus(Duration.minutes(30)),
    [beginBackup, finalizeBackup, recordBackupFailure, applyRetention],
  );
}
