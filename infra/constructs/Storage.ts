import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface StorageProps {
  /** Object Lock (compliance-grade immutability) can only be chosen when the bucket is created. */
  readonly objectLock?: boolean;
}

/**
 * Where backups live: a customer-managed KMS key and a private, versioned, TLS-only bucket encrypted with it.
 * Incomplete multipart uploads (a backup that failed mid-stream) are aborted after a day, and every access is
 * logged to a separate bucket. Both survive `cdk destroy`: backups must outlive the stack that made them.
 */
export class Storage extends Construct {
  public readonly key: kms.Key;
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Keepsake backups',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
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
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'backups/',
      lifecycleRules: [
        { abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // Retention deletes through the API; old versions only linger as a short undo window.
        { noncurrentVersionExpiration: Duration.days(7) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
