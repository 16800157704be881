import { GetObjectTaggingCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ConnectionSchema } from '../../types/dataSource.ts';
import type { PasswordRef, S3Location } from '../../types/job.ts';
import { requireEnv } from '../shared/env.ts';
import type { DataSourceRecord } from '../shared/repositories/dataSources.ts';

/** Where backups are written: the bucket, its KMS key, and (local mode) an S3-compatible endpoint. */
export type BackupTarget = Pick<S3Location, 'bucket' | 'region' | 'kmsKeyId' | 'endpoint'>;

/** The S3 part of a runner job. */
export const s3LocationOf = (target: BackupTarget): S3Location => ({ ...target, ...(target.endpoint && { forcePathStyle: true }) });

/** The database part of a runner job: the source's connection and a reference to its secret, never the password. */
export function databaseAccessOf(source: DataSourceRecord): { connection: ReturnType<typeof ConnectionSchema.parse>; password: PasswordRef } {
  return {
    connection: ConnectionSchema.parse(source),
    password: { from: 'secretsManager', secretId: source.passwordSecretArn, jsonKey: 'password' },
  };
}

/**
 * The runner exited 0 but the object it should have written is missing or carries no checksum: a backup that
 * cannot be restored safely is not recorded as a success.
 */
export class BackupObjectMissing extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupObjectMissing';
  }
}

/** What the runner stored under a key: size, tags and metadata; undefined when there is no such object. */
export async function storedObject(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<{ bytes: number; tags: Record<string, string | undefined>; metadata: Record<string, string> } | undefined> {
  try {
    const [head, tagging] = await Promise.all([
      s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
      s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key })),
    ]);
    return { bytes: head.ContentLength ?? 0, tags: Object.fromEntries((tagging.TagSet ?? []).map((t) => [t.Key, t.Value])), metadata: head.Metadata ?? {} };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'NotFound' || name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** The target as the stack configures it: `BACKUP_BUCKET_NAME`, `BACKUP_KMS_KEY_ARN`, `KEEPSAKE_S3_ENDPOINT` (local). */
export function backupTargetFromEnv(env: NodeJS.ProcessEnv = process.env): BackupTarget {
  return {
    bucket: requireEnv('BACKUP_BUCKET_NAME', env),
    region: requireEnv('AWS_REGION', env),
    ...(env.BACKUP_KMS_KEY_ARN && { kmsKeyId: env.BACKUP_KMS_KEY_ARN }),
    ...(env.KEEPSAKE_S3_ENDPOINT && { endpoint: env.KEEPSAKE_S3_ENDPOINT }),
  };
}
