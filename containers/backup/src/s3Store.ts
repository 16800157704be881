import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  PutObjectTaggingCommand,
  S3Client,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import { RESULT_TAGS, type S3Location } from '../../../types/job.ts';
import { RunnerError } from './errors.ts';

/**
 * S3 client for one job. Against a custom endpoint (s3rver locally) the SDK's default request checksums are
 * switched off, as that server rejects them; against AWS they stay on.
 */
export function createS3Client(location: S3Location): S3Client {
  const custom = location.endpoint !== undefined;
  const client = new S3Client({
    region: location.region,
    ...(custom && {
      endpoint: location.endpoint,
      forcePathStyle: location.forcePathStyle ?? true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  });
  skipPayloadSigning(client);
  return client;
}

const PAYLOAD_HASH_HEADER = 'x-amz-content-sha256';
const UPLOADS = new Set(['UploadPartCommand', 'PutObjectCommand']);

/**
 * Uploads are sent with `UNSIGNED-PAYLOAD`, as the AWS CLI sends them: otherwise the signer hashes every part
 * once more (a second SHA-256 over the whole backup, on the task's CPU). Their integrity does not rest on that
 * hash: TLS and the SDK's CRC32 part checksums cover transit, and the backup's own SHA-256 covers the object.
 */
function skipPayloadSigning(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (UPLOADS.has(context.commandName ?? '') && request.headers && !(PAYLOAD_HASH_HEADER in request.headers)) {
        request.headers[PAYLOAD_HASH_HEADER] = 'UNSIGNED-PAYLOAD';
      }
      return next(args);
    },
    { step: 'build', name: 'keepsakeUnsignedUploads' },
  );
}

/** Calls `onFailure` as soon as any upload request of this client fails for good (after the SDK's retries). */
export function onUploadFailure(client: S3Client, onFailure: (error: unknown) => void): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        onFailure(error);
        throw error;
      }
    },
    { step: 'initialize', name: 'keepsakeFailFast' },
  );
}

export interface StreamUpload {
  readonly client: S3Client;
  readonly location: S3Location;
  readonly key: string;
  readonly body: Readable;
  readonly metadata: Record<string, string>;
  /** The format's (types/engines.ts): the object IS a .gz file, never sent with `Content-Encoding: gzip`. */
  readonly contentType: string;
  readonly partSizeBytes: number;
  readonly queueSize: number;
}

/**
 * Multipart upload of a stream of unknown length. If the body errors, lib-storage aborts the multipart upload
 * before `done()` settles, so a failed backup leaves no object and no orphaned parts behind.
 */
export async function uploadStream(upload: StreamUpload): Promise<void> {
  const { location } = upload;
  const encryption: { ServerSideEncryption?: ServerSideEncryption; SSEKMSKeyId?: string } = location.kmsKeyId
    ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: location.kmsKeyId }
    : {};
  await new Upload({
    client: upload.client,
    params: {
      Bucket: location.bucket,
      Key: upload.key,
      Body: upload.body,
      // The object IS a .gz file, not a dump sent gzip-encoded: with `Content-Encoding: gzip` browsers and fetch()
      // inflate the download and save the plain dump under a .gz name, and its SHA-256 no longer matches.
      ContentType: upload.contentType,
      Metadata: upload.metadata,
      ...encryption,
    },
    partSize: upload.partSizeBytes,
    queueSize: upload.queueSize,
    leavePartsOnError: false,
  }).done();
}

export async function tagChecksum(
  client: S3Client,
  location: S3Location,
  key: string,
  tags: Record<string, string>,
): Promise<void> {
  await client.send(
    new PutObjectTaggingCommand({
      Bucket: location.bucket,
      Key: key,
      Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
    }),
  );
}

/** Which stored bytes a read must get: one version of the object, and/or the object whose ETag this is. */
export interface ObjectPin {
  readonly versionId?: string;
  readonly etag?: string;
}

/** The checksum tagged on the object (on its pinned version) at backup time, or undefined when it carries none. */
export async function readTaggedChecksum(
  client: S3Client,
  location: S3Location,
  key: string,
  pin: ObjectPin = {},
): Promise<string | undefined> {
  const out = await client
    .send(
      new GetObjectTaggingCommand({
        Bucket: location.bucket,
        Key: key,
        ...(pin.versionId && { VersionId: pin.versionId }),
      }),
    )
    .catch((error: unknown) => {
      throw objectError(error, location, key, pin);
    });
  return out.TagSet?.find((tag) => tag.Key === RESULT_TAGS.sha256)?.Value;
}

/** An object's body, with the version and ETag of the bytes it streams (what a later read must pin to get them again). */
export interface OpenedObject {
  readonly body: Readable;
  readonly pin: ObjectPin;
}

/**
 * GetObject of the pinned version, with `If-Match` on the pinned ETag. The answer's own ETag is checked as well:
 * a store that ignores `If-Match` (s3rver) serves whatever the key holds now, and that must not pass for the pin.
 */
export async function openObject(
  client: S3Client,
  location: S3Location,
  key: string,
  pin: ObjectPin = {},
): Promise<OpenedObject> {
  const out = await client
    .send(
      new GetObjectCommand({
        Bucket: location.bucket,
        Key: key,
        ...(pin.versionId && { VersionId: pin.versionId }),
        ...(pin.etag && { IfMatch: pin.etag }),
      }),
    )
    .catch((error: unknown) => {
      throw objectError(error, location, key, pin);
    });
  const body = out.Body as Readable | undefined;
  if (!body) throw new RunnerError(`s3://${location.bucket}/${key} has no body`);
  if (pin.etag !== undefined && out.ETag !== pin.etag) {
    body.destroy();
    throw new RunnerError(`s3://${location.bucket}/${key} ${replaced(pin, out.ETag ?? 'none')}`);
  }
  return { body, pin: { ...(out.VersionId && { versionId: out.VersionId }), ...(out.ETag && { etag: out.ETag }) } };
}

const replaced = (pin: ObjectPin, now?: string): string =>
  `is no longer the object recorded at backup time: it was written again since (recorded ETag ${pin.etag}${now === undefined ? '' : `, now ${now}`})`;

function objectError(error: unknown, location: S3Location, key: string, pin: ObjectPin = {}): RunnerError {
  const name = (error as Error).name;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const what =
    name === 'PreconditionFailed' || status === 412
      ? replaced(pin)
      : name === 'NoSuchVersion'
        ? `has no version ${pin.versionId} (the version recorded at backup time was deleted)`
        : name === 'NoSuchKey' || name === 'NotFound'
          ? 'does not exist'
          : `cannot be read (${name}: ${(error as Error).message})`;
  return new RunnerError(`s3://${location.bucket}/${key} ${what}`, { cause: error });
}

const MiB = 1024 * 1024;
const MAX_PARTS = 10_000;

/**
 * The smallest part size (whole MiB, at least S3's 5 MiB) that fits the backup in S3's 10,000 parts, sized
 * for compressed output as large as twice the server's data+index estimate: real dumps compress well below it.
 */
export function partSizeFor(dataBytes: number): number {
  return Math.max(5, Math.ceil((dataBytes * 2) / MAX_PARTS / MiB)) * MiB;
}
