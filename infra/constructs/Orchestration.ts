import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
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
import { BACKUP_OBJECTS, acknowledgeBackupObjects, type BackupRunner } from './BackupRunner.ts';
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
  listSources: 'List sources',
  sweepSource: 'Apply retention to source',
  purgeTrash: 'Purge expired trash',
} as const;

/** The Keepsake schedule group: every schedule the API creates lives in it, and nothing else does. */
export const SCHEDULE_GROUP_NAME = 'keepsake';

/**
 * Step Functions machines that drive the runner, and the EventBridge Scheduler pieces that start them:
 * - Backup: begin (record running) → runner on Fargate (`ecs:runTask.sync`) → record success from the object's
 *   tags → apply retention for the source. Any failure → failed record with the reason → notification → Fail.
 * - Sweeper (daily): retention for every source, then deletion of trash past its grace period.
 */
export class Orchestration extends Construct {
  public readonly backupMachine: sfn.StateMachine;
  public readonly sweeperMachine: sfn.StateMachine;
  public readonly scheduleGroup: scheduler.ScheduleGroup;
  /** Assumed by EventBridge Scheduler for the API's schedules: it may start the Backup machine and nothing else. */
  public readonly schedulerRole: iam.Role;

  constructor(scope: Construct, id: string, props: OrchestrationProps) {
    super(scope, id);
    this.backupMachine = this.buildBackupMachine(props);
    this.sweeperMachine = this.buildSweeperMachine(props);

    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'ScheduleGroup', { scheduleGroupName: SCHEDULE_GROUP_NAME });
    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: 'EventBridge Scheduler: starts Keepsake backups',
    });
    this.backupMachine.grantStartExecution(this.schedulerRole);

    new scheduler.Schedule(this, 'DailySweep', {
      description: 'Keepsake: apply retention and empty expired trash',
      schedule: scheduler.ScheduleExpression.cron({ hour: '3', minute: '30' }),
      target: new targets.StepFunctionsStartExecution(this.sweeperMachine, { input: scheduler.ScheduleTargetInput.fromObject({}) }),
    });
  }

  private fn(id: string, handlerFile: string, table: dynamodb.ITable, access: 'read' | 'write', timeout?: Duration): KeepsakeFunction {
    return new KeepsakeFunction(this, id, { handlerFile, timeout }).bindTable(table, access);
  }

  private machine(id: string, definition: sfn.IChainable, timeout: Duration, invoked: readonly KeepsakeFunction[]): sfn.StateMachine {
    const machine = new sfn.StateMachine(this, id, {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout,
      tracingEnabled: true,
      // Every state transition, without the data (which names databases and keys): enough to follow a run.
      logs: { destination: new logs.LogGroup(this, `${id}Logs`, { retention: logs.RetentionDays.THREE_MONTHS }), level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    Validations.of(machine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing, CloudWatch Logs delivery (logs:CreateLogDelivery and friends) and ecs:StopTask/DescribeTasks of tasks whose ARNs exist only at run time support no resource-level permissions.',
    });
    for (const fn of invoked) {
      const logicalId = Stack.of(this).resolve((fn.function.node.defaultChild as lambda.CfnFunction).logicalId) as string;
      Validations.of(machine.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
        reason: 'lambda:InvokeFunction on the function and its versions (the `:*` qualifier), as LambdaInvoke grants; one named function only.',
      });
    }
    return machine;
  }

  private buildBackupMachine(props: OrchestrationProps): sfn.StateMachine {
    const { runner, table, bucket, key, alerts } = props;
    const begin = this.fn('BeginBackup', 'orchestration/beginBackup.ts', table, 'write');
    begin.function.addEnvironment('BACKUP_BUCKET_NAME', bucket.bucketName);
    begin.function.addEnvironment('BACKUP_KMS_KEY_ARN', key.keyArn);
    const finalize = this.fn('FinalizeBackup', 'orchestration/finalizeBackup.ts', table, 'write');
    finalize.function.addEnvironment('BACKUP_BUCKET_NAME', bucket.bucketName);
    // HeadObject is authorized by s3:GetObject; the tags hold the checksum and sizes.
    finalize.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectTagging'], resources: [bucket.arnForObjects(BACKUP_OBJECTS)] }));
    acknowledgeBackupObjects(finalize, bucket);
    const recordFailure = this.fn('RecordBackupFailure', 'orchestration/recordBackupFailure.ts', table, 'write');
    recordFailure.function.addEnvironment('RUNNER_LOG_GROUP', runner.logGroup.logGroupName);
    recordFailure.function.addEnvironment('RUNNER_LOG_STREAM_PREFIX', runner.logStreamPrefix);
    runner.logGroup.grant(recordFailure.function, 'logs:GetLogEvents');
    const retention = this.retentionFunction(props);

    const failureAt = (step: 'begin' | 'run' | 'finalize') =>
      new sfn.Pass(this, `Failed to ${step}`, { result: sfn.Result.fromString(step), resultPath: '$.failedStep' });
    const recordFailureState = new tasks.LambdaInvoke(this, STATES.recordFailure, {
      lambdaFunction: recordFailure.function,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({
        executionName: sfn.JsonPath.executionName,
        dataSourceId: sfn.JsonPath.stringAt('$.dataSourceId'),
        step: sfn.JsonPath.stringAt('$.failedStep'),
        error: sfn.JsonPath.objectAt('$.error'),
      }),
      resultPath: '$.failure',
      retryOnServiceExceptions: true,
    });
    const notifyFailure = new tasks.SnsPublish(this, STATES.notifyFailure, {
      topic: alerts.topic,
      subject: sfn.JsonPath.stringAt('$.failure.notification.subject'),
      message: sfn.TaskInput.fromJsonPathAt('$.failure.notification.message'),
      resultPath: sfn.JsonPath.DISCARD,
    });
    const failed = new sfn.Fail(this, 'Backup failed', { error: 'BackupFailed', causePath: '$.failure.reason' });
    recordFailureState.next(notifyFailure).next(failed);
    const onError = (state: tasks.LambdaInvoke | tasks.EcsRunTask, step: 'begin' | 'run' | 'finalize') =>
      state.addCatch(failureAt(step).next(recordFailureState), { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const beginState = new tasks.LambdaInvoke(this, STATES.begin, {
      lambdaFunction: begin.function,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({
        input: sfn.JsonPath.entirePayload,
        executionName: sfn.JsonPath.executionName,
        executionArn: sfn.JsonPath.executionId,
      }),
      resultPath: '$.begun',
      retryOnServiceExceptions: true,
    });
    onError(beginState, 'begin');

    const run = new tasks.EcsRunTask(this, STATES.run, {
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
          environment: [{ name: 'KEEPSAKE_JOB', value: sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.begun.job')) }],
        },
      ],
      taskTimeout: sfn.Timeout.duration(props.backupTimeout ?? Duration.hours(6)),
      resultPath: sfn.JsonPath.DISCARD,
    });
    // Fargate sometimes has no capacity for a moment; the run itself is never retried (the record says why it failed).
    run.addRetry({ errors: ['ECS.AmazonECSException'], interval: Duration.seconds(30), maxAttempts: 3, backoffRate: 2 });
    onError(run, 'run');

    const finalizeState = new tasks.LambdaInvoke(this, STATES.finalize, {
      lambdaFunction: finalize.function,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({ backupId: sfn.JsonPath.stringAt('$.begun.backup.id'), key: sfn.JsonPath.stringAt('$.begun.job.key') }),
      resultPath: '$.backup',
      retryOnServiceExceptions: true,
    });
    onError(finalizeState, 'finalize');

    const retentionState = new tasks.LambdaInvoke(this, STATES.retention, {
      lambdaFunction: retention.function,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({ sourceId: sfn.JsonPath.stringAt('$.dataSourceId') }),
      resultPath: '$.retention',
      retryOnServiceExceptions: true,
    });
    const succeeded = new sfn.Succeed(this, 'Backup succeeded');
    // The backup itself succeeded; retention that failed is reported and left to the daily sweeper.
    retentionState.addCatch(
      new tasks.SnsPublish(this, STATES.notifyRetention, {
        topic: alerts.topic,
        subject: 'Keepsake: retention could not be applied',
        message: sfn.TaskInput.fromText(
          sfn.JsonPath.format('The backup of data source {} succeeded, but applying its retention failed: {}. The daily sweeper will retry.', sfn.JsonPath.stringAt('$.dataSourceId'), sfn.JsonPath.stringAt('$.retentionError.Cause')),
        ),
        resultPath: sfn.JsonPath.DISCARD,
      }).next(succeeded),
      { errors: [sfn.Errors.ALL], resultPath: '$.retentionError' },
    );

    const machine = this.machine('Backup', beginState.next(run).next(finalizeState).next(retentionState).next(succeeded), (props.backupTimeout ?? Duration.hours(6)).plus(Duration.minutes(30)), [begin, finalize, recordFailure, retention]);
    alerts.grantPublish(machine, props.key);
    return machine;
  }

  private retentionFunction(props: OrchestrationProps): KeepsakeFunction {
    const existing = this.node.tryFindChild('ApplyRetention');
    if (existing) return existing as KeepsakeFunction;
    const fn = this.fn('ApplyRetention', 'orchestration/applyRetention.ts', props.table, 'write', Duration.minutes(5));
    fn.function.addEnvironment('DEFAULT_RETENTION', JSON.stringify(props.defaultRetention));
    return fn;
  }

  private buildSweeperMachine(props: OrchestrationProps): sfn.StateMachine {
    const { table, bucket } = props;
    const list = this.fn('ListSourceIds', 'orchestration/listSourceIds.ts', table, 'read');
    const purge = this.fn('PurgeTrash', 'orchestration/purgeTrash.ts', table, 'write', Duration.minutes(5));
    purge.function.addEnvironment('BACKUP_BUCKET_NAME', bucket.bucketName);
    purge.function.addEnvironment('TRASH_GRACE_DAYS', String(props.trashGraceDays));
    purge.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:DeleteObject'], resources: [bucket.arnForObjects(BACKUP_OBJECTS)] }));
    acknowledgeBackupObjects(purge, bucket);
    const retention = this.retentionFunction(props);

    const listState = new tasks.LambdaInvoke(this, STATES.listSources, {
      lambdaFunction: list.function,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({}),
      resultPath: '$.sources',
    });
    const perSource = new sfn.Map(this, 'Each source', {
      itemsPath: '$.sources.sourceIds',
      itemSelector: { 'sourceId.$': '$$.Map.Item.Value' },
      maxConcurrency: 4,
      resultPath: sfn.JsonPath.DISCARD,
    });
    perSource.itemProcessor(
      new tasks.LambdaInvoke(this, STATES.sweepSource, {
        lambdaFunction: retention.function,
        payloadResponseOnly: true,
        retryOnServiceExceptions: true,
      }),
    );
    const purgeState = new tasks.LambdaInvoke(this, STATES.purgeTrash, {
      lambdaFunction: purge.function,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({}),
      resultPath: '$.purge',
      retryOnServiceExceptions: true,
    });
    const done = new sfn.Succeed(this, 'Sweep done');
    const someFailed = new sfn.Fail(this, 'Some trash could not be deleted', { error: 'PurgeFailed', cause: 'see the Purge expired trash output: failed[] names each backup and why' });
    const afterPurge = new sfn.Choice(this, 'More trash?')
      .when(sfn.Condition.booleanEquals('$.purge.more', true), purgeState)
      .when(sfn.Condition.isPresent('$.purge.failed[0]'), someFailed)
      .otherwise(done);
    return this.machine('Sweeper', listState.next(perSource).next(purgeState).next(afterPurge), Duration.hours(2), [list, purge, retention]);
  }
}
