import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { MachineKit } from './machineKit.ts';

/** The Restore machine's states, by the names local mode and the tests find them by. */
export const RESTORE_STATES = {
  beginRestore: 'Begin restore',
  runSafetyBackup: 'Safety backup',
  recordSafetyBackup: 'Record safety backup',
  runRestore: 'Run restore',
  runAutoRollback: 'Roll back automatically',
  finalizeRestore: 'Record restore',
  recordRestoreFailure: 'Record restore failure',
  notifyRestoreFailure: 'Notify restore failure',
} as const;

/**
 * Restore: begin → safety backup of the target (skipped if it does not exist yet), recorded as a backup (trigger
 * `safety`) → runner restore → record. Any failure → failed record naming the safety backup (the way back) →
 * notification → Fail. A restore with `rollbackOnFailure` whose runner restore fails first restores the safety
 * backup into the target, in the same execution and so under the same lock.
 */
export function restoreMachine(kit: MachineKit): sfn.StateMachine {
  const { scope } = kit;
  const beginRestore = kit.describesJobs(kit.fn('BeginRestore', 'orchestration/beginRestore.ts', 'write'));
  const recordSafetyBackup = kit.readsBackupObjects(
    kit.fn('RecordSafetyBackup', 'orchestration/recordSafetyBackup.ts', 'write'),
  );
  const finalizeRestore = kit.fn('FinalizeRestore', 'orchestration/finalizeRestore.ts', 'write');
  const recordRestoreFailure = kit.readsRunnerLogs(
    kit.fn('RecordRestoreFailure', 'orchestration/recordRestoreFailure.ts', 'write'),
  );
  recordRestoreFailure.function.addEnvironment('BACKUP_BUCKET_NAME', kit.props.bucket.bucketName);

  const begin = kit.lambdaStep(
    RESTORE_STATES.beginRestore,
    beginRestore,
    sfn.TaskInput.fromObject({ restoreId: sfn.JsonPath.stringAt('$.restoreId') }),
    '$.begun',
  );
  const safetyRun = kit.runnerStep(RESTORE_STATES.runSafetyBackup, '$.begun.safetyJob');
  const safetyRecord = kit.lambdaStep(
    RESTORE_STATES.recordSafetyBackup,
    recordSafetyBackup,
    sfn.TaskInput.fromObject({
      restoreId: sfn.JsonPath.stringAt('$.restoreId'),
      key: sfn.JsonPath.stringAt('$.begun.safetyJob.key'),
      restoreJob: sfn.JsonPath.objectAt('$.begun.restoreJob'),
    }),
    '$.recorded',
  );
  const restoreRun = kit.runnerStep(RESTORE_STATES.runRestore, '$.recorded.restoreJob');
  const finalize = kit.lambdaStep(
    RESTORE_STATES.finalizeRestore,
    finalizeRestore,
    sfn.TaskInput.fromObject({
      restoreId: sfn.JsonPath.stringAt('$.restoreId'),
      safety: sfn.JsonPath.objectAt('$.recorded.safety'),
    }),
    '$.restore',
  );
  const succeeded = new sfn.Succeed(scope, 'Restore succeeded');

  // Any failure: recorded with the whole state (`$.safety` exists only once the safety backup was recorded, and the
  // Lambda takes it if so), e-mailed, and the execution fails. A failed runner restore may roll back first.
  const recordFailure = kit.lambdaStep(RESTORE_STATES.recordRestoreFailure, recordRestoreFailure, '$', '$.failure');
  recordFailure
    .next(kit.notifyStep(RESTORE_STATES.notifyRestoreFailure))
    .next(new sfn.Fail(scope, 'Restore failed', { error: 'RestoreFailed', causePath: '$.failure.reason' }));
  kit.catchInto(begin, 'begin', recordFailure, 'Restore: ');
  kit.catchInto(safetyRun, 'safety', recordFailure, 'Restore: ');
  kit.catchInto(safetyRecord, 'safety', recordFailure, 'Restore: record ');
  kit.catchInto(restoreRun, 'restore', autoRollback(kit, recordFailure), 'Restore: ');
  kit.catchInto(finalize, 'finalize', recordFailure, 'Restore: ');

  // Up to three runs: the safety backup, the restore and, when it fails, the automatic rollback.
  return kit.machine(
    'Restore',
    begin.next(safetyRun).next(safetyRecord).next(restoreRun).next(finalize).next(succeeded),
    Duration.minutes(kit.runTimeout.toMinutes() * 3 + 30),
    [beginRestore, recordSafetyBackup, finalizeRestore, recordRestoreFailure],
  );
}

/**
 * After a failed runner restore: when "Record safety backup" described a rollback job (the restore asked for
 * `rollbackOnFailure` and its safety backup was taken), the runner restores that safety backup into the target,
 * still under the restore's lock; `$.autoRollback` says it ran, with `error` if it failed. Then `then` records it.
 */
function autoRollback(kit: MachineKit, then: sfn.IChainable): sfn.Choice {
  const { scope } = kit;
  const run = kit.runnerStep(RESTORE_STATES.runAutoRollback, '$.recorded.rollbackJob');
  const failed = new sfn.Pass(scope, 'Automatic rollback failed', {
    parameters: { 'error.$': '$.autoRollbackError' },
    resultPath: '$.autoRollback',
  });
  run.addCatch(failed.next(then), { errors: [sfn.Errors.ALL], resultPath: '$.autoRollbackError' });
  const succeeded = new sfn.Pass(scope, 'Automatic rollback succeeded', {
    result: sfn.Result.fromObject({}),
    resultPath: '$.autoRollback',
  });
  return new sfn.Choice(scope, 'Roll back automatically?')
    .when(sfn.Condition.isPresent('$.recorded.rollbackJob'), run.next(succeeded).next(then))
    .otherwise(then);
}
