import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { Connection } from '../../../types/dataSource.ts';
import type { CaBundleRef, JobConnection, S3Location } from '../../../types/job.ts';
import { RunnerError, messageOf } from './errors.ts';

/** A data source's CA is at most 200,000 characters; anything much larger under the key is not a bundle it stored. */
const MAX_BUNDLE_BYTES = 1024 * 1024;

/**
 * The connection as the client tools take it: a CA bundle the job names by reference is read from the job's bucket
 * and must hash to the SHA-256 the job gives, or the job fails before it connects (nothing dumped or restored).
 * A connection with an inline `caPem` (a hand-written job) or no CA is returned as it is.
 */
export async function resolveConnection(
  connection: JobConnection,
  s3: S3Client,
  location: S3Location,
): Promise<Connection> {
  const { caBundle, ...tls } = connection.tls;
  if (!caBundle) return { ...connection, tls };
  return { ...connection, tls: { ...tls, caPem: await readCaBundle(s3, location, caBundle) } };
}

async function readCaBundle(s3: S3Client, location: S3Location, ref: CaBundleRef): Promise<string> {
  const where = `CA bundle s3://${location.bucket}/${ref.key}`;
  let bytes: Uint8Array;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: ref.key }));
    if (!out.Body) throw new Error('no body');
    if ((out.ContentLength ?? 0) > MAX_BUNDLE_BYTES)
      throw new Error(`${out.ContentLength} bytes is more than a CA bundle holds`);
    bytes = await out.Body.transformToByteArray();
  } catch (error) {
    const name = (error as Error).name;
    const why = name === 'NoSuchKey' || name === 'NotFound' ? 'does not exist' : `cannot be read: ${messageOf(error)}`;
    throw new RunnerError(`${where} ${why}`, { cause: error });
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== ref.sha256) {
    throw new RunnerError(
      `${where} has SHA-256 ${sha256}, not the ${ref.sha256} the job names: it is not the data source's CA, so the runner will not connect with it`,
    );
  }
  return Buffer.from(bytes).toString('utf8');
}
