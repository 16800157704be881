import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeployConfig } from './config.ts';
import { Alerts } from './constructs/Alerts.ts';
import { Api } from './constructs/Api.ts';
import { Auth } from './constructs/Auth.ts';
import { BackupRunner } from './constructs/BackupRunner.ts';
import { Console } from './constructs/Console.ts';
import { Orchestration } from './constructs/orchestration/Orchestration.ts';
import { Storage } from './constructs/Storage.ts';
import { DEFAULT_RETENTION } from '../types/schedule.ts';

export interface KeepsakeStackProps extends StackProps {
  readonly config: DeployConfig;
}

/** The whole of Keepsake in one account: constructs are wired here by passing each other's outputs. */
export class KeepsakeStack extends Stack {
  constructor(scope: Construct, id: string, props: KeepsakeStackProps) {
    super(scope, id, props);
    const { config } = props;
    const storage = new Storage(this, 'Storage', {
      objectLock: config.objectLock,
      objectLockDays: config.objectLockDays,
    });
    const runner = new BackupRunner(this, 'BackupRunner', {
      bucket: storage.bucket,
      key: storage.key,
      cpu: config.runnerCpu,
      memoryMiB: config.runnerMemoryMiB,
      ...(config.vpcId &&
        config.subnetIds && {
          network: {
            vpcId: config.vpcId,
            subnetIds: config.subnetIds,
            securityGroupId: config.securityGroupId,
            assignPublicIp: config.assignPublicIp,
          },
        }),
    });
    const alerts = new Alerts(this, 'Alerts', { key: storage.key, email: config.alarmEmail });
    const orchestration = new Orchestration(this, 'Orchestration', {
      table: storage.table,
      bucket: storage.bucket,
      key: storage.key,
      runner,
      alerts,
      defaultRetention: {
        ...DEFAULT_RETENTION,
        daily: config.retentionDaily,
        weekly: config.retentionWeekly,
        monthly: config.retentionMonthly,
      },
      trashGraceDays: config.trashGraceDays,
      manualBackupKeepDays: config.manualBackupKeepDays,
    });
    alerts.alarmOnFailures('Backup', orchestration.backupMachine);
    alerts.alarmOnFailures('Restore', orchestration.restoreMachine);
    alerts.alarmOnFailures('Sweeper', orchestration.sweeperMachine);
    alerts.alarmOnStaleSources();
    const api = new Api(this, 'Api', {
      table: storage.table,
      bucket: storage.bucket,
      key: storage.key,
      scheduleGroupName: orchestration.scheduleGroup.scheduleGroupName,
      schedulerRole: orchestration.schedulerRole,
      stateMachines: {
        backup: orchestration.backupMachine,
        restore: orchestration.restoreMachine,
        verify: orchestration.verifyMachine,
      },
      runnerLogGroup: runner.logGroup,
      trashGraceDays: config.trashGraceDays,
    });
    const auth = new Auth(this, 'Auth', { restApi: api.restApi, adminEmail: config.adminEmail });
    api.namePeopleWith(auth.userPool);
    const webConsole = new Console(this, 'Console', {
      restApi: api.restApi,
      accessLogs: storage.accessLogs,
      signIn: auth.signIn,
    });
    // The console's URL exists only once its distribution does, which needs the API's and the user pool's ids.
    api.allowBrowsersFrom(webConsole.url);
    auth.allowSignInFrom(webConsole.url);

    new CfnOutput(this, 'ApiUrl', { value: api.restApi.url });
    new CfnOutput(this, 'BackupBucketName', { value: storage.bucket.bucketName });
    new CfnOutput(this, 'BackupStateMachineArn', { value: orchestration.backupMachine.stateMachineArn });
    new CfnOutput(this, 'AlertsTopicArn', { value: alerts.topic.topicArn });
    new CfnOutput(this, 'ConsoleUrl', { value: webConsole.url });
  }
}
