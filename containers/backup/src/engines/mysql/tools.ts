import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Connection } from '../../../../../types/dataSource.ts';
import { findStoredDatabase } from '../../../../../types/databaseNames.ts';
import type { Engine } from '../../../../../types/engines.ts';
import { firstExecutable, firstOnPath } from '../../binaries.ts';
import { RunnerError, messageOf } from '../../errors.ts';
import { withPrivateDir } from '../../privateDir.ts';
import { run } from '../../processes.ts';

/** The engines this client family serves. */
export type MysqlEngine = Extract<Engine, 'mysql' | 'mariadb'>;

/** MySQL's and MariaDB's client tools take different flags for the same things (TLS, GTIDs, statistics). */
export type ClientFlavor = 'mysql' | 'mariadb';

/**
 * Where the dump tool came from: `KEEPSAKE_MYSQLDUMP`, the directory `KEEPSAKE_MYSQL_CLIENT_DIR` names (the image's
 * MySQL client), or PATH.
 */
export type ToolSource = 'override' | 'mysqlClientDir' | 'path';

export interface MysqlTools {
  readonly dumpBin: string;
  readonly clientBin: string;
  readonly flavor: ClientFlavor;
  /** The dump tool's own `--version` line, for the log. */
  readonly version: string;
  readonly source: ToolSource;
  /** Set when these are not the engine's own client tools: which ones are used instead, and why. */
  readonly fallback?: string;
  /** coreutils' `stdbuf`, when on PATH and working: it gives mysqldump's output a larger buffer. */
  readonly stdbuf?: string;
  /** The client's option that keeps the SQL it reads from running shell commands; absent when it has none. */
  readonly sandboxArg?: SandboxArg;
}

/**
 * MariaDB's `--sandbox` (10.5.25, 10.6.18, 10.11.8, 11.4.2 and later) refuses every client command that reaches the
 * shell or the file system (`\!`, `source`, `tee`, `pager`); MySQL's `--skip-system-command` (8.0.40, 8.4.3 and
 * later) refuses `system`/`\!`. Probed from the client's `--help` rather than its version: distributions backport.
 */
export type SandboxArg = '--sandbox' | '--skip-system-command';

async function sandboxArgOf(clientBin: string): Promise<SandboxArg | undefined> {
  // --no-defaults: an unknown option in the host's option files must not fail the probe.
  const help = await run(clientBin, ['--no-defaults', '--help'], { timeoutMs: 10_000 }).then(
    ({ stdout }) => stdout,
    () => '',
  );
  if (/^\s*--sandbox\s/m.test(help)) return '--sandbox';
  if (/^\s*--system-command\s/m.test(help)) return '--skip-system-command';
  return undefined;
}

/**
 * mysqldump writes through stdio's default buffer of a few KiB, so the runner wakes up for every few KiB of dump.
 * With 1 MiB writes `npm run bench` measured the runner 1.06× (250 MB) and 1.14× (1 GB) as fast, on 15–19 % less CPU.
 */
const DUMP_STDOUT_BUFFER = '1M';

const VENDOR: Record<ClientFlavor, string> = { mysql: "MySQL's", mariadb: "MariaDB's" };

/**
 * Names to look for on PATH, per engine. Debian's `mysqldump`/`mysql` are aliases of MariaDB's tools, so a MariaDB
 * source looks for MariaDB's own names first and a MySQL source for MySQL's (a developer's MySQL client).
 */
const PATH_NAMES: Record<MysqlEngine, { readonly dump: readonly string[]; readonly client: readonly string[] }> = {
  mariadb: { dump: ['mariadb-dump', 'mysqldump'], client: ['mariadb', 'mysql'] },
  mysql: { dump: ['mysqldump', 'mariadb-dump'], client: ['mysql', 'mariadb'] },
};

/**
 * The engine's own client tools where they are installed, else PATH's; `missing` says why a MySQL source whose
 * KEEPSAKE_MYSQL_CLIENT_DIR is set does not get the tools there.
 */
async function engineTools(
  engine: MysqlEngine,
  env: NodeJS.ProcessEnv,
): Promise<{ dumpBin?: string; clientBin?: string; source: ToolSource; missing?: string }> {
  let missing: string | undefined;
  const dir = env.KEEPSAKE_MYSQL_CLIENT_DIR;
  if (engine === 'mysql' && dir) {
    const [dumpBin, clientBin] = await Promise.all([
      firstExecutable(['mysqldump'], [dir]),
      firstExecutable(['mysql'], [dir]),
    ]);
    if (dumpBin && clientBin) return { dumpBin, clientBin, source: 'mysqlClientDir' };
    missing = `KEEPSAKE_MYSQL_CLIENT_DIR (${dir}) holds no executable mysqldump and mysql`;
  }
  const names = PATH_NAMES[engine];
  const [dumpBin, clientBin] = await Promise.all([firstOnPath(names.dump, env), firstOnPath(names.client, env)]);
  return { dumpBin, clientBin, source: 'path', ...(missing && { missing }) };
}

/**
 * Finds the dump and client binaries for a source's engine: MariaDB's client (`mariadb-dump`, `mariadb`) for a
 * MariaDB source, and for a MySQL source MySQL's, from the directory `KEEPSAKE_MYSQL_CLIENT_DIR` names (the image
 * sets it). Without MySQL's client a MySQL source uses what PATH has, and `fallback` says so for the log.
 * `KEEPSAKE_MYSQLDUMP`/`KEEPSAKE_MYSQL` override either tool for every engine.
 */
export async function detectMysqlTools(engine: MysqlEngine, env: NodeJS.ProcessEnv = process.env): Promise<MysqlTools> {
  const found = await engineTools(engine, env);
  const dumpBin = env.KEEPSAKE_MYSQLDUMP ?? found.dumpBin;
  const clientBin = env.KEEPSAKE_MYSQL ?? found.clientBin;
  if (!dumpBin || !clientBin) {
    throw new RunnerError('mysqldump/mysql client tools not found on PATH (install mysql-client or mariadb-client)');
  }
  const sandboxArg = sandboxArgOf(clientBin);
  const stdbuf = await firstOnPath(['stdbuf'], env);
  // The version check runs through stdbuf too, which proves it works here (it needs its preload library).
  const checked = stdbuf
    ? await run(...withStdbuf(stdbuf, dumpBin, ['--version']), { timeoutMs: 10_000 }).catch(() => undefined)
    : undefined;
  const { stdout } = checked ?? (await run(dumpBin, ['--version'], { timeoutMs: 10_000 }));
  const sandbox = await sandboxArg;
  const flavor: ClientFlavor = /mariadb/i.test(stdout) ? 'mariadb' : 'mysql';
  const source = env.KEEPSAKE_MYSQLDUMP === undefined ? found.source : 'override';
  let fallback: string | undefined;
  if (source === 'path' && (found.missing !== undefined || flavor !== engine)) {
    const why =
      found.missing ??
      (engine === 'mysql' ? 'KEEPSAKE_MYSQL_CLIENT_DIR is not set' : `${VENDOR[engine]} client is not on PATH`);
    fallback = `${why}: this ${engine} source uses ${VENDOR[flavor]} ${basename(dumpBin)} from PATH`;
  }
  return {
    dumpBin,
    clientBin,
    flavor,
    version: stdout.trim().split('\n')[0] ?? '',
    source,
    ...(fallback && { fallback }),
    ...(checked && { stdbuf }),
    ...(sandbox && { sandboxArg: sandbox }),
  };
}

/**
 * The runner's `client` log line: which client a job's engine got (flavor, version, paths, where they came from);
 * a warning when they are not the engine's own.
 */
export function clientLogEvent(engine: MysqlEngine, tools: MysqlTools): Record<string, unknown> {
  return {
    level: tools.fallback ? 'warn' : 'info',
    event: 'client',
    engine,
    flavor: tools.flavor,
    version: tools.version,
    dump: tools.dumpBin,
    client: tools.clientBin,
    source: tools.source,
    ...(tools.sandboxArg && { sandbox: tools.sandboxArg }),
    ...(tools.fallback && { fallback: tools.fallback }),
  };
}

function withStdbuf(stdbuf: string, bin: string, args: readonly string[]): [string, string[]] {
  return [stdbuf, [`--output=${DUMP_STDOUT_BUFFER}`, bin, ...args]];
}

/** Option-file values are double-quoted; backslash, quote and line breaks must be escaped inside them. */
function optionValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

function tlsArgs(connection: Connection, flavor: ClientFlavor, caFile: string | undefined): string[] {
  const { mode } = connection.tls;
  const ca = caFile ? [`--ssl-ca=${caFile}`] : [];
  if (flavor === 'mysql') return [`--ssl-mode=${mode.toUpperCase().replace('-', '_')}`, ...ca];
  switch (mode) {
    case 'disabled':
      return ['--skip-ssl'];
    case 'preferred':
      return ca;
    case 'required':
      return ['--ssl', ...ca];
    case 'verify-ca':
    case 'verify-identity':
      return ['--ssl', ...ca, '--ssl-verify-server-cert'];
  }
}

/** Arguments that every client invocation starts with; the first one must be `--defaults-file`. */
export interface ConnectionArgs {
  readonly args: readonly string[];
  readonly password: string;
}

/**
 * Runs `fn` with the connection written to a private option file (mode 0600 in a 0700 directory), which is
 * how the password reaches the client tools: never on a command line, never in a child's environment.
 */
export async function withConnectionArgs<T>(
  connection: Connection,
  password: string,
  flavor: ClientFlavor,
  fn: (connectionArgs: ConnectionArgs) => Promise<T>,
): Promise<T> {
  return withPrivateDir(async (dir) => {
    const optionFile = join(dir, 'client.cnf');
    const lines = [
      '[client]',
      `host=${optionValue(connection.host)}`,
      `port=${connection.port}`,
      `user=${optionValue(connection.username)}`,
      `password=${optionValue(password)}`,
      // Without it the tools take the charset from LANG, which Fargate does not set: latin1 would turn a UTF-8 name
      // given to `CREATE DATABASE` or `--database=` into another database's name.
      'default-character-set=utf8mb4',
    ];
    await writeFile(optionFile, `${lines.join('\n')}\n`, { mode: 0o600 });
    let caFile: string | undefined;
    if (connection.tls.caPem) {
      caFile = join(dir, 'ca.pem');
      await writeFile(caFile, connection.tls.caPem, { mode: 0o600 });
    }
    const args = [
      `--defaults-file=${optionFile}`,
      ...tlsArgs(connection, flavor, caFile),
      '--max-allowed-packet=1073741824',
    ];
    return fn({ args, password });
  });
}

/** Quotes a MySQL identifier for use inside SQL text. */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

export interface ServerInfo {
  readonly version: string;
  readonly tables: number;
  /** Data and index bytes of the database's tables, as the server estimates them. */
  readonly dataBytes: number;
}

/**
 * Connects once with the client before dumping: a wrong password, an unknown database or an unreachable host
 * fails here within the connect timeout, with the server's own message, before any upload starts.
 */
export async function probeServer(
  tools: MysqlTools,
  conn: ConnectionArgs,
  database: string,
  connectTimeoutSeconds: number,
): Promise<ServerInfo> {
  const sql =
    "SELECT VERSION(); SELECT COUNT(*), COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE';";
  const { stdout } = await run(
    tools.clientBin,
    [
      ...conn.args,
      `--connect-timeout=${connectTimeoutSeconds}`,
      '--batch',
      '--skip-column-names',
      `--database=${database}`,
      '-e',
      sql,
    ],
    { timeoutMs: (connectTimeoutSeconds + 20) * 1000, secrets: [conn.password] },
  ).catch((error: unknown) => {
    throw new RunnerError(`cannot connect to database "${database}": ${(error as Error).message}`);
  });
  const [version = 'unknown', sizes = ''] = stdout.trim().split('\n');
  const [tables = '0', dataBytes = '0'] = sizes.split('\t');
  return { version: version.trim(), tables: Number.parseInt(tables, 10) || 0, dataBytes: Number(dataBytes) || 0 };
}

/** The server's `lower_case_table_names` and its databases' names, read as hex so that any byte (a newline) survives. */
async function listDatabases(
  tools: MysqlTools,
  conn: ConnectionArgs,
  sql: string,
  connectTimeoutSeconds: number,
): Promise<{ lowerCaseTableNames: number; names: string[] }> {
  const { stdout } = await run(
    tools.clientBin,
    [
      ...conn.args,
      `--connect-timeout=${connectTimeoutSeconds}`,
      '--batch',
      '--skip-column-names',
      '-e',
      `SELECT @@lower_case_table_names; ${sql}`,
    ],
    { timeoutMs: (connectTimeoutSeconds + 20) * 1000, secrets: [conn.password] },
  );
  const [setting = '', ...hexNames] = stdout.split('\n').filter((line) => line !== '');
  if (!/^[012]$/.test(setting))
    throw new RunnerError(`the server reports lower_case_table_names as "${setting}", which is none of 0, 1 or 2`);
  return {
    lowerCaseTableNames: Number(setting),
    names: hexNames.map((hex) => Buffer.from(hex, 'hex').toString('utf8')),
  };
}

/** MySQL's and MariaDB's "Unknown database" (ER_BAD_DB_ERROR), as their clients print it. */
export const UNKNOWN_DATABASE = /\bERROR 1049 \(42000\)/;

/**
 * Whether `database` exists, as the server decides it: the server's list matched the way it compares names
 * (`findStoredDatabase`: case folded where `lower_case_table_names` ≠ 0). A name not on the list is absent only once
 * the server itself answers "Unknown database" to it: a database the account cannot list, or one the server folds
 * differently from JS (`İ`), is not proven absent. Anything else throws, saying why existence is undecided, so that
 * no restore goes on without its safety backup. The name never enters SQL text.
 */
export async function databaseExists(
  tools: MysqlTools,
  conn: ConnectionArgs,
  database: string,
  connectTimeoutSeconds: number,
): Promise<boolean> {
  const undecided = (why: string) =>
    new RunnerError(
      `cannot tell whether database "${database}" exists (${why}): a restore does not overwrite a database that may exist without a safety backup`,
    );
  const { lowerCaseTableNames, names } = await listDatabases(
    tools,
    conn,
    'SELECT HEX(SCHEMA_NAME) FROM information_schema.SCHEMATA',
    connectTimeoutSeconds,
  ).catch((error: unknown) => {
    throw undecided(messageOf(error));
  });
  if (findStoredDatabase(names, database, lowerCaseTableNames) !== undefined) return true;
  try {
    await run(
      tools.clientBin,
      [...conn.args, `--connect-timeout=${connectTimeoutSeconds}`, `--database=${database}`, '-e', 'SELECT 1'],
      {
        timeoutMs: (connectTimeoutSeconds + 20) * 1000,
        secrets: [conn.password],
      },
    );
  } catch (error) {
    if (UNKNOWN_DATABASE.test(messageOf(error))) return false;
    throw undecided(`it is not in the server's list, and using it failed: ${messageOf(error)}`);
  }
  return true;
}

/** Base tables in `database` (what a dump counts: views aside), counted in JS over the server's list so the name never enters SQL. */
export async function tableCount(
  tools: MysqlTools,
  conn: ConnectionArgs,
  database: string,
  connectTimeoutSeconds: number,
): Promise<number> {
  const { lowerCaseTableNames, names } = await listDatabases(
    tools,
    conn,
    "SELECT HEX(TABLE_SCHEMA) FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE'",
    connectTimeoutSeconds,
  );
  const stored = findStoredDatabase(names, database, lowerCaseTableNames);
  return names.filter((schema) => schema === stored).length;
}

/** The command that dumps `database`: mysqldump, under `stdbuf` when it works here. */
export function dumpCommand(tools: MysqlTools, conn: ConnectionArgs, database: string): [string, string[]] {
  const args = dumpArgs(tools, conn, database);
  return tools.stdbuf ? withStdbuf(tools.stdbuf, tools.dumpBin, args) : [tools.dumpBin, args];
}

/** mysqldump flags for a consistent, complete, restorable dump of one database. */
export function dumpArgs(tools: MysqlTools, conn: ConnectionArgs, database: string): string[] {
  const mysqlOnly = tools.flavor === 'mysql' ? ['--set-gtid-purged=OFF', '--column-statistics=0'] : [];
  return [
    ...conn.args,
    '--single-transaction',
    '--quick',
    '--routines',
    '--triggers',
    '--events',
    '--hex-blob',
    '--no-tablespaces',
    ...mysqlOnly,
    '--',
    database,
  ];
}
