import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { Retention } from '../../../types/schedule.ts';
import type { Alerts } from '../Alerts.ts';
import type { BackupRunner } from '../BackupRunner.ts';
import type { KeepsakeFunction } from '../KeepsakeFunction.ts';
import { BACKUP_STATES, backupMachine } from './backupMachine.ts';
import { MachineKit } from './machineKit.ts';
import { RESTORE_STATES, restoreMachine } from './restoreMachine.ts';
import { SWEEPER_STATES, sweeperMachine } from './sweeperMachine.ts';
import { VERIFY_STATES, verifyMachine } from './verifyMachine.ts';

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
export const STATES = { ...BACKUP_STATES, ...RESTORE_STATES, ...VERIFY_STATES, ...SWEEPER_STATES } as const;

/**
 * Step Functions machines that drive the runner, and the EventBridge Scheduler pieces that start them. Each machine
 * has a file of its own, read top to bottom as it runs (backupMachine.ts, restoreMachine.ts, verifyMachine.ts,
 * sweeperMachine.ts); here they are put together with:
 * - the schedule group and role for the API's backup schedules, and the daily Sweeper schedule;
 * - a rule that records Backup and Restore executions that ended without recording themselves;
 * - the freshness check (hourly Lambda): the metric behind the "no recent successful backup" alarm.
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

  private readonly kit: MachineKit;

  constructor(scope: Construct, id: string, props: OrchestrationProps) {
    super(scope, id);
    this.kit = new MachineKit(this, props);
    // Verify first: the Backup machine and the sweep start it.
    this.verifyMachine = verifyMachine(this.kit);
    const applyRetention = this.kit.applyRetention();
    this.backupMachine = backupMachine(this.kit, { applyRetention, verifyMachine: this.verifyMachine });
    this.restoreMachine = restoreMachine(this.kit);
    this.sweeperMachine = sweeperMachine(this.kit, { applyRetention, verifyMachine: this.verifyMachine });

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

    this.freshnessCheck = this.kit.fn('CheckFreshness', 'orchestration/checkFreshness.ts', 'read', Duration.minutes(1));
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
    const fn = this.kit.fn('RecordStoppedExecution', 'orchestration/recordStoppedExecution.ts', 'write');
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
      id: `AwsSolutions-IAM5[Resource::<${this.kit.logicalIdOf(fn)}.Arn>:*]`,
      reason:
        'lambda:InvokeFunction on the function and its versions (the `:*` qualifier), as the Scheduler target grants; one named function only.',
    });
    return role;
  }
}
