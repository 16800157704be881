import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { MachineKit } from './machineKit.ts';

/** The Verify machine's states, by the names local mode and the tests find them by. */
export const VERIFY_STATES = {
  prepareVerify: 'Prepare verify',
  runVerify: 'Run verify',
  runTestRestore: 'Run test restore',
  recordVerified: 'Record verified',
  recordVerifyFailure: 'Record verify failure',
  notifyVerifyFailure: 'Notify verify failure',
} as const;

/**
 * Verify: the runner re-reads the object and checks its SHA-256 and gzip stream, then (when asked) restores it into
 * a scratch database → verified, or failed with the reason (+ alert).
 */
export function verifyMachine(kit: MachineKit): sfn.StateMachine {
  const { scope } = kit;
  const prepareVerify = kit.describesJobs(kit.fn('PrepareVerify', 'orchestration/prepareVerify.ts', 'read'));
  const recordVerification = kit.readsRunnerLogs(
    kit.fn('RecordVerification', 'orchestration/recordVerification.ts', 'write'),
  );

  const prepare = kit.lambdaStep(
    VERIFY_STATES.prepareVerify,
    prepareVerify,
    sfn.TaskInput.fromObject({ backupId: sfn.JsonPath.stringAt('$.backupId') }),
    '$.prepared',
  );
  // A backup that cannot be verified (not succeeded, gone) changes nothing: the API already refuses those.
  prepare.addCatch(new sfn.Fail(scope, 'Not verifiable', { error: 'NotVerifiable', causePath: '$.error.Cause' }), {
    errors: [sfn.Errors.ALL],
    resultPath: '$.error',
  });
  const run = kit.runnerStep(VERIFY_STATES.runVerify, '$.prepared.job');
  const testRestoreAsked = new sfn.Choice(scope, 'Test restore?');
  const testRestore = kit.runnerStep(VERIFY_STATES.runTestRestore, '$.prepared.testRestoreJob');
  const recordVerified = kit.lambdaStep(
    VERIFY_STATES.recordVerified,
    recordVerification,
    sfn.TaskInput.fromObject({ backupId: sfn.JsonPath.stringAt('$.backupId') }),
    '$.verification',
  );
  recordVerified.next(new sfn.Succeed(scope, 'Verified'));
  testRestoreAsked
    .when(sfn.Condition.isPresent('$.prepared.testRestoreJob'), testRestore.next(recordVerified))
    .otherwise(recordVerified);

  // A failed read or test restore is the verification's result: recorded, e-mailed, and the execution fails.
  const recordFailure = kit.lambdaStep(
    VERIFY_STATES.recordVerifyFailure,
    recordVerification,
    sfn.TaskInput.fromObject({
      backupId: sfn.JsonPath.stringAt('$.backupId'),
      error: sfn.JsonPath.objectAt('$.error'),
    }),
    '$.failure',
  );
  recordFailure.next(kit.notifyStep(VERIFY_STATES.notifyVerifyFailure)).next(
    new sfn.Fail(scope, 'Verification failed', {
      error: 'VerificationFailed',
      causePath: '$.failure.verification.reason',
    }),
  );
  run.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
  testRestore.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

  return kit.machine(
    'Verify',
    prepare.next(run).next(testRestoreAsked),
    Duration.minutes(kit.runTimeout.toMinutes() * 2 + 30),
    [prepareVerify, recordVerification],
  );
}
