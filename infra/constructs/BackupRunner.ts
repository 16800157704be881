import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { caBundleKey } from '../../types/job.ts';

/** Subnets (and optionally a security group) the runner uses in an existing VPC, from the deploy context. */
export interface ExistingNetwork {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupId?: string;
  /** false for private subnets that reach S3 and Secrets Manager through a NAT gateway or VPC endpoints. */
  readonly assignPublicIp?: boolean;
}

export interface BackupRunnerProps {
  readonly bucket: s3.IBucket;
  readonly key: kms.IKey;
  readonly network?: ExistingNetwork;
  /** Fargate size; 1 vCPU / 2 GiB by default (the runner's peak RSS is ~150 MB, compression wants the cores). */
  readonly cpu?: number;
  readonly memoryMiB?: number;
  readonly logRetention?: logs.RetentionDays;
}

const RUNNER_DIR = fileURLToPath(new URL('../../containers/backup/', import.meta.url));

/**
 * Every backup key is `{sourceId}/{database}/{timestamp}{extension}`, the extension its format's (`.sql.gz`,
 * `.dump.gz`: all end in `.gz`, see types/engines.ts): grants on objects name this shape.
 */
export const BACKUP_OBJECTS = '*/*/*.gz';

/** Records why a grant on BACKUP_OBJECTS in the backup bucket is as narrow as it can be. */
export function acknowledgeBackupObjects(scope: Construct, bucket: s3.IBucket): void {
  const bucketId = Stack.of(scope).resolve((bucket.node.defaultChild as s3.CfnBucket).logicalId) as string;
  Validations.of(scope).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${BACKUP_OBJECTS}]`,
    reason:
      'Backup objects only (key shape {sourceId}/{database}/{timestamp}.sql.gz or .dump.gz in the dedicated backup bucket): keys are generated per backup, so no fixed ARN exists.',
  });
}

/** CA bundles the job-building Lambdas store for the runner (`ca-bundles/{sha256}.pem`): jobs name them by key. */
export const CA_BUNDLE_OBJECTS = caBundleKey('*');

/** Records why a grant on CA_BUNDLE_OBJECTS in the backup bucket is as narrow as it can be. */
export function acknowledgeCaBundleObjects(scope: Construct, bucket: s3.IBucket): void {
  const bucketId = Stack.of(scope).resolve((bucket.node.defaultChild as s3.CfnBucket).logicalId) as string;
  Validations.of(scope).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${CA_BUNDLE_OBJECTS}]`,
    reason:
      "CA bundles only (ca-bundles/{sha256}.pem in the dedicated backup bucket): a key is named by the bytes of a data source's CA, so no fixed ARN exists.",
  });
}

/** The container's name in the task definition; the state machines override its environment with the job. */
export const RUNNER_CONTAINER = 'runner';

/**
 * The backup runner as a Fargate task on Graviton (ARM64). Nothing runs while no backup does. Without an
 * existing network it gets a VPC of public subnets only (no NAT gateway: idle cost) and a public IP to reach
 * the database, S3 and Secrets Manager; inbound traffic is never allowed. The task role may read only the
 * data-source secrets and write only backup-shaped keys in the backup bucket.
 */
export class BackupRunner extends Construct {
  public readonly cluster: ecs.Cluster;
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly container: ecs.ContainerDefinition;
  public readonly securityGroup: ec2.ISecurityGroup;
  public readonly subnets: ec2.SubnetSelection;
  public readonly assignPublicIp: boolean;
  public readonly logGroup: logs.LogGroup;
  /** `{streamPrefix}/{container}` + `/{taskId}` is the log stream of one run. */
  public readonly logStreamPrefix: string;

  constructor(scope: Construct, id: string, props: BackupRunnerProps) {
    super(scope, id);
    const vpc = props.network
      ? ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
          vpcId: props.network.vpcId,
          availabilityZones: Stack.of(this).availabilityZones,
        })
      : new ec2.Vpc(this, 'Vpc', {
          maxAzs: 2,
          natGateways: 0,
          subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
        });
    Validations.of(vpc).acknowledge({
      id: 'AwsSolutions-VPC7',
      reason:
        'The VPC holds only short-lived runner tasks making outbound connections, and no inbound path exists; flow logs would add standing cost for no finding the runner logs and Step Functions history do not already give.',
    });
    this.subnets = props.network
      ? { subnets: props.network.subnetIds.map((subnetId, i) => ec2.Subnet.fromSubnetId(this, `Subnet${i}`, subnetId)) }
      : { subnetType: ec2.SubnetType.PUBLIC };
    this.assignPublicIp = props.network?.assignPublicIp ?? true;
    this.securityGroup = props.network?.securityGroupId
      ? ec2.SecurityGroup.fromSecurityGroupId(this, 'SecurityGroup', props.network.securityGroupId)
      : new ec2.SecurityGroup(this, 'SecurityGroup', {
          vpc,
          description: 'Keepsake runner: outbound only',
          allowAllOutbound: true,
        });

    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc, enableFargateCapacityProviders: true });
    Validations.of(this.cluster).acknowledge({
      id: 'AwsSolutions-ECS4',
      reason:
        'Container Insights bills custom metrics per task; each run is already fully described by its Step Functions history, its logs and the backup record.',
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu ?? 1024,
      memoryLimitMiB: props.memoryMiB ?? 2048,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    const streamPrefix = 'runner';
    this.container = this.taskDefinition.addContainer(RUNNER_CONTAINER, {
      containerName: RUNNER_CONTAINER,
      image: ecs.ContainerImage.fromAsset(RUNNER_DIR, { platform: Platform.LINUX_ARM64 }),
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix }),
      essential: true,
      readonlyRootFilesystem: true,
      user: '10001:10001',
      // ECS's init (docker --init) is PID 1 and forwards StopTask's SIGTERM to the runner. As PID 1 itself, the
      // runner would lose a SIGTERM that arrives while Node is still starting, before its handlers exist: the job
      // would then start anyway and be SIGKILLed 30 s later, leaving its option file and multipart parts behind.
      linuxParameters: new ecs.LinuxParameters(this, 'RunnerLinux', { initProcessEnabled: true }),
    });
    // The runner writes its private MySQL option file to /tmp: the only writable place.
    this.taskDefinition.addVolume({ name: 'tmp' });
    this.container.addMountPoints({ containerPath: '/tmp', sourceVolume: 'tmp', readOnly: false });
    this.logStreamPrefix = `${streamPrefix}/${RUNNER_CONTAINER}`;

    this.grantJobAccess(this.taskDefinition.taskRole, props);
  }

  private grantJobAccess(role: iam.IRole, props: BackupRunnerProps): void {
    const stack = Stack.of(this);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [
          stack.formatArn({
            service: 'secretsmanager',
            resource: 'secret',
            resourceName: 'keepsake/data-source/*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    // Backup keys are `{sourceId}/{database}/{timestamp}.sql.gz` or `.dump.gz`: the runner can touch nothing else.
    // Restores and verifications read the version their backup recorded (s3:GetObjectVersion*), not the key's newest.
    const backupObjects = props.bucket.arnForObjects(BACKUP_OBJECTS);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          's3:PutObject',
          's3:AbortMultipartUpload',
          's3:PutObjectTagging',
          's3:GetObject',
          's3:GetObjectTagging',
          's3:GetObjectVersion',
          's3:GetObjectVersionTagging',
          's3:DeleteObject',
        ],
        resources: [backupObjects],
      }),
    );
    props.key.grant(role, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
    acknowledgeBackupObjects(role, props.bucket);
    // A job names its data source's CA bundle by key (it does not fit RunTask's overrides): read, never written.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [props.bucket.arnForObjects(CA_BUNDLE_OBJECTS)],
      }),
    );
    acknowledgeCaBundleObjects(role, props.bucket);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:keepsake/data-source/*]',
      reason:
        'Data-source passwords only: the API creates one secret per source under keepsake/data-source/, named at run time.',
    });
    Validations.of(this.taskDefinition.obtainExecutionRole()).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken (to pull the runner image) supports no resource-level permissions.',
    });
  }
}
