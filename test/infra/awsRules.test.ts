import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runnerImage, runnerTaskDefinition } from '../../scripts/local/fargateTask.ts';
import {
  machinesThatMayPublish,
  resourcePolicyAllows,
  type PolicyStatement,
  type Request,
} from '../../scripts/local/resourcePolicy.ts';
import { keepsakeApp, keepsakeTemplate } from '../../scripts/local/stack.ts';
import {
  PSEUDO_PARAMETERS,
  stateMachineDefinition,
  type AslDefinition,
  type AslState,
} from '../../scripts/local/stateMachines.ts';

/**
 * What the synthesized template must hold for a first real deploy to work, beyond what cdk-nag checks: AWS's own
 * rules (who may publish to a topic, what Fargate makes writable, CloudFormation's names and limits).
 */

type Resource = {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};
let resources: Record<string, Resource>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const { 'AWS::AccountId': ACCOUNT, 'AWS::Region': REGION } = PSEUDO_PARAMETERS;

beforeAll(() => {
  resources = keepsakeTemplate({ alarmEmail: 'ops@example.com' }).toJSON().Resources as Record<string, Resource>;
});

/** CloudWatch publishing alarm `alarmId`'s notification, as it calls SNS and KMS for it. */
function cloudWatchFor(alarmName: string, action: string, resource: string): Request {
  return {
    principal: { service: 'cloudwatch.amazonaws.com' },
    action,
    resource,
    context: {
      'aws:SecureTransport': 'true',
      'aws:SourceAccount': ACCOUNT!,
      'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${alarmName}`,
    },
  };
}

function topicStatements(topicId: string): PolicyStatement[] {
  return ofType('AWS::SNS::TopicPolicy')
    .filter(([, p]) => (p.Properties?.Topics as { Ref?: string }[]).some((t) => t.Ref === topicId))
    .flatMap(([, p]) => (p.Properties?.PolicyDocument as { Statement: PolicyStatement[] }).Statement);
}

describe('AWS rules the template must keep', () => {
  it('lets CloudWatch publish every alarm to its topic, and use the topic key, for this stack alarms only', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(4);
    for (const [alarmId, alarm] of alarms) {
      // CloudFormation names an alarm without a name `{stack}-{logicalId}-{suffix}`.
      const alarmName = `Keepsake-${alarmId}-1A2B3C4D5E6F`;
      for (const action of alarm.Properties?.AlarmActions as { Ref: string }[]) {
        const topic = resources[action.Ref]!;
        expect(topic.Type).toBe('AWS::SNS::Topic');
        const statements = topicStatements(action.Ref);
        expect(
          resourcePolicyAllows(statements, cloudWatchFor(alarmName, 'sns:Publish', `<${action.Ref}>`)),
          `${alarmId} → ${action.Ref}`,
        ).toBe(true);
        // Another account's alarm (confused deputy) and a publish without TLS are refused.
        const foreign = cloudWatchFor(alarmName, 'sns:Publish', `<${action.Ref}>`);
        expect(
          resourcePolicyAllows(statements, {
            ...foreign,
            context: { ...foreign.context, 'aws:SourceAccount': '999999999999' },
          }),
        ).toBe(false);
        expect(
          resourcePolicyAllows(statements, {
            ...foreign,
            context: { ...foreign.context, 'aws:SecureTransport': 'false' },
          }),
        ).toBe(false);

        const keyId = (topic.Properties?.KmsMasterKeyId as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
        const keyPolicy = (resources[keyId]!.Properties?.KeyPolicy as { Statement: PolicyStatement[] }).Statement;
        for (const kmsAction of ['kms:GenerateDataKey', 'kms:Decrypt']) {
          expect(
            resourcePolicyAllows(keyPolicy, cloudWatchFor(alarmName, kmsAction, '*')),
            `${alarmId}: ${kmsAction} on ${keyId}`,
          ).toBe(true);
        }
        expect(resourcePolicyAllows(keyPolicy, cloudWatchFor('SomeoneElses-Alarm', 'kms:GenerateDataKey', '*'))).toBe(
          false,
        );
      }
    }
  });

  it('mounts a volume at every path the runner writes, declared by the image so that the task user may write it', () => {
    const task = runnerTaskDefinition(keepsakeTemplate());
    const image = runnerImage();
    expect(task.readonlyRootFilesystem).toBe(true);
    // The runner writes its private option and CA files under os.tmpdir(), which is /tmp in the image.
    expect(image.env.TMPDIR ?? '/tmp').toBe('/tmp');
    expect(task.mountPoints).toContainEqual({ containerPath: '/tmp', sourceVolume: 'tmp', readOnly: false });
    for (const mount of task.mountPoints.filter((m) => !m.readOnly)) {
      const declared = image.volumes.find((v) => v.path === mount.containerPath);
      expect(
        declared,
        `${mount.containerPath} is a VOLUME of the image (else Fargate mounts it root 0755)`,
      ).toBeDefined();
      // Root keeps ownership: only world-writable with the sticky bit lets user 10001 write there and no one else's files.
      expect(declared!.mode & 0o1777).toBe(0o1777);
    }
  });

  it('retains nothing with a fixed physical name (a later deploy would meet it as "already exists")', () => {
    const NAME_PROPERTIES = [
      'Name',
      'BucketName',
      'TableName',
      'LogGroupName',
      'TopicName',
      'QueueName',
      'FunctionName',
      'RoleName',
      'AliasName',
      'StateMachineName',
      'ClusterName',
      'UserPoolName',
      'RepositoryName',
      'GroupName',
    ];
    const retainedWithFixedNames = Object.entries(resources).flatMap(([id, r]) => {
      if (
        r.DeletionPolicy !== 'Retain' &&
        r.DeletionPolicy !== 'RetainExceptOnCreate' &&
        r.UpdateReplacePolicy !== 'Retain'
      )
        return [];
      return NAME_PROPERTIES.filter(
        (p) => r.Properties?.[p] !== undefined && !JSON.stringify(r.Properties[p]).includes('AWS::StackId'),
      ).map((p) => `${id}.${p}`);
    });
    expect(retainedWithFixedNames).toEqual([]);
  });

  it('puts every state machine log group under /aws/vendedlogs/states/, named per stack instance', () => {
    const machines = ofType('AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(4);
    for (const [id, machine] of machines) {
      const destination = (
        machine.Properties?.LoggingConfiguration as {
          Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': string[] } } }[];
        }
      ).Destinations[0]!;
      const groupId = destination.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0]!;
      const name = resources[groupId]!.Properties?.LogGroupName as { 'Fn::Join': [string, unknown[]] };
      expect(name['Fn::Join'][1][0], id).toMatch(/^\/aws\/vendedlogs\/states\//);
      expect(JSON.stringify(name), id).toContain('AWS::StackId');
    }
  });

  it('retries Lambda throttling in every Lambda task and RunTask refusals in every ECS task', () => {
    const template = keepsakeTemplate();
    const tasks = (definition: AslDefinition): AslState[] =>
      Object.values(definition.States).flatMap((state) =>
        state.ItemProcessor ? tasks(state.ItemProcessor) : state.Type === 'Task' ? [state] : [],
      );
    const retried = (state: AslState, error: string) => (state.Retry ?? []).some((r) => r.ErrorEquals.includes(error));
    let lambdaTasks = 0;
    for (const name of ['Backup', 'Restore', 'Verify', 'Sweeper']) {
      for (const task of tasks(stateMachineDefinition(template, `Orchestration${name}`))) {
        // payloadResponseOnly tasks name the function itself: `<LogicalId.Arn>`.
        const functionId = /^<(.+)\.Arn>$/.exec(task.Resource ?? '')?.[1];
        if (
          task.Resource?.endsWith(':states:::lambda:invoke') ||
          resources[functionId ?? '']?.Type === 'AWS::Lambda::Function'
        ) {
          lambdaTasks++;
          expect(retried(task, 'Lambda.TooManyRequestsException'), `${name}: ${JSON.stringify(task.Parameters)}`).toBe(
            true,
          );
        }
        if (task.Resource?.endsWith(':states:::ecs:runTask.sync'))
          expect(retried(task, 'AmazonECS.Unknown'), name).toBe(true);
      }
    }
    expect(lambdaTasks).toBeGreaterThan(10);
  });

  it('lets EventBridge Scheduler assume its roles only for this account and a named schedule group', () => {
    const schedulerRoles = ofType('AWS::IAM::Role').filter(([, r]) =>
      JSON.stringify(r.Properties?.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'),
    );
    expect(schedulerRoles.length).toBeGreaterThanOrEqual(3);
    for (const [id, role] of schedulerRoles) {
      for (const statement of (role.Properties?.AssumeRolePolicyDocument as { Statement: PolicyStatement[] })
        .Statement) {
        expect(statement.Condition?.StringEquals, id).toEqual({
          'aws:SourceAccount': { Ref: 'AWS::AccountId' },
          'aws:SourceArn': expect.anything(),
        });
      }
    }
  });

  it('protects the table from deletion and, with Object Lock, locks each backup by default', () => {
    const [[, table]] = ofType('AWS::DynamoDB::Table') as [[string, Resource]];
    expect(table.Properties?.DeletionProtectionEnabled).toBe(true);
    const locked = keepsakeTemplate({ objectLock: 'true', objectLockDays: '45' }).toJSON().Resources as Record<
      string,
      Resource
    >;
    const buckets = Object.values(locked).filter(
      (r) => r.Type === 'AWS::S3::Bucket' && r.Properties?.ObjectLockEnabled === true,
    );
    expect(buckets).toHaveLength(1);
    expect(buckets[0]!.Properties?.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 45 } },
    });
  });

  it('ships the console without source maps', () => {
    const assembly = keepsakeApp().app.synth();
    const siteAssets = readdirSync(assembly.directory, { withFileTypes: true })
      .filter(
        (d) =>
          d.isDirectory() &&
          d.name.startsWith('asset.') &&
          readdirSync(join(assembly.directory, d.name)).includes('index.html'),
      )
      .map((d) => d.name);
    expect(siteAssets.length).toBeGreaterThan(0);
    for (const dir of siteAssets) {
      const files = readdirSync(join(assembly.directory, dir), { recursive: true }).map(String);
      expect(
        files.some((f) => f.endsWith('.js')),
        'the built console is in the asset',
      ).toBe(true);
      expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    }
  });
});

describe('who may publish to the alerts topic', () => {
  it('lets every state machine that notifies publish, as SNS decides it from the synthesized policies', () => {
    expect(machinesThatMayPublish(keepsakeTemplate()).sort()).toEqual(['Backup', 'Restore', 'Sweeper', 'Verify']);
  });
});
