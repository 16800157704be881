import { spawn } from 'node:child_process';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { ENGINES } from '../../../types/engines.ts';
import type { RestoreJob, RestoreResult } from '../../../types/job.ts';
import { resolveConnection } from './caBundle.ts';
import type { JobContext } from './context.ts';
import type { EngineSession } from './engines/engine.ts';
import { engineFor, readerForKey } from './engines/index.ts';
import { RunnerError, messageOf } from './errors.ts';
import { resolvePassword } from './passwordSource.ts';
import { describeExit, waitForExit } from './processes.ts';
import { reportProgress } from './progress.ts';
import { createS3Client, openObject, readTaggedChecksum, type ObjectPin } from './s3Store.ts';
import { DigestTap } from './streamTaps.ts';
import { checkObject, isZlibError } from './verify.ts';

/**
 * S3 → gunzip → (the engine's stages) → the engine's restore client into the target database, created when absent
 * (see `EngineSession.prepareTarget`). Nothing touches the target until the whole object (the version or ETag the
 * job names) has been read and its SHA-256, gzip stream and dump checked as its format proves it whole; then exactly
 * that object is read again (pinned by version or `If-Match`) and applied by the engine's client (for MySQL one
 * sandboxed against shell and file commands), hashed once more as it streams. A failing statement is reported as
 * the client names it.
 */
export async function runRestore(job: RestoreJob, ctx: JobContext = {}): Promise<RestoreResult> {
  const started = Date.now();
  const env = ctx.env ?? process.env;
  const target = job.targetDatabase ?? job.connection.database;
  const s3 = createS3Client(job.s3);
  const engine = engineFor(job.connection.engine);
  const reader = readerForKey(job.key);
  if (reader.format !== ENGINES[engine.engine].format) {
    throw new RunnerError(
      `refusing to restore s3://${job.s3.bucket}/${job.key} into a ${ENGINES[engine.engine].label} database: it is a backup in another engine's format`,
    );
  }
  const [password, tagged, connection] = await Promise.all([
    resolvePassword(job.password, env),
    readTaggedChecksum(s3, job.s3, job.key, job),
    resolveConnection(job.connection, s3, job.s3),
  ]);
  const access = { connection, password, passwordRef: job.password, connectTimeoutSeconds: job.connectTimeoutSeconds };

  return engine.withSession(access, ctx, async (session) => {
    // Refuses a client that cannot restore safely before anything is read.
    session.restoreCommand(target, { rewriteDefiners: job.rewriteDefiners });
    // A tag that disagrees refuses at once, without reading the whole object.
    if (tagged !== undefined && tagged !== job.expectedSha256) {
      throw new RunnerError(
        `refusing to restore: the object's checksum ${tagged} differs from the recorded ${job.expectedSha256}`,
      );
    }
    const check = await checkObject(s3, job.s3, job, ctx, session.childEnv);
    if (check.problem) throw new RunnerError(`refusing to restore s3://${job.s3.bucket}/${job.key}: ${check.problem}`);
    const verified: ObjectPin = { ...check.pin, ...(job.versionId && { versionId: job.versionId }) };
    if (verified.versionId === undefined && verified.etag === undefined) {
      throw new RunnerError(
        `refusing to restore s3://${job.s3.bucket}/${job.key}: the store named neither a version nor an ETag for it, so the bytes applied could not be held to the bytes checked`,
      );
    }
    if (!job.scratch) return restoreStream(session, verified);
    return testRestore(session, verified, job.scratch.expectTables);
  });

  /** A test restore: into a scratch database it creates, which must hold the backup's tables, dropped whatever happens. */
  async function testRestore(
    session: EngineSession,
    verified: ObjectPin,
    expectTables: number,
  ): Promise<RestoreResult> {
    if (await session.databaseExists(target)) {
      throw new RunnerError(
        `scratch database "${target}" already exists: a test restore only uses (and then drops) a database it creates itself`,
      );
    }
    let outcome: { result: RestoreResult } | { error: unknown };
    try {
      const result = await restoreStream(session, verified);
      const tables = await session.tableCount(target);
      if (tables !== expectTables)
        throw new RunnerError(
          `test restore into "${target}" produced ${tables} tables where the backup holds ${expectTables}`,
        );
      outcome = { result: { ...result, tables } };
    } catch (error) {
      outcome = { error };
    }
    const dropped = await session.dropDatabase(target).then(
      () => undefined,
      (error: unknown) => error,
    );
    if ('error' in outcome) throw outcome.error;
    if (dropped)
      throw new RunnerError(
        `the test restore succeeded but the scratch database "${target}" could not be dropped: ${messageOf(dropped)}`,
      );
    return outcome.result;
  }

  async function restoreStream(session: EngineSession, verified: ObjectPin): Promise<RestoreResult> {
    const prepared = await session.prepareTarget(target, {
      replaceTarget: job.replaceTarget,
      ...(job.targetExisted !== undefined && { targetExisted: job.targetExisted }),
    });
    try {
      const result = await applyStream(session, verified, prepared.database);
      await prepared.commit();
      return result;
    } catch (error) {
      await prepared.abandon().catch(() => undefined);
      throw error;
    }
  }

  async function applyStream(session: EngineSession, verified: ObjectPin, database: string): Promise<RestoreResult> {
    const restorer = session.restoreCommand(database, { rewriteDefiners: job.rewriteDefiners });
    const { body } = await openObject(s3, job.s3, job.key, verified);
    const watch = await reader.watch('restore', ctx, session.childEnv);
    const [command, args] = restorer.command;
    const child = spawn(command, args, { stdio: ['pipe', 'ignore', 'pipe'], env: session.childEnv });
    ctx.onSpawn?.(child, restorer.tool);
    const exited = waitForExit(child, session.secrets);
    const digest = new DigestTap();
    const progress = reportProgress(ctx.onProgress, ctx.progressIntervalMs ?? 2000, () => ({
      phase: 'restoring',
      bytesRead: digest.bytes,
      bytesWritten: watch.bytes,
    }));
    const stages: Transform[] = [digest, createGunzip(), watch.stage, ...restorer.stages];
    let streamError: unknown;
    const flow = pipeline([body, ...stages, child.stdin]).catch((error: unknown) => {
      streamError = error;
      // Stop the client before it can run whatever partial input reached it.
      child.kill('SIGKILL');
    });

    try {
      const [, status] = await Promise.all([flow, exited]);
      const clientFailed = status.code !== 0 && status.signal === null;
      // When the client fails on a statement the pipe breaks too; the client's message (with its line) is the cause.
      if (clientFailed || (status.code !== 0 && !streamError)) {
        const why = restorer.describeFailure?.(status) ?? describeExit(restorer.tool, status);
        throw new RunnerError(`restore into "${target}" failed: ${why}`);
      }
      if (streamError && isZlibError(streamError)) {
        throw new RunnerError(
          `restore into "${target}" stopped: the backup's gzip data is damaged (${messageOf(streamError)}); the database may be partly restored`,
        );
      }
      if (streamError)
        throw new RunnerError(`restore into "${target}" failed while streaming: ${messageOf(streamError)}`);
    } finally {
      progress.stop();
    }

    const sha256 = digest.digest();
    if (sha256 !== job.expectedSha256) {
      throw new RunnerError(
        `restore into "${target}" read bytes whose SHA-256 ${sha256} differs from the recorded ${job.expectedSha256}: the database may be partly restored`,
      );
    }
    const verdict = await watch.verdict();
    if ('problem' in verdict)
      throw new RunnerError(`restore into "${target}": ${verdict.problem}, so it was incomplete`);
    return {
      ok: true,
      mode: 'restore',
      key: job.key,
      targetDatabase: target,
      compressedBytes: digest.bytes,
      uncompressedBytes: watch.bytes,
      sha256,
      durationMs: Date.now() - started,
    };
  }
}
