import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { KeepsakeFunction } from '../KeepsakeFunction.ts';
import type { MachineKit } from './machineKit.ts';

/** The Sweeper machine's states, by the names local mode and the tests find them by. */
export const SWEEPER_STATES = {
  listSources: 'List sources',
  sweepSource: 'Apply retention to source',
  notifySweepRetention: 'Notify sweep retention problem',
  notifySweepObjectsMissing: 'Notify sweep missing objects',
  listDueVerifications: 'List due verifications',
  startDueVerify: 'Start due verify',
  purgeTrash: 'Purge expired trash',
} as const;

/**
 * Sweeper (daily): retention for every source, verification of the newest backups of sources verified weekly, then
 * deletion of trash past its grace period.
 */
export function sweeperMachine(
  kit: MachineKit,
  uses: { readonly applyRetention: KeepsakeFunction; readonly verifyMachine: sfn.IStateMachine },
): sfn.StateMachine {
  const { scope } = kit;
  const { applyRetention, verifyMachine } = uses;
  const listSourceIds = kit.fn('ListSourceIds', 'orchestration/listSourceIds.ts', 'read');
  const purgeTrash = kit.deletesBackupObjects(
    kit.fn('PurgeTrash', 'orchestration/purgeTrash.ts', 'write', Duration.minutes(5)),
  );
  purgeTrash.function.addEnvironment('TRASH_GRACE_DAYS', String(kit.props.trashGraceDays));

  const listSources = kit.lambdaStep(
    SWEEPER_STATES.listSources,
    listSourceIds,
    sfn.TaskInput.fromObject({}),
    '$.sources',
  );
  // One source whose retention fails costs neither the other sources their sweep nor the verifications and trash
  // purge after it: that source's failure is e-mailed (as after a backup) and the sweep goes on.
  const eachSource = new sfn.Map(scope, 'Each source', {
    itemsPath: '$.sources.sourceIds',
    itemSelector: { 'sourceId.$': '$$.Map.Item.Value' },
    maxConcurrency: 4,
    resultPath: sfn.JsonPath.DISCARD,
  });
  const sweepSource = kit.lambdaStep(SWEEPER_STATES.sweepSource, applyRetention);
  // A throttled table or a brief outage should not cost the source its sweep.
  sweepSource.addRetry({ errors: [sfn.Errors.ALL], interval: Duration.seconds(5), maxAttempts: 2, backoffRate: 3 });
  sweepSource.addCatch(
    kit.retentionProblemStep(
      SWEEPER_STATES.notifySweepRetention,
      '$.sourceId',
      '$.error.Cause',
      'The daily sweep could not apply the retention of data source {}: {}. The other sources were swept; the next sweep retries.',
    ),
    { errors: [sfn.Errors.ALL], resultPath: '$.error' },
  );
  const objectsMissing = new sfn.Choice(scope, 'Objects missing in sweep?')
    .when(sfn.Condition.isPresent('$.notification'), kit.notifyStep(SWEEPER_STATES.notifySweepObjectsMissing, '$'))
    .otherwise(new sfn.Succeed(scope, 'Source swept'));
  eachSource.itemProcessor(sweepSource.next(objectsMissing));

  const listDueVerifications = kit.fn('ListDueVerifications', 'orchestration/listDueVerifications.ts', 'read');
  const listDue = kit.lambdaStep(
    SWEEPER_STATES.listDueVerifications,
    listDueVerifications,
    sfn.TaskInput.fromObject({}),
    '$.verifications',
  );
  const eachDue = new sfn.Map(scope, 'Each due verification', {
    itemsPath: '$.verifications.due',
    maxConcurrency: 4,
    resultPath: sfn.JsonPath.DISCARD,
  });
  eachDue.itemProcessor(
    kit.startVerifyStep(
      SWEEPER_STATES.startDueVerify,
      verifyMachine,
      sfn.JsonPath.stringAt('$.backupId'),
      sfn.JsonPath.stringAt('$.testRestore'),
    ),
  );

  // Trash is purged in batches; each call continues from the previous one's cursor, past backups it could not
  // delete, and any failure along the way fails the execution at the end (which raises the alarm).
  const startPurge = new sfn.Pass(scope, 'Start purge', { result: sfn.Result.fromObject({}), resultPath: '$.purge' });
  const purge = kit.lambdaStep(SWEEPER_STATES.purgeTrash, purgeTrash, '$.purge', '$.purge');
  const anyFailed = new sfn.Choice(scope, 'Any failed?');
  const rememberFailure = new sfn.Pass(scope, 'Remember purge failure', {
    result: sfn.Result.fromBoolean(true),
    resultPath: '$.purgeFailed',
  });
  const more = new sfn.Choice(scope, 'More trash?');
  const someFailed = new sfn.Fail(scope, 'Some trash could not be deleted', {
    error: 'PurgeFailed',
    cause: 'see the Purge expired trash outputs: failed[] names each backup and why',
  });
  const done = new sfn.Succeed(scope, 'Sweep done');

  purge.next(anyFailed);
  anyFailed.when(sfn.Condition.isPresent('$.purge.failed[0]'), rememberFailure.next(more)).otherwise(more);
  more
    .when(sfn.Condition.booleanEquals('$.purge.more', true), purge)
    .when(sfn.Condition.isPresent('$.purgeFailed'), someFailed)
    .otherwise(done);

  return kit.machine(
    'Sweeper',
    listSources.next(eachSource).next(listDue).next(eachDue).next(startPurge).next(purge),
    Duration.hours(2),
    [listSourceIds, purgeTrash, applyRetention, listDueVerifications],
  );
}
