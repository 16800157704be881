import { GetObjectTaggingCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { Backup } from '../../types/backup.ts';
import { ConnectionSchema } from '../../types/dataSource.ts';
import {
  caBundleKey,
  type BackupObjectRef,
  type CaBundleRef,
  type JobConnection,
  type PasswordRef,
  type S3Location,
} from '../../types/job.ts';
import { requireEnv } from '../shared/env.ts';
import type { DataSourceRecord } from '../shared/repositories/dataSources.ts';

/** Where backups are written: the bucket, its KMS key, and (local mode) an S3-compatible endpoint. */
export type BackupTarget = Pick<S3Location, 'bucket' | 'region' | 'kmsKeyId' | 'endpoint'>;

/** The S3 part of a runner job. */
export const s3LocationOf = (target: BackupTarget): S3Location => ({
  ...target,
  ...(target.endpoint && { forcePathStyle: true }),
});

/** What a Lambda that describes runner jobs needs: where jobs point the runner, and a client to store CA bundles there. */
export interface JobDeps {
  readonly target: BackupTarget;
  readonly s3: S3Client;
}

/**
 * The database part of a runner job: the source's connection and a reference to its secret, never the password.
 * A CA bundle is stored in the bucket and named by reference (`storeCaBundle`): the job must fit RunTask's overrides.
 */
export async function databaseAccessOf(
  deps: JobDeps,
  source: DataSourceRecord,
): Promise<{ connection: JobConnection; password: PasswordRef }> {
  const { tls, ...connection } = ConnectionSchema.parse(source);
  const { caPem, ...rest } = tls;
  return {
    connection: {
      ...connection,
      tls: caPem === undefined ? rest : { ...rest, caBundle: await storeCaBundle(deps, caPem) },
    },
    password: { from: 'secretsManager', secretId: source.passwordSecretArn, jsonKey: 'password' },
  };
}

/**
 * Stores a CA bundle under `ca-bundles/{sha256}.pem` (SSE-KMS with the backups' key) unless it is there already:
 * `If-None-Match: *` makes the write create-only, so a versioned bucket gains no version per job. The key names the
 * bytes, so one that exists holds this bundle (the runner checks the SHA-256 all the same).
 */
export async function storeCaBundle(deps: JobDeps, caPem: string): Promise<CaBundleRef> {
  const body = Buffer.from(caPem, 'utf8');
  const sha256 = createHash('sha256').update(body).digest('hex');
  const key = caBundleKey(sha256);
  const { bucket, kmsKeyId } = deps.target;
  try {
    await deps.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: 'application/x-pem-file',
        IfNoneMatch: '*',
        ...(kmsKeyId && { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: kmsKeyId }),
      }),
    );
  } catch (error) {
    // 412: stored before. 409: another job is storing the same bytes at this moment (S3 lets one of them win).
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 412 && status !== 409) throw error;
  }
  return { key, sha256 };
}

/** The part of a restore or verify job that names a backup's object: its key, version, ETag and checksum. */
export function backupObjectOf(
  key: string,
  sha256: string,
  backup: Pick<Backup, 's3VersionId' | 's3ETag'>,
): BackupObjectRef {
  return {
    key,
    expectedSha256: sha256,
    ...(backup.s3VersionId && { versionId: backup.s3VersionId }),
    ...(backup.s3ETag && { etag: backup.s3ETag }),
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

/** What the runner stored under a key, as one object version: its ids, size, tags and metadata. */
export interface StoredObject {
  /** Absent where the store keeps no versions (s3rver). */
  readonly versionId?: string;
  readonly etag?: string;
  readonly bytes: number;
  readonly tags: Record<string, string | undefined>;
  readonly metadata: Record<string, string>;
}

/**
 * What the runner stored under a key; undefined when there is no such object. The tags are read from the version
 * HeadObject found, so the record's checksum and version describe the same bytes even if the key is written again.
 */
export async function storedObject(s3: S3Client, bucket: string, key: string): Promise<StoredObject | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const tagging = await s3.send(
      new GetObjectTaggingCommand({ Bucket: bucket, Key: key, ...(head.VersionId && { VersionId: head.VersionId }) }),
    );
    return {
      ...(head.VersionId && { versionId: head.VersionId }),
      ...(head.ETag && { etag: head.ETag }),
      bytes: head.ContentLength ?? 0,
      tags: Object.fromEntries((tagging.TagSet ?? []).map((t) => [t.Key, t.Value])),
      metadata: head.Metadata ?? {},
    };
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
