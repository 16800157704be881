import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Connection } from '../../../../../types/dataSource.ts';
import { ENGINES } from '../../../../../types/engines.ts';
import { firstExecutable, firstOnPath } from '../../binaries.ts';
import { RunnerError } from '../../errors.ts';
import { run } from '../../processes.ts';

/** PostgreSQL's client programs the runner uses, from one installation (one version). */
export interface PgTools {
  readonly pgDump: string;
  readonly pgRestore: string;
  readonly psql: string;
  /** `pg_dump --version`, for the log: a client older than the server refuses to dump it. */
  readonly version: string;
  /** `KEEPSAKE_PG_CLIENT_DIR` (the image's PostgreSQL 17 client) or PATH. */
  readonly source: 'pgClientDir' | 'path';
}

const NAMES = ['pg_dump', 'pg_restore', 'psql'] as const;

/**
 * The client programs from the directory `KEEPSAKE_PG_CLIENT_DIR` names (the image sets the PGDG client's; tests the
 * local server's), else from PATH. All three come from one place, so that pg_restore reads what pg_dump wrote.
 */
export async function detectPgTools(env: NodeJS.ProcessEnv): Promise<PgTools> {
  const dir = env.KEEPSAKE_PG_CLIENT_DIR;
  const found = await Promise.all(
    NAMES.map((name) => (dir ? firstExecutable([name], [dir]) : firstOnPath([name], env))),
  );
  const [pgDump, pgRestore, psql] = found;
  if (!pgDump || !pgRestore || !psql) {
    const missing = NAMES.filter((_, i) => !found[i]).join(', ');
    throw new RunnerError(
      dir
        ? `KEEPSAKE_PG_CLIENT_DIR (${dir}) holds no executable ${missing}`
        : `PostgreSQL client tools not found on PATH (${missing}): install postgresql-client`,
    );
  }
  const { stdout } = await run(pgDump, ['--version'], { timeoutMs: 10_000 });
  return { pgDump, pgRestore, psql, version: stdout.trim(), source: dir ? 'pgClientDir' : 'path' };
}

/** A value in a libpq connection string: single-quoted, with backslash and quote escaped. */
export function conninfoValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * `--dbname=dbname='…'`: a database given as a connection string, so that no name (one holding `=`, or starting
 * `postgresql://`) is read as one. Host, port, user and TLS come from the environment (`connectionEnv`).
 */
export function dbnameArg(database: string): string {
  return `--dbname=dbname=${conninfoValue(database)}`;
}

/** A `.pgpass` field: `:` and `\` escaped with a backslash. */
function pgpassField(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
}

/**
 * Writes the private files of a connection into `dir` (the runner's private directory) and returns the environment
 * that points libpq at them: the password in a 0600 `pgpass` (PGPASSFILE), the CA in a 0600 file (PGSSLROOTCERT),
 * the source's TLS mode as libpq's sslmode. HOME is the private directory too, so that no stray `~/.pgpass`,
 * `~/.pg_service.conf` or client certificate of the host's user is read (Fargate's HOME may not even exist).
 */
export async function connectionEnv(
  dir: string,
  connection: Connection,
  password: string,
  connectTimeoutSeconds: number,
): Promise<NodeJS.ProcessEnv> {
  const passFile = join(dir, 'pgpass');
  // Only this job's connection reads the file: any host, port and database; the user must match.
  await writeFile(passFile, `*:*:*:${pgpassField(connection.username)}:${pgpassField(password)}\n`, { mode: 0o600 });
  let caFile: string | undefined;
  if (connection.tls.caPem) {
    caFile = join(dir, 'ca.pem');
    await writeFile(caFile, connection.tls.caPem, { mode: 0o600 });
  }
  const sslmode = ENGINES.postgresql.tlsModes[connection.tls.mode];
  if (sslmode === undefined)
    throw new RunnerError(`PostgreSQL sources cannot use tls.mode ${connection.tls.mode} (see types/engines.ts)`);
  const verifies = sslmode === 'verify-ca' || sslmode === 'verify-full';
  return {
    HOME: dir,
    PGPASSFILE: passFile,
    PGHOST: connection.host,
    PGPORT: String(connection.port),
    PGUSER: connection.username,
    PGSSLMODE: sslmode,
    // Without a CA of its own a verifying source trusts the system's roots (libpq 16 and later).
    ...(verifies && { PGSSLROOTCERT: caFile ?? 'system' }),
    ...(!verifies && caFile && { PGSSLROOTCERT: caFile }),
    PGCONNECT_TIMEOUT: String(connectTimeoutSeconds),
    PGAPPNAME: 'keepsake',
    // The server's messages in English and UTF-8 whatever the image's locale: they are matched and shown.
    PGCLIENTENCODING: 'UTF8',
    LC_MESSAGES: 'C',
  };
}

/** libpq's and the server's variables a runner's environment might carry: none may steer the clients. */
export function withoutPgVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('PG')));
}

/**
 * `--schema` patterns that match exactly the names given: double-quoted (inner quotes doubled), inside which
 * pg_dump's pattern characters (`*`, `?`, `.`) are taken literally.
 */
export function schemaArgs(schemas: readonly string[] | undefined): string[] {
  return (schemas ?? []).map((schema) => `--schema="${schema.replace(/"/g, '""')}"`);
}
