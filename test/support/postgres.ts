import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ClientConfig } from 'pg';
import { findPostgresBinDir, startPostgres, type LocalPostgres } from '../../scripts/local/postgres.ts';

const execFileAsync = promisify(execFile);

/** The hostile fixture: load it with `loadTrickyPostgres`. */
export const TRICKY_POSTGRES_FIXTURE = new URL('../fixtures/trickyPostgres.sql', import.meta.url).pathname;

/** Whether the PostgreSQL server programs are installed (`describe.runIf(await hasPostgres())`). */
export async function hasPostgres(): Promise<boolean> {
  return (await findPostgresBinDir()) !== undefined;
}

/** A test's own PostgreSQL server; `stop` also removes its directory. */
export type TestPostgres = LocalPostgres;

/**
 * Starts a private PostgreSQL server for one test file (about a second: started by the files that ask, in their
 * `beforeAll`, not by the global setup). Durability is off; nothing here measures speed.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  // Directly under the system's temporary directory: the server's OS user (when we are root) must reach it.
  const baseDir = await mkdtemp(join(tmpdir(), 'keepsake-pg-'));
  const server = await startPostgres(baseDir, { fast: true });
  return {
    ...server,
    async stop() {
      await server.stop();
      await rm(baseDir, { recursive: true, force: true });
    },
  };
}

/** A `pg` client configuration for the application user over TCP with TLS verified against the server's CA. */
export function connectionConfig(server: TestPostgres, database: string): ClientConfig {
  return {
    host: 'localhost',
    port: server.port,
    user: server.user,
    password: server.password,
    database,
    ssl: { ca: server.caCert, rejectUnauthorized: true },
    connectionTimeoutMillis: 10_000,
  };
}

/** A double-quoted SQL identifier. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Creates an empty database (dropping one of that name first). */
export async function recreateDatabase(server: TestPostgres, database: string): Promise<void> {
  await server.psql(`DROP DATABASE IF EXISTS ${ident(database)} WITH (FORCE)`);
  await server.psql(`CREATE DATABASE ${ident(database)}`);
}

/** Loads `test/fixtures/trickyPostgres.sql` into a fresh database of that name, as the superuser. */
export async function loadTrickyPostgres(server: TestPostgres, database: string): Promise<void> {
  await recreateDatabase(server, database);
  await execFileAsync(join(server.binDir, 'psql'), [
    '--no-psqlrc',
    '--quiet',
    '-v',
    'ON_ERROR_STOP=1',
    ...server.superuserArgs(database),
    '-f',
    TRICKY_POSTGRES_FIXTURE,
  ]);
}

/** Runs `pg_dump <dumpArgs> from | psql to` as the superuser, stopping at the first error; fails if either fails. */
export async function stockDumpAndRestore(
  server: TestPostgres,
  from: string,
  to: string,
  dumpArgs: readonly string[] = [],
): Promise<void> {
  const dump = spawn(join(server.binDir, 'pg_dump'), [...dumpArgs, ...server.superuserArgs(from)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const restore = spawn(
    join(server.binDir, 'psql'),
    ['--no-psqlrc', '--quiet', '--single-transaction', '-v', 'ON_ERROR_STOP=1', ...server.superuserArgs(to)],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  dump.stdout.pipe(restore.stdin);
  // psql stopping at an error closes its input while pg_dump still writes: its exit status tells, not EPIPE.
  restore.stdin.on('error', () => undefined);
  const finished = (name: string, child: ReturnType<typeof spawn>) => {
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    return new Promise<void>((resolve, reject) =>
      child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited ${code}: ${stderr}`)))),
    );
  };
  await Promise.all([finished('pg_dump', dump), finished('psql', restore)]);
}

/** Session settings that make every value's text form the same whatever the server's or role's defaults. */
const STABLE_OUTPUT = `SET extra_float_digits = 3; SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD';
  SET IntervalStyle = 'postgres'; SET bytea_output = 'hex'; SET row_security = off;`;

/** Per table: its row count and a hash of its rows that does not depend on their physical order. */
export type TableFingerprints = Record<string, { rows: number; hash: string }>;

/**
 * Every user table's and materialized view's rows, hashed as the multiset of their text forms (the md5 of each
 * row, sorted, hashed again: independent of row order and of collation). A table is named `schema.name` as
 * `format('%I.%I')` writes it. Partitioned parents hold no rows and are left out; inheritance parents count only
 * their own rows (`ONLY`), so each row counts once, in the table that holds it. An unpopulated materialized view
 * reads as `unpopulated`.
 */
export async function tableFingerprints(server: TestPostgres, database: string): Promise<TableFingerprints> {
  const out = await server.psql(
    `${STABLE_OUTPUT}
     SELECT CASE WHEN c.relkind = 'm' AND NOT c.relispopulated
       THEN format('SELECT %L, -1, %L', format('%I.%I', n.nspname, c.relname), 'unpopulated')
       ELSE format(
         'SELECT %L, count(*), md5(coalesce(string_agg(md5(t::text), '''' ORDER BY md5(t::text)), '''')) FROM ONLY %I.%I t',
         format('%I.%I', n.nspname, c.relname), n.nspname, c.relname)
       END
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'm')
       AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
       AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
     ORDER BY 1
     \\gexec`,
    database,
  );
  const tables: TableFingerprints = {};
  for (const line of out.split('\n').filter(Boolean)) {
    const [name, rows, hash] = line.split('\t');
    if (name === undefined || rows === undefined || hash === undefined) throw new Error(`unexpected line: ${line}`);
    tables[name] = { rows: Number(rows), hash };
  }
  return tables;
}

/** Every user sequence's state as `last_value` plus whether it was called (`setval(…, false)` differs). */
export async function sequenceValues(server: TestPostgres, database: string): Promise<Record<string, string>> {
  const out = await server.psql(
    `SELECT format('SELECT %L, last_value, is_called FROM %I.%I', format('%I.%I', schemaname, sequencename),
       schemaname, sequencename)
     FROM pg_sequences ORDER BY 1
     \\gexec`,
    database,
  );
  return Object.fromEntries(
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name = '', lastValue, isCalled] = line.split('\t');
        return [name, `${lastValue} ${isCalled === 't' ? 'called' : 'not called'}`];
      }),
  );
}

/**
 * The database's schema as `pg_dump --schema-only` writes it, less what differs between two dumps of equal
 * schemas: comments, blank lines and the per-dump `\restrict` key. Owners and privileges stay unless asked
 * (a restore with `--no-owner --no-privileges` cannot keep them).
 */
export async function schemaDump(
  server: TestPostgres,
  database: string,
  options: { ignoreOwnership?: boolean } = {},
): Promise<string> {
  const { stdout } = await execFileAsync(
    join(server.binDir, 'pg_dump'),
    [
      '--schema-only',
      ...(options.ignoreOwnership ? ['--no-owner', '--no-privileges'] : []),
      ...server.superuserArgs(database),
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('--') && !/^\\(un)?restrict /.test(line))
    .join('\n');
}

/** What a faithful restore must reproduce: every table's rows, every sequence's state, the schema. */
export interface DatabaseFingerprint {
  readonly tables: TableFingerprints;
  readonly sequences: Record<string, string>;
  /** The normalised schema dump's SHA-256 (compare `schemaDump` texts to see a difference). */
  readonly schema: string;
}

export async function databaseFingerprint(
  server: TestPostgres,
  database: string,
  options: { ignoreOwnership?: boolean } = {},
): Promise<DatabaseFingerprint> {
  const [tables, sequences, schema] = await Promise.all([
    tableFingerprints(server, database),
    sequenceValues(server, database),
    schemaDump(server, database, options),
  ]);
  return { tables, sequences, schema: createHash('sha256').update(schema).digest('hex') };
}
