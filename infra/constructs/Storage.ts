import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { TABLE_INDEXES, TABLE_KEYS, TTL_ATTRIBUTE, indexKeys } from '../../types/table.ts';

export interface StorageProps {
  /** Object Lock (compliance-grade immutability) can only be chosen when the bucket is created. */
  readonly objectLock?: boolean;
  /**
   * With Object Lock, how long each backup version is locked (governance mode) from when it is written: without a
   * default retention, Object Lock locks nothing. 30 days by default.
   */
  readonly objectLockDays?: number;
}

/**
 * Where backups live: a customer-managed KMS key and a private, versioned, TLS-only bucket encrypted with it.
 * Incomplete multipart uploads (a backup that failed mid-stream) are aborted after a day, and every access is
 * logged to a separate bucket. The one DynamoDB table (on-demand, point-in-time recovery, same key) holds
 * every record. All of it survives `cdk destroy`: backups and their history must outlive the stack.
 */
export class Storage extends Construct {
  public readonly key: kms.Key;
  public readonly bucket: s3.Bucket;
  public readonly table: dynamodb.Table;
  /** Server access logs of every bucket, and CloudFront's standard logs (it has ACLs enabled, which CloudFront needs). */
  public readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Keepsake backups',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new s3.Bucket(this, 'Backups', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      versioned: true,
      objectLockEnabled: props.objectLock ?? false,
      ...(props.objectLock && {
        objectLockDefaultRetention: s3.ObjectLockRetention.governance(Duration.days(props.objectLockDays ?? 30)),
      }),
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'backups/',
      lifecycleRules: [
        { abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // Retention deletes through the API; old versions only linger as a short undo window.
        { noncurrentVersionExpiration: Duration.days(7) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const stringKey = (name: string) => ({ name, type: dynamodb.AttributeType.STRING });
    // Table, not TableV2: a TableV2 with a customer key needs a region-bound stack, and synth stays region-agnostic.
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: stringKey(TABLE_KEYS.partition),
      sortKey: stringKey(TABLE_KEYS.sort),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // Every record (sources, schedules, the backup history) lives here: deleting it takes a deliberate step.
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of TABLE_INDEXES) {
      this.table.addGlobalSecondaryIndex({
        indexName: index,
        partitionKey: stringKey(indexKeys(index).partition),
        sortKey: stringKey(indexKeys(index).sort),
      });
    }
  }
}
