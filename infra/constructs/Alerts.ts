import { ArnFormat, Aws, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface AlertsProps {
  /** Encrypts the topic (the backups' key: a second customer key would cost more than the rest of idle Keepsake). */
  readonly key: kms.Key;
  /** Where failure notifications and alarms are e-mailed; without it, subscribe to the topic yourself. */
  readonly email?: string;
}

/**
 * Failure notifications: an encrypted SNS topic (TLS-only) the state machines publish failed backups and
 * restores to, subscribed by e-mail, and CloudWatch alarms on the machines themselves.
 */
export class Alerts extends Construct {
  public readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Keepsake alerts',
      masterKey: props.key,
      enforceSSL: true,
    });
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    // enforceSSL gives the topic a policy of its own, which replaces SNS's default one that let CloudWatch publish:
    // alarms need their own Allow, held to this stack's alarms (confused deputy).
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    const fromOurAlarms = {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: {
        'aws:SourceArn': Stack.of(this).formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: `${Aws.STACK_NAME}-*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromOurAlarms,
      }),
    );
    // CloudWatch publishes alarm notifications to the encrypted topic with this key.
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'], // In a key policy "*" means this key.
        conditions: fromOurAlarms,
      }),
    );
  }

  /** Allows `grantee` to publish to the topic: sns:Publish and the key actions SNS needs, named explicitly. */
  grantPublish(grantee: iam.IGrantable, key: kms.IKey): void {
    // Not topic.grantPublish: with a customer key it adds the wildcard action kms:GenerateDataKey*.
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
    );
    key.grant(grantee, 'kms:Decrypt', 'kms:GenerateDataKey');
  }

  /**
   * Alarms when an execution of `machine` fails. The machines catch every step's error and timeout and end in a
   * Fail state, so ExecutionsFailed counts them all (one metric: alarms bill per metric). Aborted executions
   * are left out: a backup the operator cancels through the API is stopped, and that is not an incident.
   */
  alarmOnFailures(id: string, machine: sfn.StateMachine): cloudwatch.Alarm {
    return this.alarm(`${id}Failures`, {
      alarmDescription: `A Keepsake ${id} execution failed: see its record (the reason is there) and the Step Functions console.`,
      metric: machine.metricFailed({ statistic: 'Sum', period: Duration.minutes(5) }),
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /**
   * Alarms while a scheduled, enabled source has had no succeeded backup in twice its schedule's interval: the
   * failure a per-run alarm cannot see (a schedule that stopped firing, runs that never start).
   */
  alarmOnStaleSources(): cloudwatch.Alarm {
    return this.alarm('StaleSources', {
      alarmDescription:
        'A scheduled Keepsake data source has no successful backup within twice its interval: the freshness check log names it.',
      metric: new cloudwatch.Metric({
        namespace: 'Keepsake',
        metricName: 'StaleSources',
        statistic: 'Maximum',
        period: Duration.hours(1),
      }),
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  private alarm(
    id: string,
    props: Pick<cloudwatch.AlarmProps, 'alarmDescription' | 'metric' | 'treatMissingData'>,
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      ...props,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    return alarm;
  }
}
