import { Aws, Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import {
  BACKUP_OBJECTS,
  CA_BUNDLE_OBJECTS,
  acknowledgeBackupObjects,
  acknowledgeCaBundleObjects,
} from '../BackupRunner.ts';
import { KeepsakeFunction } from '../KeepsakeFunction.ts';
import type { OrchestrationProps } from './Orchestration.ts';

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
 * What the machines are built from: their Lambdas with the grants they need, the steps (Lambda, runner, start a
 * Verify, notify, catch) and the machine itself with its log group.
 *
 * Everything is created in `scope`, the Orchestration construct, as it was before the machines had files of their
 * own: construct paths, and so logical ids, stay as deployed (a new logical id would replace a machine, its role and
 * its log group, whose name is fixed, so the deploy would fail). test/infra/orchestrationLogicalIds.test.ts pins them.
 */
export class MachineKit {
  constructor(
    readonly scope: Construct,
    readonly props: OrchestrationProps,
  ) {}

  /** The longest one runner task may run (a backup, a restore, a verify read). */
  get runTimeout(): Duration {
    return this.props.backupTimeout ?? Duration.hours(6);
  }

  /** A Lambda on the table; `handlerFile` is under functions/. */
  fn(id: string, handlerFile: string, access: 'read' | 'write', timeout?: Duration): KeepsakeFunction {
    return new KeepsakeFunction(this.scope, id, { handlerFile, timeout }).bindTable(this.props.table, access);
  }

  /**
   * The bucket and key the runner jobs it describes will write with; it stores a source's CA bundle there (create-only
   * PutObject, SSE-KMS) for the job to name, as the bundle does not fit RunTask's overrides.
   */
  describesJobs(fn: KeepsakeFunction): KeepsakeFunction {
    const { bucket, key } = this.props;
    fn.function.addEnvironment('BACKUP_BUCKET_NAME', bucket.bucketName);
    fn.function.addEnvironment('BACKUP_KMS_KEY_ARN', key.keyArn);
    fn.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects(CA_BUNDLE_OBJECTS)] }),
    );
    key.grant(fn.function, 'kms:GenerateDataKey');
    acknowledgeCaBundleObjects(fn, bucket);
    return fn;
  }

  /**
   * Reads what the runner stored: HeadObject (authorized by s3:GetObject) and the tags with checksum and sizes, of
   * the version HeadObject found (s3:GetObjectVersionTagging).
   */
  readsBackupObjects(fn: KeepsakeFunction): KeepsakeFunction {
    const { bucket } = this.props;
    fn.function.addEnvironment('BACKUP_BUCKET_NAME', bucket.bucketName);
    fn.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectTagging', 's3:GetObjectVersionTagging'],
        resources: [bucket.arnForObjects(BACKUP_OBJECTS)],
      }),
    );
    acknowledgeBackupObjects(fn, bucket);
    return fn;
  }

  /** Reads the runner's log stream back, to put its last error into a record. */
  readsRunnerLogs(fn: KeepsakeFunction): KeepsakeFunction {
    const { runner } = this.props;
    fn.function.addEnvironment('RUNNER_LOG_GROUP', runner.logGroup.logGroupName);
    fn.function.addEnvironment('RUNNER_LOG_STREAM_PREFIX', runner.logStreamPrefix);
    runner.logGroup.grant(fn.function, 'logs:GetLogEvents');
    return fn;
  }

  /** Deletes backup objects (the trash purge). */
  deletesBackupObjects(fn: KeepsakeFunction): KeepsakeFunction {
    const { bucket } = this.props;
    fn.function.addEnvironment('BACKUP_BUCKET_NAME', bucket.bucketName);
    fn.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:DeleteObject'], resources: [bucket.arnForObjects(BACKUP_OBJECTS)] }),
    );
    acknowledgeBackupObjects(fn, bucket);
    return fn;
  }

  /**
   * One function for both machines that apply retention (after each backup, and the daily sweep). It checks that
   * the backups it keeps still have their objects: HeadObject (authorized by s3:GetObject, and of a recorded
   * version by s3:GetObjectVersion), nothing else of them.
   */
  applyRetention(): KeepsakeFunction {
    const { bucket, defaultRetention, manualBackupKeepDays } = this.props;
    const fn = this.fn('ApplyRetention', 'orchestration/applyRetention.ts', 'write', Duration.minutes(5));
    fn.function.addEnvironment('DEFAULT_RETENTION', JSON.stringify(defaultRetention));
    fn.function.addEnvironment('MANUAL_BACKUP_KEEP_DAYS', String(manualBackupKeepDays));
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

  /**
   * A Lambda task whose result is the handler's return value. `input` is a payload object, or a JSON path whose
   * value is sent as it is (with payloadResponseOnly that must be InputPath: a path as Parameters is invalid ASL);
   * no `input` sends the state's whole input.
   */
  lambdaStep(
    id: string,
    fn: KeepsakeFunction,
    input?: sfn.TaskInput | string,
    resultPath?: string,
  ): tasks.LambdaInvoke {
    const step = new tasks.LambdaInvoke(this.scope, id, {
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
  runnerStep(id: string, jobPath: string): tasks.EcsRunTask {
    const { runner } = this.props;
    const step = new tasks.EcsRunTask(this.scope, id, {
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
      taskTimeout: sfn.Timeout.duration(this.runTimeout),
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
  startVerifyStep(
    id: string,
    verifyMachine: sfn.IStateMachine,
    backupId: string,
    testRestore: string,
  ): tasks.StepFunctionsStartExecution {
    return new tasks.StepFunctionsStartExecution(this.scope, id, {
      stateMachine: verifyMachine,
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
      input: sfn.TaskInput.fromObject({ backupId, testRestore }),
      resultPath: sfn.JsonPath.DISCARD,
    });
  }

  /** Publishes the `notification` a step returned under `at` (a record-failure step's, under `$.failure`). */
  notifyStep(id: string, at = '$.failure'): tasks.SnsPublish {
    return new tasks.SnsPublish(this.scope, id, {
      topic: this.props.alerts.topic,
      subject: sfn.JsonPath.stringAt(`${at}.notification.subject`),
      message: sfn.TaskInput.fromJsonPathAt(`${at}.notification.message`),
      resultPath: sfn.JsonPath.DISCARD,
    });
  }

  /** E-mails that retention could not be applied to the source at `sourcePath`, with the error's cause at `causePath`. */
  retentionProblemStep(id: string, sourcePath: string, causePath: string, template: string): tasks.SnsPublish {
    return new tasks.SnsPublish(this.scope, id, {
      topic: this.props.alerts.topic,
      subject: 'Keepsake: retention could not be applied',
      message: sfn.TaskInput.fromText(
        sfn.JsonPath.format(template, sfn.JsonPath.stringAt(sourcePath), sfn.JsonPath.stringAt(causePath)),
      ),
      resultPath: sfn.JsonPath.DISCARD,
    });
  }

  /** Sends every error of `state` (at `$.error`) through "Failed to <step>" (which sets `$.failedStep`) to `then`. */
  catchInto(state: tasks.LambdaInvoke | tasks.EcsRunTask, step: string, then: sfn.IChainable, prefix = ''): void {
    const marker = new sfn.Pass(this.scope, `${prefix}Failed to ${step}`, {
      result: sfn.Result.fromString(step),
      resultPath: '$.failedStep',
    });
    state.addCatch(marker.next(then), { errors: [sfn.Errors.ALL], resultPath: '$.error' });
  }

  /**
   * The state machine running `definition`, traced and logged, allowed to invoke the Lambdas in `invoked` and to
   * publish to the alerts topic (every machine e-mails its failures).
   */
  machine(
    id: string,
    definition: sfn.IChainable,
    timeout: Duration,
    invoked: readonly KeepsakeFunction[],
  ): sfn.StateMachine {
    const machine = new sfn.StateMachine(this.scope, id, {
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
    this.props.alerts.grantPublish(machine, this.props.key);
    return machine;
  }

  logicalIdOf(fn: KeepsakeFunction): string {
    return Stack.of(this.scope).resolve((fn.function.node.defaultChild as lambda.CfnFunction).logicalId) as string;
  }

  /**
   * Step Functions delivers logs through CloudWatch's vended logs, whose resource policy has a size limit: groups
   * under `/aws/vendedlogs/` need no policy entry each, so machine creation cannot fail on it in a busy account.
   * The name carries the stack's unique id: kept after the stack is deleted, it never blocks a new deploy.
   */
  private vendedLogGroup(machineId: string): logs.LogGroup {
    const stackUuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
    return new logs.LogGroup(this.scope, `${machineId}Logs`, {
      logGroupName: `/aws/vendedlogs/states/${Aws.STACK_NAME}-${machineId}-${stackUuid}`,
      retention: logs.RetentionDays.THREE_MONTHS,
    });
  }
}
