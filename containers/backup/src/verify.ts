import type { S3Client } from '@aws-sdk/client-s3';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { BackupObjectRef, S3Location, VerifyJob, VerifyResult } from '../../../types/job.ts';
import type { JobContext } from './context.ts';
import { readerForKey } from './engines/index.ts';
import { childEnv } from './passwordSource.ts';
import { reportProgress } from './progress.ts';
import { createS3Client, openObject, type ObjectPin } from './s3Store.ts';
import { DigestTap } from './streamTaps.ts';

export interface ObjectCheck {
  readonly sha256?: string;
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
  /** Tables in the dump, as its format counts them; undefined when it is not a sound backup. */
  readonly tables?: number;
  /** Why the object is not a sound backup; undefined when it is. */
  readonly problem?: string;
  /** The version and ETag of the bytes judged: a read pinned to them gets those bytes again, or fails. */
  readonly pin: ObjectPin;
}

const discard = (): Writable => new Writable({ write: (_chunk, _enc, callback) => callback() });

/** zlib's errors (bad header, data check, truncated input) mean damaged gzip data, not a failed read. */
export function isZlibError(error: unknown): boolean {
  return typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('Z_');
}

/**
 * Streams an object once (the version and ETag the job names, if it names them) and judges it: the SHA-256 of its
 * bytes against the recorded one, the gzip members' own CRCs and lengths, and the dump's wholeness as its format
 * (read from the key) proves it: MySQL's completion trailer, PostgreSQL's archive read through by pg_restore. S3
 * read errors, a replaced object among them, are thrown, not reported as corruption.
 */
export async function checkObject(
  s3: S3Client,
  location: S3Location,
  object: BackupObjectRef,
  ctx: JobContext = {},
  toolEnv: NodeJS.ProcessEnv = childEnv(undefined, [], ctx.env ?? process.env),
): Promise<ObjectCheck> {
  const { expectedSha256 } = object;
  const reader = readerForKey(object.key);
  const { body, pin } = await openObject(s3, location, object.key, object);
  const digest = new DigestTap();
  const watch = await reader.watch('check', ctx, toolEnv);
  const progress = reportProgress(ctx.onProgress, ctx.progressIntervalMs ?? 2000, () => ({
    phase: 'verifying',
    bytesRead: digest.bytes,
    bytesWritten: watch.bytes,
  }));
  let gzipProblem: string | undefined;
  try {
    await pipeline(body, digest, createGunzip(), watch.stage, discard(), { signal: ctx.signal });
  } catch (error) {
    if (!isZlibError(error)) {
      await watch.verdict();
      throw error;
    }
    gzipProblem = `gzip data is damaged within the first ${digest.bytes} stored bytes (${(error as Error).message})`;
  } finally {
    progress.stop();
  }
  const verdict = await watch.verdict();
  // After a gzip error the object was not read to its end, so its digest would describe only a prefix.
  const sha256 = gzipProblem ? undefined : digest.digest();
  const problems = [
    sha256 !== undefined && sha256 !== expectedSha256
      ? `SHA-256 mismatch: recorded ${expectedSha256}, object has ${sha256}`
      : undefined,
    gzipProblem,
    !gzipProblem && 'problem' in verdict ? verdict.problem : undefined,
  ].filter((p): p is string => p !== undefined);
  return {
    ...(sha256 !== undefined && { sha256 }),
    compressedBytes: digest.bytes,
    uncompressedBytes: watch.bytes,
    ...(problems.length === 0 && 'tables' in verdict && { tables: verdict.tables }),
    ...(problems.length > 0 && { problem: problems.join('; ') }),
    pin,
  };
}

/** Verify mode: reads the object end to end without writing anywhere and reports ok or corrupt with the reason. */
export async function runVerify(job: VerifyJob, ctx: JobContext = {}): Promise<VerifyResult> {
  const started = Date.now();
  const check = await checkObject(createS3Client(job.s3), job.s3, job, ctx);
  return {
    ok: check.problem === undefined,
    mode: 'verify',
    key: job.key,
    status: check.problem === undefined ? 'ok' : 'corrupt',
    ...(check.problem !== undefined && { reason: check.problem }),
    ...(check.sha256 !== undefined && { sha256: check.sha256 }),
    compressedBytes: check.compressedBytes,
    uncompressedBytes: check.uncompressedBytes,
    durationMs: Date.now() - started,
  };
}
