import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import {
  RESULT_TAGS,
  SERVER_VERSION_METADATA,
  backupKey,
  type BackupJob,
  type BackupResult,
  type SkippedResult,
} from '../../../types/job.ts';
import type { ProgressPhase } from '../../../types/jobLogs.ts';
import { DUMP_FORMATS } from '../../../types/engines.ts';
import { resolveConnection } from './caBundle.ts';
import type { JobContext } from './context.ts';
import { engineFor } from './engines/index.ts';
import { RunnerError, messageOf } from './errors.ts';
import { FailureOwner } from './failureOwner.ts';
import { createCompressor } from './compressor.ts';
import { resolvePassword } from './passwordSource.ts';
import { describeExit, waitForExit } from './processes.ts';
import { reportProgress } from './progress.ts';
import { createS3Client, onUploadFailure, partSizeFor, tagChecksum, uploadStream } from './s3Store.ts';
import { DigestTap, FinishGate } from './streamTaps.ts';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';

/**
 * The engine's dump tool → its watch → gzip (parallel members) → SHA-256 → multipart upload, streamed with
 * constant memory. The upload can only complete after the dump is proven whole (the tool's exit status and the
 * engine's own check of the stream, such as MySQL's completion trailer); any failure of any stage aborts the upload,
 * so a failed backup never leaves an object under its key.
 */

export async function runBackup(job: BackupJob, ctx: JobContext = {}): Promise<BackupResult> {
  return runBackupJob(job, ctx, false);
}

/**
 * `runBackup`, except that with `skipIfDatabaseMissing` (the safety backup before a restore) a database that
 * does not exist ends the job with a `skipped` result instead of an error. The runner command runs jobs with this.
 */
export async function runBackupOrSkip(job: BackupJob, ctx: JobContext = {}): Promise<BackupResult | SkippedResult> {
  return runBackupJob(job, ctx, job.skipIfDatabaseMissing);
}

function runBackupJob(job: BackupJob, ctx: JobContext, maySkip: false): Promise<BackupResult>;
function runBackupJob(job: BackupJob, ctx: JobContext, maySkip: boolean): Promise<BackupResult | SkippedResult>;
async function runBackupJob(job: BackupJob, ctx: JobContext, maySkip: boolean): Promise<BackupResult | SkippedResult> {
  const started = Date.now();
  const env = ctx.env ?? process.env;
  const s3 = createS3Client(job.s3);
  const [password, connection] = await Promise.all([
    resolvePassword(job.password, env),
    resolveConnection(job.connection, s3, job.s3),
  ]);
  const engine = engineFor(connection.engine);
  const { database } = connection;
  const key = job.key ?? backupKey(connection.engine, job.sourceId, database, new Date(started));
  const access = { connection, password, passwordRef: job.password, connectTimeoutSeconds: job.connectTimeoutSeconds };

  return engine.withSession(access, ctx, async (session): Promise<BackupResult | SkippedResult> => {
    if (maySkip && !(await session.databaseExists(database))) {
      return {
        ok: true,
        mode: 'skipped',
        reason: `database "${database}" does not exist: nothing to back up`,
        durationMs: Date.now() - started,
      };
    }
    const server = await session.probe(database);
    const owner = new FailureOwner();
    owner.follow(ctx.signal);
    onUploadFailure(s3, (error) =>
      owner.fail(new RunnerError(`upload to s3://${job.s3.bucket}/${key} failed: ${messageOf(error)}`)),
    );

    // Ready before the dump starts: nothing may be awaited between its spawn and the pipeline reading its stdout,
    // or a dump that ends meanwhile is lost (Node resumes, and so discards, an exited child's unread stdout).
    const compressor = await createCompressor(job, ctx);
    owner.signal.addEventListener('abort', () => compressor.stream.destroy());
    const watch = await engine.reader.watch('backup', ctx, session.childEnv);
    owner.signal.addEventListener('abort', () => watch.stage.destroy());
    const tool = session.dumpTool;
    const [command, args] = session.dumpCommand(database);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: session.childEnv });
    ctx.onSpawn?.(child, tool);
    const exited = waitForExit(child, session.secrets);
    owner.signal.addEventListener('abort', () => child.kill('SIGKILL'));
    const digest = new DigestTap();
    let tables = 0;
    const gate = new FinishGate(async () => {
      const status = await exited;
      if (status.code !== 0) throw new RunnerError(describeExit(tool, status));
      await compressor.finished;
      const verdict = await watch.verdict();
      if ('problem' in verdict) {
        const said = status.stderr ? ` (${tool} said: ${status.stderr.split('\n').slice(-3).join(' | ')})` : '';
        throw new RunnerError(
          `${tool} exited 0, but ${verdict.problem} after ${watch.bytes} bytes: the dump is incomplete${said}`,
        );
      }
      tables = verdict.tables;
    });
    let phase: ProgressPhase = 'dumping';
    const progress = reportProgress(ctx.onProgress, ctx.progressIntervalMs ?? 2000, () => ({
      phase,
      bytesRead: watch.bytes,
      bytesWritten: digest.bytes,
    }));

    const flow = pipeline(child.stdout, watch.stage, compressor.stream, digest, gate, { signal: owner.signal }).then(
      () => {
        // Every byte is with the upload now; what remains is the object store's (large objects take it a while).
        phase = 'completing';
        progress.now();
      },
      (error: unknown) => owner.fail(error),
    );
    // A stop can come after the last part is sent: the object it completes must not outlive the failed backup.
    let completed = false;
    const removeObject = () =>
      s3.send(new DeleteObjectCommand({ Bucket: job.s3.bucket, Key: key })).catch(() => undefined);
    const upload = uploadStream({
      client: s3,
      location: job.s3,
      key,
      body: gate,
      contentType: DUMP_FORMATS[engine.reader.format].contentType,
      partSizeBytes: job.partSizeMiB ? job.partSizeMiB * 1024 * 1024 : partSizeFor(server.dataBytes),
      queueSize: job.uploadQueueSize,
      metadata: {
        'keepsake-source': job.sourceId,
        'keepsake-database': encodeURIComponent(database),
        'keepsake-engine': connection.engine,
        [SERVER_VERSION_METADATA]: server.version,
        'keepsake-compression': compressor.name,
        ...(job.backupId && { 'keepsake-backup': job.backupId }),
      },
    }).then(
      () => (completed = true),
      (error: unknown) => owner.fail(error),
    );

    try {
      await Promise.all([flow, upload]);
      await exited.catch(() => undefined);
      owner.check();
    } catch (error) {
      if (completed) await removeObject();
      throw error instanceof RunnerError
        ? error
        : new RunnerError(`backup failed: ${messageOf(error)}`, { cause: error });
    } finally {
      progress.stop();
    }

    const sha256 = digest.digest();
    const durationMs = Date.now() - started;
    const tags = {
      [RESULT_TAGS.sha256]: sha256,
      [RESULT_TAGS.uncompressedBytes]: String(watch.bytes),
      [RESULT_TAGS.tables]: String(tables),
      [RESULT_TAGS.durationMs]: String(durationMs),
    };
    await tagChecksum(s3, job.s3, key, tags).catch(async (error: unknown) => {
      // An untagged object could not be checked before a restore: remove it rather than keep a half-recorded backup.
      await removeObject();
      throw new RunnerError(
        `could not tag s3://${job.s3.bucket}/${key} with its checksum and sizes: ${messageOf(error)}`,
      );
    });
    if (owner.failed) await removeObject();
    owner.check();

    return {
      ok: true,
      mode: 'backup',
      bucket: job.s3.bucket,
      key,
      compressedBytes: digest.bytes,
      uncompressedBytes: watch.bytes,
      sha256,
      tables,
      serverVersion: server.version,
      durationMs,
    };
  });
}
