import { execFile } from 'node:child_process';
import { access, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, startProcess, waitUntil, type ManagedProcess } from './processes.ts';
import { shellQuote } from './shell.ts';

const execFileAsync = promisify(execFile);

/** A throwaway MariaDB server on a private port and data directory (tests, bench, local demo). */
export interface LocalMariaDb {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly socket: string;
  readonly dataDir: string;
  /** An application user with a password full of characters that break naive quoting. */
  readonly user: string;
  readonly password: string;
  /** Runs SQL as root over the socket (the `mariadb` client, so DELIMITER works) and returns tab-separated rows. */
  sql(statements: string, database?: string): Promise<string>;
  stop(): Promise<void>;
}

export const LOCAL_DB_USER = 'keepsake';
export const LOCAL_DB_PASSWORD = `Ke"ep s'a\\ke$(id)\`;#pw`;

const SERVER_PATHS = ['/usr/sbin/mariadbd', '/usr/bin/mariadbd', '/usr/sbin/mysqld'];

export async function findMariaDbServer(): Promise<string | undefined> {
  for (const path of SERVER_PATHS) {
    if (
      await access(path).then(
        () => true,
        () => false,
      )
    )
      return path;
  }
  return undefined;
}

/**
 * The stock client's command that opens `database` over TCP as the application user, password included, quoted for
 * a POSIX shell: what `npm start` prints for a person to paste (root logs in over the socket only).
 */
export function mariadbClientCommand(
  server: Pick<LocalMariaDb, 'host' | 'port' | 'user' | 'password'>,
  database: string,
): string {
  return [
    'mariadb',
    `--host=${server.host}`,
    `--port=${server.port}`,
    `--user=${shellQuote(server.user)}`,
    `--password=${shellQuote(server.password)}`,
    shellQuote(database),
  ].join(' ');
}

/** Runs SQL as root over the socket with the stock `mariadb` client and returns tab-separated rows. */
export async function rootSql(socket: string, statements: string, database?: string): Promise<string> {
  const args = [
    '--no-defaults',
    `--socket=${socket}`,
    '-uroot',
    '--default-character-set=utf8mb4',
    '--batch',
    '--skip-column-names',
    ...(database ? [`--database=${database}`] : []),
  ];
  const child = execFileAsync('mariadb', args, { maxBuffer: 256 * 1024 * 1024 });
  // A client that cannot connect (the server still starting) exits without reading its input: the write then fails
  // with EPIPE, which unhandled would crash the caller (the test run's global setup). The exit status reports it.
  child.child.stdin?.on('error', () => undefined);
  child.child.stdin?.end(statements);
  return (await child).stdout;
}

/**
 * Starts `mariadbd` on a free loopback port with its own data directory under `baseDir`, creating the system
 * tables on first use; a second start on the same directory keeps its data.
 */
export async function startMariaDb(
  baseDir: string,
  options: {
    fresh?: boolean;
    bufferPoolMb?: number;
    /** Server options beyond ours, e.g. `--lower-case-table-names=1`. */ serverArgs?: readonly string[];
  } = {},
): Promise<LocalMariaDb> {
  const server = await findMariaDbServer();
  if (!server)
    throw new Error(
      'MariaDB server not found: install it with `apt-get install mariadb-server` (npm test does so as root)',
    );
  const dataDir = join(baseDir, 'data');
  const socket = join(baseDir, 'mariadb.sock');
  if (options.fresh) await rm(baseDir, { recursive: true, force: true });
  // Its own temporary directory: in the shared /tmp, another process (a second server, a cleaner) removed an
  // internal temporary table mid-dump ("Error on delete of '/tmp/#sql-temptable-…'") and failed a backup.
  const tmpDir = join(baseDir, 'tmp');
  await mkdir(tmpDir, { recursive: true });
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  if (
    !(await access(join(dataDir, 'mysql')).then(
      () => true,
      () => false,
    ))
  ) {
    await execFileAsync('mariadb-install-db', [
      '--no-defaults',
      `--datadir=${dataDir}`,
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
      ...asRoot,
    ]);
  }
  const port = await freePort();
  const proc: ManagedProcess = startProcess(server, [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${socket}`,
    `--tmpdir=${tmpDir}`,
    `--pid-file=${join(baseDir, 'mariadb.pid')}`,
    '--skip-name-resolve',
    '--skip-log-bin',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    `--innodb-buffer-pool-size=${options.bufferPoolMb ?? 256}M`,
    '--innodb-log-file-size=256M',
    '--max-allowed-packet=1G',
    ...(options.serverArgs ?? []),
    ...asRoot,
  ]);
  await waitUntil(`MariaDB on port ${port}`, 60_000, async () => {
    if (proc.child.exitCode !== null) throw new Error(`mariadbd exited: ${proc.stderr}`);
    await rootSql(socket, 'SELECT 1');
    return true;
  });
  const escaped = LOCAL_DB_PASSWORD.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
  await rootSql(
    socket,
    `CREATE USER IF NOT EXISTS '${LOCAL_DB_USER}'@'%' IDENTIFIED BY '${escaped}';
     GRANT ALL PRIVILEGES ON *.* TO '${LOCAL_DB_USER}'@'%';`,
  );
  return {
    host: '127.0.0.1',
    port,
    socket,
    dataDir,
    user: LOCAL_DB_USER,
    password: LOCAL_DB_PASSWORD,
    sql: (statements, database) => rootSql(socket, statements, database),
    stop: () => proc.stop(),
  };
}
