import { Aws, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { Retention } from '../../types/schedule.ts';
import type { Alerts } from './Alerts.ts';
import {
  BACKUP_OBJECTS,
  CA_BUNDLE_OBJECTS,
  acknowledgeBackupObjects,
  acknowledgeCaBundleObjects,
  type BackupRunner,
} from './BackupRunner.ts';
import { KeepsakeFunction } from './KeepsakeFunction.ts';

export interface OrchestrationProps {
  readonly table: dynamodb.ITable;
  readonly bucket: s3.IBucket;
  readonly key: kms.IKey;
  readonly runner: BackupRunner;
  readonly alerts: Alerts;
  /** GFS counts for sources whose schedules say nothing (7 daily, 4 weekly, 6 monthly by default). */
  readonly defaultRetention: Retention;
  /** Days a backup stays in the trash before the sweeper deletes it with its object. */
  readonly trashGraceDays: number;
  /** Days manual and API backups are kept when no schedule of their source includes them in its GFS. */
  readonly manualBackupKeepDays: number;
  /** Longest a backup may run before it is stopped and recorded as failed. */
  readonly backupTimeout?: Duration;
}

/** Names of the states that tests and the local runtime map to local code; changing one breaks them loudly. */
export const STATES = {
  begin: 'Begin backup',
  run: 'Run backup',
  finalize: 'Record success',
  retention: 'Apply retention',
  recordFailure: 'Record failure',
  notifyFailure: 'Notify failure',
  notifyRetention: 'Notify retention problem',
  notifyObjectsMissing: 'Notify missing objects',
  startVerify: 'Start verify',
  listSources: 'List sources',
  listDueVerifications: 'List due verifications',
  startDueVerify: 'Start due verify',
  sweepSource: 'Apply retention to source',
  notifySweepRetention: 'Notify sweep retention problem',
  notifySweepObjectsMissing: 'Notify sweep missing objects',
  purgeTrash: 'Purge expired trash',
  prepareVerify: 'Prepare verify',
  runVerify: 'Run verify',
  runTestRestore: 'Run test restore',
  recordVerified: 'Record verified',
  recordVerifyFailure: 'Record verify failure',
  notifyVerifyFailure: 'Notify verify failure',
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
 * Lambda's throttle (`TooManyRequestsException`) is not among the errors `retryOnServiceExceptions` retries, and a
 * new account has 10 concurrent executions: a busy minute must not fail a backup.
 */
const LAMBDA_THROTTLED: sfn.RetryProps = {
  errors: ['Lambda.TooManyRequestsException'],
  interval: Duration.seconds(2),
  maxAttempts: 6,
  backoffRate: 2,
  jitterStrategy: sfn.JitterType.FULL,
};

/**
 * Step Functions machines that drive the runner, and the EventBridge Scheduler pieces that start them:
 * - Backup: begin (record running) → runner on Fargate (`ecs:runTask.sync`) → record success from the object's
 *   tags → apply retention for the source. Any failure → failed record with the reason → notification → Fail.
 * - Restore: begin → safety backup of the target (skipped if it does not exist yet), recorded as a backup
 *   (trigger `safety`) → runner restore → record. Any failure → failed record naming the safety backup (the way
 *   back) → notification → Fail. A restore with `rollbackOnFailure` whose runner restore fails first restores the
 *   safety backup into the target, in the same execution and so under the same lock.
 * - Verify: the runner re-reads the object and checks its SHA-256 and gzip stream → verified or failed (+ alert).
 * - Sweeper (daily): retention for every source, verification of weekly-verified sources' newest backups,
 *   then deletion of trash past its grace period.
 * - Freshness check (hourly Lambda): the metric behind the "no recent successful backup" alarm.
 */
export class Orchestration extends Construct {
  public readonly backupMachine: sfn.StateMachine;
  public readonly restoreMachine: sfn.StateMachine;
  public readonly verifyMachine: sfn.StateMachine;
  public readonly sweeperMachine: sfn.StateMachine;
  /** Hourly: counts scheduled sources without a recent succeeded backup into the `Keepsake/StaleSources` metric. */
  public readonly freshnessCheck: KeepsakeFunction;
  public readonly scheduleGroup: scheduler.ScheduleGroup;
  /** Assumed by EventBridge Scheduler for the API's schedules: it may start the Backup machine and nothing else. */
  public readonly schedulerRole: iam.Role;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: OrchestrationProps,
  ) {
    super(scope, id);
    // Verify first: the Backup machine and the sweep start it.
    this.verifyMachine = this.buildVerifyMachine();
    this.backupMachine = this.buildBackupMachine();
    this.restoreMachine = this.buildRestoreMachine();
    this.sweeperMachine = this.buildSweeperMachine();

    // Every schedule the API creates lives in this group and nothing else does. Its name comes from the construct
    // path (one per stack), and it goes with the stack, taking its schedules along: none keeps firing into a deleted
    // role, and a later deploy of the same stack does not meet a leftover group of the same name.
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'ScheduleGroup', { removalPolicy: RemovalPolicy.DESTROY });
    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: this.schedulerFor(this.scheduleGroup.scheduleGroupArn),
      description: 'EventBridge Scheduler: starts Keepsake backups',
    });
    this.backupMachine.grantStartExecution(this.schedulerRole);

    new scheduler.Schedule(this, 'DailySweep', {
      description: 'Keepsake: apply retention and empty expired trash',
      schedule: scheduler.ScheduleExpression.cron({ hour: '3', minute: '30' }),
      target: new targets.StepFunctionsStartExecution(this.sweeperMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({}),
        role: new iam.Role(this, 'SweepStarter', { assumedBy: this.schedulerFor(this.defaultScheduleGroupArn) }),
      }),
    });

    this.recordStoppedExecutions();

    this.freshnessCheck = this.fn('CheckFreshness', 'orchestration/checkFreshness.ts', 'read', Duration.minutes(1));
    new scheduler.Schedule(this, 'HourlyFreshnessCheck', {
      description: 'Keepsake: find scheduled sources without a recent succeeded backup',
      schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)),
      target: new targets.LambdaInvoke(this.freshnessCheck.function, {
        input: scheduler.ScheduleTargetInput.fromObject({}),
        role: this.invokerRole(this.freshnessCheck),
      }),
    });
  }

  /**
   * Backup and Restore executions that end without reaching their own record step (stopped from the console,
   * timed out, failed where nothing could record it) still end their record: nothing stays running forever.
   */
  private recordStoppedExecutions(): void {
    const fn = this.fn('RecordStoppedExecution', 'orchestration/recordStoppedExecution.ts', 'write');
    fn.function.addEnvironment('BACKUP_STATE_MACHINE_ARN', this.backupMachine.stateMachineArn);
    fn.function.addEnvironment('RESTORE_STATE_MACHINE_ARN', this.restoreMachine.stateMachineArn);
    new events.Rule(this, 'StoppedExecutions', {
      description: 'Keepsake: Backup and Restore executions that stopped, timed out or failed',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['ABORTED', 'TIMED_OUT', 'FAILED'],
          stateMachineArn: [this.backupMachine.stateMachineArn, this.restoreMachine.stateMachineArn],
        },
      },
      targets: [new eventTargets.LambdaFunction(fn.function, { retryAttempts: 8 })],
    });
  }

  /** The account's `default` schedule group, which holds the stack's own schedules (sweep, freshness check). */
  private get defaultScheduleGroupArn(): string {
    return Stack.of(this).formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: 'default' });
  }

  /** EventBridge Scheduler acting for schedules of one group in this account only (no confused deputy). */
  private schedulerFor(scheduleGroupArn: string): iam.IPrincipal {
    return new iam.ServicePrincipal('scheduler.amazonaws.com').withConditions({
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID, 'aws:SourceArn': scheduleGroupArn },
    });
  }

  /** The role EventBridge Scheduler assumes to invoke `fn` (and only it). */
  private invokerRole(fn: KeepsakeFunction): iam.Role {
    const role = new iam.Role(this, `${fn.node.id}Invoker`, {
      assumedBy: this.schedulerFor(this.defaultScheduleGroupArn),
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(fn)}.Arn>:*]`,
      reason:
        'lambda:InvokeFunction on the function and its versions (the `:*` qualifier), as the Scheduler target grants; one named function only.',
    });
    return role;
  }

  private logicalIdOf(fn: KeepsakeFunction): string {
    return Stack.of(this).resolve((fn.function.node.defaultChild as lambda.CfnFunction).logicalId) as string;
  }

  private fn(id: string, handlerFile: string, access: 'read' | 'write', timeout?: Duration): KeepsakeFunction {
    return new KeepsakeFunction(this, id, { handlerFile, timeout }).bindTable(this.props.table, access);
  }

  /**
   * The bucket and key the runner jobs it describes will write with; it stores a source's CA bundle there (create-only
   * PutObject, SSE-KMS) for the job to name, as the bundle does not fit RunTask's overrides.
   */
  private describesJobs(fn: KeepsakeFunction): KeepsakeFunction {
    fn.function.addEnvironment('BACKUP_BUCKET_NAME', this.props.bucket.bucketName);
    fn.function.addEnvironment('BACKUP_KMS_KEY_ARN', this.props.key.keyArn);
    fn.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.props.bucket.arnForObjects(CA_BUNDLE_OBJECTS)],
      }),
    );
    this.props.key.grant(fn.function, 'kms:GenerateDataKey');
    acknowledgeCaBundleObjects(fn, this.props.bucket);
    return fn;
  }

  /**
   * Reads what the runner stored: HeadObject (authorized by s3:GetObject) and the tags with checksum and sizes, of
   * the version HeadObject found (s3:GetObjectVersionTagging).
   */
  private readsBackupObjects(fn: KeepsakeFunction): KeepsakeFunction {
    fn.function.addEnvironment('BACKUP_BUCKET_NAME', this.props.bucket.bucketName);
    fn.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectTagging', 's3:GetObjectVersionTagging'],
        resources: [this.props.bucket.arnForObjects(BACKUP_OBJECTS)],
      }),
    );
    acknowledgeBackupObjects(fn, this.props.bucket);
    return fn;
  }

  /** Reads the runner's log stream back, to put its last error into a record. */
  private readsRunnerLogs(fn: KeepsakeFunction): KeepsakeFunction {
    const { runner } = this.props;
    fn.function.addEnvironment('RUNNER_LOG_GROUP', runner.logGroup.logGroupName);
    fn.function.addEnvironment('RUNNER_LOG_STREAM_PREFIX', runner.logStreamPrefix);
    runner.logGroup.grant(fn.function, 'logs:GetLogEvents');
    return fn;
  }

  /**
   * A Lambda task whose result is the handler's return value. `input` is a payload object, or a JSON path whose
   * value is sent as it is (with payloadResponseOnly that must be InputPath: a path as Parameters is invalid ASL).
   */
  private lambdaStep(
    id: string,
    fn: KeepsakeFunction,
    input: sfn.TaskInput | string,
    resultPath: string,
  ): tasks.LambdaInvoke {
    const step = new tasks.LambdaInvoke(this, id, {
      lambdaFunction: fn.function,
      payloadResponseOnly: true,
      ...(typeof input === 'string' ? { inputPath: input } : { payload: input }),
      resultPath,
      retryOnServiceExceptions: true,
    });
    step.addRetry(LAMBDA_THROTTLED);
    return step;
  }

  /** The runner on Fargate with the job at `jobPath` in its environment; only a moment without capacity is retried. */
  private runnerStep(id: string, jobPath: string, timeout: Duration): tasks.EcsRunTask {
    const { runner } = this.props;
    const step = new tasks.EcsRunTask(this, id, {
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      cluster: runner.cluster,
      taskDefinition: runner.taskDefinition,
      launchTarget: new tasks.EcsFargateLaunchTarget(),
      assignPublicIp: runner.assignPublicIp,
      subnets: runner.subnets,
      securityGroups: [runner.securityGroup],
      containerOverrides: [
        {
          containerDefinition: runner.container,
          environment: [
            { name: 'KEEPSAKE_JOB', value: sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt(jobPath)) },
            // Which execution a task belongs to, in its environment and logs (and for local mode's StopExecution).
            { name: 'KEEPSAKE_EXECUTION_ARN', value: sfn.JsonPath.executionId },
          ],
        },
      ],
      taskTimeout: sfn.Timeout.duration(timeout),
      resultPath: sfn.JsonPath.DISCARD,
    });
    // RunTask refusals that pass (no capacity, ENI limits, throttling) surface as ECS.AmazonECSException or, when
    // RunTask answers with `failures` and no task, as AmazonECS.Unknown; the task's own failure is not retried.
    step.addRetry({
      errors: ['ECS.AmazonECSException', 'AmazonECS.Unknown'],
      interval: Duration.seconds(30),
      maxAttempts: 3,
      backoffRate: 2,
    });
    return step;
  }

  /** Starts a Verify execution and moves on (REQUEST_RESPONSE: the verification reports for itself). */
  private startVerify(id: string, backupId: string, testRestore: string): tasks.StepFunctionsStartExecution {
    return new tasks.StepFunctionsStartExecution(this, id, {
      stateMachine: this.verifyMachine,
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
      input: sfn.TaskInput.fromObject({ backupId, testRestore }),
      resultPath: sfn.JsonPath.DISCARD,
    });
  }

  /** Publishes the `notification` a step returned under `at` (a record-failure step's, under `$.failure`). */
  private notifyStep(id: string, at = '$.failure'): tasks.SnsPublish {
    return new tasks.SnsPublish(this, id, {
      topic: this.props.alerts.topic,
      subject: sfn.JsonPath.stringAt(`${at}.notification.subject`),
      message: sfn.TaskInput.fromJsonPathAt(`${at}.notification.message`),
      resultPath: sfn.JsonPath.DISCARD,
    });
  }

  /** E-mails that retention could not be applied to the source at `sourcePath`, with the error's cause at `causePath`. */
  private retentionProblem(id: string, sourcePath: string, causePath: string, template: string): tasks.SnsPublish {
    return new tasks.SnsPublish(this, id, {
      topic: this.props.alerts.topic,
      subject: 'Keepsake: retention could not be applied',
      message: sfn.TaskInput.fromText(
        sfn.JsonPath.format(template, sfn.JsonPath.stringAt(sourcePath), sfn.JsonPath.stringAt(causePath)),
      ),
      resultPath: sfn.JsonPath.DISCARD,
    });
  }

  /** Sends every error of `state` (at `$.error`) through "Failed to <step>" (which sets `$.failedStep`) to `then`. */
  private catchInto(
    state: tasks.LambdaInvoke | tasks.EcsRunTask,
    step: string,
    then: sfn.IChainable,
    prefix = '',
  ): void {
    const marker = new sfn.Pass(this, `${prefix}Failed to ${step}`, {
      result: sfn.Result.fromString(step),
      resultPath: '$.failedStep',
    });
    state.addCatch(marker.next(then), { errors: [sfn.Errors.ALL], resultPath: '$.error' });
  }

  private get runTimeout(): Duration {
    return this.props.backupTimeout ?? Duration.hours(6);
  }

  private buildBackupMachine(): sfn.StateMachine {
    const { alerts, key } = this.props;
    const begin = this.describesJobs(this.fn('BeginBackup', 'orchestration/beginBackup.ts', 'write'));
    const finalize = this.readsBackupObjects(this.fn('FinalizeBackup', 'orchestration/finalizeBackup.ts', 'write'));
    const recordFailure = this.readsRunnerLogs(
      this.fn('RecordBackupFailure', 'orchestration/recordBackupFailure.ts', 'write'),
    );
    const retention = this.retentionFunction();

    const recordFailureState = this.lambdaStep(
      STATES.recordFailure,
      recordFailure,
      sfn.TaskInput.fromObject({
        executionName: sfn.JsonPath.executionName,
        dataSourceId: sfn.JsonPath.stringAt('$.dataSourceId'),
        step: sfn.JsonPath.stringAt('$.failedStep'),
        error: sfn.JsonPath.objectAt('$.error'),
      }),
      '$.failure',
    );
    recordFailureState
      .next(this.notifyStep(STATES.notifyFailure))
      .next(new sfn.Fail(this, 'Backup failed', { error: 'BackupFailed', causePath: '$.failure.reason' }));

    const beginState = this.lambdaStep(
      STATES.begin,
      begin,
      sfn.TaskInput.fromObject({
        input: sfn.JsonPath.entirePayload,
        executionName: sfn.JsonPath.executionName,
        executionArn: sfn.JsonPath.executionId,
      }),
      '$.begun',
    );
    this.catchInto(beginState, 'begin', recordFailureState);
    const run = this.runnerStep(STATES.run, '$.begun.job', this.runTimeout);
    this.catchInto(run, 'run', recordFailureState);
    const finalizeState = this.lambdaStep(
      STATES.finalize,
      finalize,
      sfn.TaskInput.fromObject({
        backupId: sfn.JsonPath.stringAt('$.begun.backup.id'),
        key: sfn.JsonPath.stringAt('$.begun.job.key'),
      }),
      '$.backup',
    );
    this.catchInto(finalizeState, 'finalize', recordFailureState);

    const retentionState = this.lambdaStep(
      STATES.retention,
      retention,
      sfn.TaskInput.fromObject({ sourceId: sfn.JsonPath.stringAt('$.dataSourceId') }),
      '$.retention',
    );
    const succeeded = new sfn.Succeed(this, 'Backup succeeded');
    // The schedule asks for a re-read of every backup: started, not awaited (its own alarm and alert cover it).
    const verifyNow = new sfn.Choice(this, 'Verify now?')
      .when(
        sfn.Condition.stringEquals('$.begun.verify.when', 'afterEachBackup'),
        this.startVerify(
          STATES.startVerify,
          sfn.JsonPath.stringAt('$.begun.backup.id'),
          sfn.JsonPath.stringAt('$.begun.verify.testRestore'),
        ).next(succeeded),
      )
      .otherwise(succeeded);
    // The backup itself succeeded; retention that failed is reported and left to the daily sweeper.
    retentionState.addCatch(
      this.retentionProblem(
        STATES.notifyRetention,
        '$.dataSourceId',
        '$.retentionError.Cause',
        'The backup of data source {} succeeded, but applying its retention failed: {}. The daily sweeper will retry.',
      ).next(verifyNow),
      { errors: [sfn.Errors.ALL], resultPath: '$.retentionError' },
    );

    // Backups retention found without their objects are alerted about once: only the run that marked them returns this.
    const objectsMissing = new sfn.Choice(this, 'Objects missing?')
      .when(
        sfn.Condition.isPresent('$.retention.notification'),
        this.notifyStep(STATES.notifyObjectsMissing, '$.retention').next(verifyNow),
      )
      .otherwise(verifyNow);

    const definition = beginState.next(run).next(finalizeState).next(retentionState).next(objectsMissing);
    const machine = this.machine('Backup', definition, this.runTimeout.plus(Duration.minutes(30)), [
      begin,
      finalize,
      recordFailure,
      retention,
    ]);
    alerts.grantPublish(machine, key);
    return machine;
  }

  private buildRestoreMachine(): sfn.StateMachine {
    const { alerts, key } = this.props;
    const begin = this.describesJobs(this.fn('BeginRestore', 'orchestration/beginRestore.ts', 'write'));
    const safety = this.readsBackupObjects(
      this.fn('RecordSafetyBackup', 'orchestration/recordSafetyBackup.ts', 'write'),
    );
    const finalize = this.fn('FinalizeRestore', 'orchestration/finalizeRestore.ts', 'write');
    const recordFailure = this.readsRunnerLogs(
      this.fn('RecordRestoreFailure', 'orchestration/recordRestoreFailure.ts', 'write'),
    );
    recordFailure.function.addEnvironment('BACKUP_BUCKET_NAME', this.props.bucket.bucketName);

    // The whole state: `$.safety` exists only once the safety backup was recorded, and the Lambda takes it if so.
    const recordFailureState = this.lambdaStep(STATES.recordRestoreFailure, recordFailure, '$', '$.failure');
    recordFailureState
      .next(this.notifyStep(STATES.notifyRestoreFailure))
      .next(new sfn.Fail(this, 'Restore failed', { error: 'RestoreFailed', causePath: '$.failure.reason' }));

    const beginState = this.lambdaStep(
      STATES.beginRestore,
      begin,
      sfn.TaskInput.fromObject({ restoreId: sfn.JsonPath.stringAt('$.restoreId') }),
      '$.begun',
    );
    this.catchInto(beginState, 'begin', recordFailureState, 'Restore: ');
    const safetyRun = this.runnerStep(STATES.runSafetyBackup, '$.begun.safetyJob', this.runTimeout);
    this.catchInto(safetyRun, 'safety', recordFailureState, 'Restore: ');
    const safetyState = this.lambdaStep(
      STATES.recordSafetyBackup,
      safety,
      sfn.TaskInput.fromObject({
        restoreId: sfn.JsonPath.stringAt('$.restoreId'),
        key: sfn.JsonPath.stringAt('$.begun.safetyJob.key'),
        restoreJob: sfn.JsonPath.objectAt('$.begun.restoreJob'),
      }),
      '$.recorded',
    );
    this.catchInto(safetyState, 'safety', recordFailureState, 'Restore: record ');
    const restoreRun = this.runnerStep(STATES.runRestore, '$.recorded.restoreJob', this.runTimeout);
    this.catchInto(restoreRun, 'restore', this.autoRollback(recordFailureState), 'Restore: ');
    const finalizeState = this.lambdaStep(
      STATES.finalizeRestore,
      finalize,
      sfn.TaskInput.fromObject({
        restoreId: sfn.JsonPath.stringAt('$.restoreId'),
        safety: sfn.JsonPath.objectAt('$.recorded.safety'),
      }),
      '$.restore',
    );
    this.catchInto(finalizeState, 'finalize', recordFailureState, 'Restore: ');

    const definition = beginState
      .next(safetyRun)
      .next(safetyState)
      .next(restoreRun)
      .next(finalizeState)
      .next(new sfn.Succeed(this, 'Restore succeeded'));
    // Up to three runs: the safety backup, the restore and, when it fails, the automatic rollback.
    const machine = this.machine('Restore', definition, Duration.minutes(this.runTimeout.toMinutes() * 3 + 30), [
      begin,
      safety,
      finalize,
      recordFailure,
    ]);
    alerts.grantPublish(machine, key);
    return machine;
  }

  /**
   * After a failed runner restore: when "Record safety backup" described a rollback job (the restore asked for
   * `rollbackOnFailure` and its safety backup was taken), the runner restores that safety backup into the target,
   * still under the restore's lock; `$.autoRollback` says it ran, with `error` if it failed. Then `then` records it.
   */
  private autoRollback(then: sfn.IChainable): sfn.Choice {
    const run = this.runnerStep(STATES.runAutoRollback, '$.recorded.rollbackJob', this.runTimeout);
    const failed = new sfn.Pass(this, 'Automatic rollback failed', {
      parameters: { 'error.$': '$.autoRollbackError' },
      resultPath: '$.autoRollback',
    });
    run.addCatch(failed.next(then), { errors: [sfn.Errors.ALL], resultPath: '$.autoRollbackError' });
    const succeeded = new sfn.Pass(this, 'Automatic rollback succeeded', {
      result: sfn.Result.fromObject({}),
      resultPath: '$.autoRollback',
    });
    return new sfn.Choice(this, 'Roll back automatically?')
      .when(sfn.Condition.isPresent('$.recorded.rollbackJob'), run.next(succeeded).next(then))
      .otherwise(then);
  }

  private buildVerifyMachine(): sfn.StateMachine {
    const { alerts, key } = this.props;
    const prepare = this.describesJobs(this.fn('PrepareVerify', 'orchestration/prepareVerify.ts', 'read'));
    const record = this.readsRunnerLogs(this.fn('RecordVerification', 'orchestration/recordVerification.ts', 'write'));

    const prepareState = this.lambdaStep(
      STATES.prepareVerify,
      prepare,
      sfn.TaskInput.fromObject({ backupId: sfn.JsonPath.stringAt('$.backupId') }),
      '$.prepared',
    );
    // A backup that cannot be verified (not succeeded, gone) changes nothing: the API already refuses those.
    prepareState.addCatch(
      new sfn.Fail(this, 'Not verifiable', { error: 'NotVerifiable', causePath: '$.error.Cause' }),
      { errors: [sfn.Errors.ALL], resultPath: '$.error' },
    );
    const run = this.runnerStep(STATES.runVerify, '$.prepared.job', this.runTimeout);
    const recordFailed = this.lambdaStep(
      STATES.recordVerifyFailure,
      record,
      sfn.TaskInput.fromObject({
        backupId: sfn.JsonPath.stringAt('$.backupId'),
        error: sfn.JsonPath.objectAt('$.error'),
      }),
      '$.failure',
    );
    recordFailed.next(this.notifyStep(STATES.notifyVerifyFailure)).next(
      new sfn.Fail(this, 'Verification failed', {
        error: 'VerificationFailed',
        causePath: '$.failure.verification.reason',
      }),
    );
    run.addCatch(recordFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    const recordVerified = this.lambdaStep(
      STATES.recordVerified,
      record,
      sfn.TaskInput.fromObject({ backupId: sfn.JsonPath.stringAt('$.backupId') }),
      '$.verification',
    );
    recordVerified.next(new sfn.Succeed(this, 'Verified'));
    const testRestore = this.runnerStep(STATES.runTestRestore, '$.prepared.testRestoreJob', this.runTimeout);
    testRestore.addCatch(recordFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    const testRestoreAsked = new sfn.Choice(this, 'Test restore?')
      .when(sfn.Condition.isPresent('$.prepared.testRestoreJob'), testRestore.next(recordVerified))
      .otherwise(recordVerified);

    const machine = this.machine(
      'Verify',
      prepareState.next(run).next(testRestoreAsked),
      Duration.minutes(this.runTimeout.toMinutes() * 2 + 30),
      [prepare, record],
    );
    alerts.grantPublish(machine, key);
    return machine;
  }

  private machine(
    id: string,
    definition: sfn.IChainable,
    timeout: Duration,
    invoked: readonly KeepsakeFunction[],
  ): sfn.StateMachine {
    const machine = new sfn.StateMachine(this, id, {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout,
      tracingEnabled: true,
      // Every state transition, without the data (which names databases and keys): enough to follow a run.
      logs: { destination: this.vendedLogGroup(id), level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    Validations.of(machine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing, CloudWatch Logs delivery (logs:CreateLogDelivery and friends) and ecs:StopTask/DescribeTasks of tasks whose ARNs exist only at run time support no resource-level permissions.',
    });
    for (const fn of new Set(invoked)) {
      Validations.of(machine.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(fn)}.Arn>:*]`,
        reason:
          'lambda:InvokeFunction on the function and its versions (the `:*` qualifier), as LambdaInvoke grants; one named function only.',
      });
    }
    return machine;
  }

  /**
   * Step Functions delivers logs through CloudWatch's vended logs, whose resource policy has a size limit: groups
   * under `/aws/vendedlogs/` need no policy entry each, so machine creation cannot fail on it in a busy account.
   * The name carries the stack's unique id: kept after the stack is deleted, it never blocks a new deploy.
   */
  private vendedLogGroup(machineId: string): logs.LogGroup {
    const stackUuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
    return new logs.LogGroup(this, `${machineId}Logs`, {
      logGroupName: `/aws/vendedlogs/states/${Aws.STACK_NAME}-${machineId}-${stackUuid}`,
      retention: logs.RetentionDays.THREE_MONTHS,
    });
  }

  /**
   * One function for both machines that apply retention (after each backup, and the daily sweep). It checks that
   * the backups it keeps still have their objects: HeadObject (authorized by s3:GetObject, and of a recorded
   * version by s3:GetObjectVersion), nothing else of them.
   */
  private retentionFunction(): KeepsakeFunction {
    const existing = this.node.tryFindChild('ApplyRetention');
    if (existing) return existing as KeepsakeFunction;
    const { bucket } = this.props;
    const fn = this.fn('ApplyRetention', 'orchestration/applyRetention.ts', 'write', Duration.minutes(5));
    fn.function.addEnvironment('DEFAULT_RETENTION', JSON.stringify(this.props.defaultRetention));
    fn.function.addEnvironment('MANUAL_BACKUP_KEEP_DAYS', String(this.props.manualBackupKeepDays));
    fn.function.addEnvironment('BACKUP_BUCKET_NAME', bucket.bucketName);
    fn.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [bucket.arnForObjects(BACKUP_OBJECTS)],
      }),
    );
    acknowledgeBackupObjects(fn, bucket);
    return fn;
  }

  private buildSweeperMachine(): sfn.StateMachine {
    const { bucket } = this.props;
    const list = this.fn('ListSourceIds', 'orchestration/listSourceIds.ts', 'read');
    const purge = this.fn('PurgeTrash', 'orchestration/purgeTrash.ts', 'write', Duration.minutes(5));
    purge.function.addEnvironment('BACKUP_BUCKET_NAME', bucket.bucketName);
    purge.function.addEnvironment('TRASH_GRACE_DAYS', String(this.props.trashGraceDays));
    purge.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:DeleteObject'], resources: [bucket.arnForObjects(BACKUP_OBJECTS)] }),
    );
    acknowledgeBackupObjects(purge, bucket);
    const retention = this.retentionFunction();

    const listState = this.lambdaStep(STATES.listSources, list, sfn.TaskInput.fromObject({}), '$.sources');
    // One source whose retention fails costs neither the other sources their sweep nor the verifications and trash
    // purge after it: that source's failure is e-mailed (as after a backup) and the sweep goes on.
    const perSource = new sfn.Map(this, 'Each source', {
      itemsPath: '$.sources.sourceIds',
      itemSelector: { 'sourceId.$': '$$.Map.Item.Value' },
      maxConcurrency: 4,
      resultPath: sfn.JsonPath.DISCARD,
    });
    const sweepSource = new tasks.LambdaInvoke(this, STATES.sweepSource, {
      lambdaFunction: retention.function,
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    });
    sweepSource.addRetry(LAMBDA_THROTTLED);
    // A throttled table or a brief outage should not cost the source its sweep.
    sweepSource.addRetry({ errors: [sfn.Errors.ALL], interval: Duration.seconds(5), maxAttempts: 2, backoffRate: 3 });
    sweepSource.addCatch(
      this.retentionProblem(
        STATES.notifySweepRetention,
        '$.sourceId',
        '$.error.Cause',
        'The daily sweep could not apply the retention of data source {}: {}. The other sources were swept; the next sweep retries.',
      ),
      {
        errors: [sfn.Errors.ALL],
        resultPath: '$.error',
      },
    );
    const objectsMissing = new sfn.Choice(this, 'Objects missing in sweep?')
      .when(sfn.Condition.isPresent('$.notification'), this.notifyStep(STATES.notifySweepObjectsMissing, '$'))
      .otherwise(new sfn.Succeed(this, 'Source swept'));
    perSource.itemProcessor(sweepSource.next(objectsMissing));

    // Trash is purged in batches; each call continues from the previous one's cursor, past backups it could not
    // delete, and any failure along the way fails the execution at the end (which raises the alarm).
    const dueVerify = this.fn('ListDueVerifications', 'orchestration/listDueVerifications.ts', 'read');
    const listDue = this.lambdaStep(
      STATES.listDueVerifications,
      dueVerify,
      sfn.TaskInput.fromObject({}),
      '$.verifications',
    );
    const eachDue = new sfn.Map(this, 'Each due verification', {
      itemsPath: '$.verifications.due',
      maxConcurrency: 4,
      resultPath: sfn.JsonPath.DISCARD,
    });
    eachDue.itemProcessor(
      this.startVerify(
        STATES.startDueVerify,
        sfn.JsonPath.stringAt('$.backupId'),
        sfn.JsonPath.stringAt('$.testRestore'),
      ),
    );

    const startPurge = new sfn.Pass(this, 'Start purge', { result: sfn.Result.fromObject({}), resultPath: '$.purge' });
    const purgeState = this.lambdaStep(STATES.purgeTrash, purge, '$.purge', '$.purge');
    const done = new sfn.Succeed(this, 'Sweep done');
    const someFailed = new sfn.Fail(this, 'Some trash could not be deleted', {
      error: 'PurgeFailed',
      cause: 'see the Purge expired trash outputs: failed[] names each backup and why',
    });
    const more = new sfn.Choice(this, 'More trash?')
      .when(sfn.Condition.booleanEquals('$.purge.more', true), purgeState)
      .when(sfn.Condition.isPresent('$.purgeFailed'), someFailed)
      .otherwise(done);
    const rememberFailure = new sfn.Pass(this, 'Remember purge failure', {
      result: sfn.Result.fromBoolean(true),
      resultPath: '$.purgeFailed',
    });
    const anyFailed = new sfn.Choice(this, 'Any failed?')
      .when(sfn.Condition.isPresent('$.purge.failed[0]'), rememberFailure.next(more))
      .otherwise(more);
    purgeState.next(anyFailed);
    const machine = this.machine(
      'Sweeper',
      listState.next(perSource).next(listDue).next(eachDue).next(startPurge).next(purgeState),
      Duration.hours(2),
      [list, purge, retention, dueVerify],
    );
    this.props.alerts.grantPublish(machine, this.props.key);
    return machine;
  }
}
