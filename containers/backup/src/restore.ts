import { spawn } from 'node:child_process';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { RestoreJob, RestoreResult } from '../../../types/job.ts';
import { resolveConnection } from './caBundle.ts';
import { logEvent, type JobContext } from './context.ts';
import { DefinerRewrite } from './definerRewrite.ts';
import { RunnerError, messageOf } from './errors.ts';
import {
  clientLogEvent,
  databaseExists,
  describeExit,
  detectMysqlTools,
  quoteIdentifier,
  run,
  tableCount,
  waitForExit,
  withConnectionArgs,
  type ConnectionArgs,
  type MysqlTools,
  type SandboxArg,
  UNKNOWN_DATABASE,
} from './mysqlTools.ts';
import { childEnv, resolvePassword } from './passwordSource.ts';
import { reportProgress } from './progress.ts';
import { createS3Client, openObject, readTaggedChecksum, type ObjectPin } from './s3Store.ts';
import { DigestTap, DumpInspector } from './streamTaps.ts';
import { checkObject, isZlibError } from './verify.ts';

/** ER_DB_CREATE_EXISTS, as the clients print it. */
const DATABASE_EXISTS = /\bERROR 1007 \(HY000\)/;
/** A character set or collation name: what may go into SQL unquoted. */
const IDENTIFIER = /^[A-Za-z0-9_]+$/;

function sandboxOf(tools: MysqlTools): SandboxArg {
  if (tools.sandboxArg) return tools.sandboxArg;
  throw new RunnerError(
    `refusing to restore: the client ${tools.clientBin} has neither --sandbox (MariaDB 10.5.25, 10.6.18, 10.11.8, 11.4.2 or later) nor --skip-system-command (MySQL 8.0.40, 8.4.3 or later), so SQL in the backup could run shell commands; install a client that has one`,
  );
}

/**
 * S3 → gunzip → (DEFINER rewrite) → `mysql` into the target database, created when absent (see `prepareTarget`).
 * Nothing touches the target until the whole object (the version or ETag the job names) has been read and its
 * SHA-256, gzip stream and dump trailer checked; then exactly that object is read again (pinned by version or
 * `If-Match`) and applied by a client sandboxed against shell and file commands, hashed once more as it streams.
 * A failing statement is reported with the line number the client names.
 */
export async function runRestore(job: RestoreJob, ctx: JobContext = {}): Promise<RestoreResult> {
  const started = Date.now();
  const env = ctx.env ?? process.env;
  const target = job.targetDatabase ?? job.connection.database;
  const s3 = createS3Client(job.s3);
  const [tools, password, tagged, connection] = await Promise.all([
    detectMysqlTools(job.connection.engine, env),
    resolvePassword(job.password, env),
    readTaggedChecksum(s3, job.s3, job.key, job),
    resolveConnection(job.connection, s3, job.s3),
  ]);
  logEvent(ctx, clientLogEvent(job.connection.engine, tools));
  const sandboxArg = sandboxOf(tools);
  // A tag that disagrees refuses at once, without reading the whole object.
  if (tagged !== undefined && tagged !== job.expectedSha256) {
    throw new RunnerError(
      `refusing to restore: the object's checksum ${tagged} differs from the recorded ${job.expectedSha256}`,
    );
  }
  const check = await checkObject(s3, job.s3, job, ctx);
  if (check.problem) throw new RunnerError(`refusing to restore s3://${job.s3.bucket}/${job.key}: ${check.problem}`);
  const verified: ObjectPin = { ...check.pin, ...(job.versionId && { versionId: job.versionId }) };
  if (verified.versionId === undefined && verified.etag === undefined) {
    throw new RunnerError(
      `refusing to restore s3://${job.s3.bucket}/${job.key}: the store named neither a version nor an ETag for it, so the bytes applied could not be held to the bytes checked`,
    );
  }

  return withConnectionArgs(connection, password, tools.flavor, async (conn) => {
    if (!job.scratch) return restoreStream(conn);
    const { expectTables } = job.scratch;
    const timeout = job.connectTimeoutSeconds;
    if (await databaseExists(tools, conn, target, timeout)) {
      throw new RunnerError(
        `scratch database "${target}" already exists: a test restore only uses (and then drops) a database it creates itself`,
      );
    }
    let outcome: { result: RestoreResult } | { error: unknown };
    try {
      const result = await restoreStream(conn);
      const tables = await tableCount(tools, conn, target, timeout);
      if (tables !== expectTables)
        throw new RunnerError(
          `test restore into "${target}" produced ${tables} tables where the backup holds ${expectTables}`,
        );
      outcome = { result: { ...result, tables } };
    } catch (error) {
      outcome = { error };
    }
    const dropped = await run(
      tools.clientBin,
      [...conn.args, `--connect-timeout=${timeout}`, '-e', `DROP DATABASE IF EXISTS ${quoteIdentifier(target)}`],
      {
        timeoutMs: (timeout + 20) * 1000,
        secrets: [password],
      },
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    if ('error' in outcome) throw outcome.error;
    if (dropped)
      throw new RunnerError(
        `the test restore succeeded but the scratch database "${target}" could not be dropped: ${messageOf(dropped)}`,
      );
    return outcome.result;
  });

  /**
   * Makes the target ready to be written: created when absent (plainly, when the safety step found it absent, so
   * that one created since is refused rather than overwritten), or for a rollback dropped and created afresh.
   */
  async function prepareTarget(conn: ConnectionArgs, secrets: readonly string[]): Promise<void> {
    const timeout = job.connectTimeoutSeconds;
    const client = (args: readonly string[]) =>
      run(tools.clientBin, [...conn.args, `--connect-timeout=${timeout}`, ...args], {
        timeoutMs: (timeout + 20) * 1000,
        secrets,
      });
    const quoted = quoteIdentifier(target);
    const defaults = job.replaceTarget ? await databaseDefaults(client) : undefined;
    const sql = defaults
      ? `DROP DATABASE ${quoted}; CREATE DATABASE ${quoted} CHARACTER SET ${defaults.charset} COLLATE ${defaults.collation}`
      : `CREATE DATABASE ${job.targetExisted === false ? '' : 'IF NOT EXISTS '}${quoted}`;
    await client(['-e', sql]).catch((error: unknown) => {
      if (job.targetExisted === false && DATABASE_EXISTS.test(messageOf(error))) {
        throw new RunnerError(
          `refusing to restore: database "${target}" did not exist when the safety backup was to be taken, but exists now, so no safety backup covers it; nothing was overwritten`,
        );
      }
      throw new RunnerError(
        `cannot ${defaults ? 'replace' : 'create or reach'} database "${target}": ${messageOf(error)}`,
      );
    });
  }

  /** The target's character set and collation, or undefined when it does not exist. */
  async function databaseDefaults(
    client: (args: readonly string[]) => Promise<{ stdout: string }>,
  ): Promise<{ charset: string; collation: string } | undefined> {
    const out = await client([
      '--batch',
      '--skip-column-names',
      `--database=${target}`,
      '-e',
      'SELECT @@character_set_database, @@collation_database',
    ]).catch((error: unknown) => {
      if (UNKNOWN_DATABASE.test(messageOf(error))) return undefined;
      throw new RunnerError(`cannot read the character set of database "${target}": ${messageOf(error)}`);
    });
    if (!out) return undefined;
    const [charset = '', collation = ''] = out.stdout.trim().split('\t');
    if (!IDENTIFIER.test(charset) || !IDENTIFIER.test(collation))
      throw new RunnerError(`database "${target}" reports an unexpected character set "${charset}" / "${collation}"`);
    return { charset, collation };
  }

  async function restoreStream(conn: ConnectionArgs): Promise<RestoreResult> {
    const secrets = [password];
    await prepareTarget(conn, secrets);

    const { body } = await openObject(s3, job.s3, job.key, verified);
    const child = spawn(tools.clientBin, [...conn.args, sandboxArg, `--database=${target}`], {
      stdio: ['pipe', 'ignore', 'pipe'],
      env: childEnv(job.password, secrets),
    });
    ctx.onSpawn?.(child, 'mysql');
    const exited = waitForExit(child, secrets);
    const digest = new DigestTap();
    const inspector = new DumpInspector();
    const progress = reportProgress(ctx.onProgress, ctx.progressIntervalMs ?? 2000, () => ({
      phase: 'restoring',
      bytesRead: digest.bytes,
      bytesWritten: inspector.bytes,
    }));
    const stages: Transform[] = [
      digest,
      createGunzip(),
      inspector,
      ...(job.rewriteDefiners ? [new DefinerRewrite()] : []),
    ];
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
        throw new RunnerError(`restore into "${target}" failed: ${describeExit('mysql', status)}`);
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
    if (!inspector.completed) {
      throw new RunnerError(
        `restore into "${target}": the backup ends without the "-- Dump completed" trailer, so it was incomplete`,
      );
    }
    return {
      ok: true,
      mode: 'restore',
      key: job.key,
      targetDatabase: target,
      compressedBytes: digest.bytes,
      uncompressedBytes: inspector.bytes,
      sha256,
      durationMs: Date.now() - started,
    };
  }
}
