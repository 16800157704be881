import { execFile } from 'node:child_process';
import { access, chown, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, startProcess, waitUntil, type ManagedProcess } from './processes.ts';
import { shellQuote } from './shell.ts';

const execFileAsync = promisify(execFile);

/** Where Debian (and the PGDG packages) put each major version's server and client programs. */
const DEBIAN_VERSIONS_DIR = '/usr/lib/postgresql';
/** The OS user the server runs as when we are root: `initdb` and `postgres` refuse to run as root. */
const SERVER_OS_USER = 'postgres';

/** A throwaway PostgreSQL server on a private port, socket directory and data directory (tests, bench, local demo). */
export interface LocalPostgres {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The private directory holding the Unix socket; the superuser connects there without a password. */
  readonly socketDir: string;
  readonly dataDir: string;
  /** The directory of `psql`, `pg_dump`, `pg_restore`, `pgbench` matching the server's version. */
  readonly binDir: string;
  /** The superuser, reachable over the socket only (trust). */
  readonly superuser: 'postgres';
  /**
   * The application role, reachable over TCP with SCRAM-SHA-256 and shaped like a managed server's master user:
   * not a superuser, but CREATEDB, CREATEROLE, BYPASSRLS and a member of `pg_read_all_data`.
   */
  readonly user: string;
  /** Full of characters that break naive quoting, as MariaDB's. */
  readonly password: string;
  /** A `.pgpass` (mode 0600) holding `user`'s password for this server, for stock tools run with PGPASSFILE. */
  readonly passFile: string;
  /** PEM of the CA that signed the server's certificate (CN and SAN `localhost`, SAN IP 127.0.0.1). */
  readonly caCert: string;
  /** The same CA as a file, for `sslrootcert`. */
  readonly caFile: string;
  /**
   * Runs SQL as the superuser over the socket with the stock `psql` (stopping at the first error) and returns its
   * rows unaligned, tab-separated, without headers.
   */
  psql(sql: string, database?: string): Promise<string>;
  /**
   * Arguments that point `psql`, `pg_dump` or `pg_restore` at the superuser's socket (`pgbench` reads `-d` as
   * debug: give it `connectionArgs` and the database last).
   */
  superuserArgs(database: string): string[];
  /** The superuser's socket, port and name without the database. */
  readonly connectionArgs: readonly string[];
  stop(): Promise<void>;
}

export const LOCAL_PG_USER = 'keepsake';
export const LOCAL_PG_PASSWORD = `Ke"ep s'a\\ke$(id)\`;#pw:*`;

/**
 * A shell command that opens `database` on `server` as its application user with the stock `psql`, paste-ready: the
 * password in PGPASSWORD, TLS verified against the server's own CA (sslmode verify-full, by the name `localhost`).
 */
export function psqlClientCommand(
  server: Pick<LocalPostgres, 'port' | 'user' | 'password' | 'binDir' | 'caFile'>,
  database: string,
): string {
  const conninfo = `host=localhost port=${server.port} dbname=${database} user=${server.user} sslmode=verify-full sslrootcert=${server.caFile}`;
  return `PGPASSWORD=${shellQuote(server.password)} ${join(server.binDir, 'psql')} ${shellQuote(conninfo)}`;
}

/** The newest installed server's program directory, or undefined when PostgreSQL is not installed. */
export async function findPostgresBinDir(): Promise<string | undefined> {
  const versions = await readdir(DEBIAN_VERSIONS_DIR).catch(() => [] as string[]);
  const sorted = versions.filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const version of sorted) {
    const dir = join(DEBIAN_VERSIONS_DIR, version, 'bin');
    if (
      await access(join(dir, 'postgres')).then(
        () => true,
        () => false,
      )
    )
      return dir;
  }
  return undefined;
}

/** The uid/gid the server runs as: ours, unless we are root. */
async function serverIdentity(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [uid, gid] = await Promise.all([
    execFileAsync('id', ['-u', SERVER_OS_USER]),
    execFileAsync('id', ['-g', SERVER_OS_USER]),
  ]).catch(() => {
    throw new Error(
      `PostgreSQL refuses to run as root and there is no '${SERVER_OS_USER}' user: install the postgresql package`,
    );
  });
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** A CA and a server certificate it signed, for `localhost` and 127.0.0.1, so every sslmode can be exercised. */
async function writeCertificates(dir: string): Promise<void> {
  const openssl = (...args: string[]) => execFileAsync('openssl', args, { cwd: dir });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '3650',
    '-subj',
    '/CN=Keepsake test CA',
  );
  await openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  await openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '3650',
    '-extfile',
    'server.ext',
    '-out',
    'server.crt',
  );
}

/** A `.pgpass` line: `:` and `\` are escaped with a backslash in every field. */
function pgpassLine(host: string, port: number, user: string, password: string): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
  return `${esc(host)}:${port}:*:${esc(user)}:${esc(password)}\n`;
}

/** A single-quoted SQL literal. */
function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Starts a PostgreSQL server on a free loopback port with its own data directory under `baseDir` (created by
 * `initdb` on first use; a second start on the same directory keeps its data). TLS is on with a private CA; TCP
 * logins use SCRAM-SHA-256; the socket (in `baseDir`) lets the superuser in without a password. As root, the server
 * runs as the `postgres` OS user, which then owns `baseDir`.
 */
export async function startPostgres(
  baseDir: string,
  options: {
    fresh?: boolean;
    /** Trades durability for speed (fsync and synchronous commit off): tests, never figures. */
    fast?: boolean;
    sharedBuffersMb?: number;
    /** Server settings beyond ours, as `name=value`. */
    settings?: readonly string[];
  } = {},
): Promise<LocalPostgres> {
  const binDir = await findPostgresBinDir();
  if (!binDir)
    throw new Error('PostgreSQL not found: install it with `apt-get install postgresql` (npm test does so as root)');
  if (options.fresh) await rm(baseDir, { recursive: true, force: true });
  const dataDir = join(baseDir, 'data');
  const certDir = join(baseDir, 'tls');
  const clientDir = join(baseDir, 'client');
  await mkdir(certDir, { recursive: true });
  await mkdir(clientDir, { recursive: true, mode: 0o700 });
  const identity = await serverIdentity();
  // The server reads its key and writes its socket and data here: the whole directory is its user's (the client
  // files stay ours; root reaches them anyway).
  if (identity) await chown(baseDir, identity.uid, identity.gid);
  const asServer = { cwd: baseDir, ...identity };
  await execFileAsync('test', ['-w', baseDir, '-a', '-x', baseDir], asServer).catch(() => {
    throw new Error(`${baseDir} is out of the ${SERVER_OS_USER} user's reach: every parent directory needs o+x`);
  });

  const fresh = !(await access(join(dataDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  ));
  if (fresh) {
    await writeCertificates(certDir);
    if (identity) {
      for (const file of ['', 'server.key', 'server.crt', 'ca.crt'])
        await chown(join(certDir, file), identity.uid, identity.gid);
    }
    await execFileAsync(
      join(binDir, 'initdb'),
      [
        `--pgdata=${dataDir}`,
        '--username=postgres',
        '--encoding=UTF8',
        '--no-locale',
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '--no-sync',
      ],
      asServer,
    );
  }

  const port = await freePort();
  const settings = [
    `port=${port}`,
    'listen_addresses=127.0.0.1',
    `unix_socket_directories=${baseDir}`,
    'unix_socket_permissions=0700',
    'ssl=on',
    `ssl_cert_file=${join(certDir, 'server.crt')}`,
    `ssl_key_file=${join(certDir, 'server.key')}`,
    'password_encryption=scram-sha-256',
    `shared_buffers=${options.sharedBuffersMb ?? 128}MB`,
    'max_connections=50',
    'logging_collector=off',
    ...(options.fast ? ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'] : []),
    ...(options.settings ?? []),
  ];
  const proc: ManagedProcess = startProcess(
    join(binDir, 'postgres'),
    ['-D', dataDir, ...settings.flatMap((s) => ['-c', s])],
    { ...asServer, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const connectionArgs = ['-h', baseDir, '-p', String(port), '-U', 'postgres'];
  const superuserArgs = (database: string) => [...connectionArgs, '-d', database];
  const psql = async (sql: string, database = 'postgres'): Promise<string> => {
    const child = execFileAsync(
      join(binDir, 'psql'),
      [
        '--no-psqlrc',
        '-v',
        'ON_ERROR_STOP=1',
        '--quiet',
        '--tuples-only',
        '--no-align',
        '--field-separator=\t',
        ...superuserArgs(database),
      ],
      { maxBuffer: 256 * 1024 * 1024 },
    );
    // A client that cannot connect exits without reading its input; the exit status reports it, not EPIPE.
    child.child.stdin?.on('error', () => undefined);
    child.child.stdin?.end(sql);
    return (await child).stdout;
  };
  await waitUntil(`PostgreSQL on port ${port}`, 60_000, async () => {
    if (proc.child.exitCode !== null) throw new Error(`postgres exited: ${proc.stderr}`);
    await psql('SELECT 1');
    return true;
  });
  await psql(
    `DO $$ BEGIN
       CREATE ROLE ${LOCAL_PG_USER} LOGIN;
     EXCEPTION WHEN duplicate_object THEN NULL;
     END $$;
     ALTER ROLE ${LOCAL_PG_USER} WITH LOGIN NOSUPERUSER CREATEDB CREATEROLE BYPASSRLS PASSWORD ${literal(LOCAL_PG_PASSWORD)};
     GRANT pg_read_all_data TO ${LOCAL_PG_USER};`,
  );
  const passFile = join(clientDir, 'pgpass');
  await writeFile(
    passFile,
    ['127.0.0.1', 'localhost'].map((host) => pgpassLine(host, port, LOCAL_PG_USER, LOCAL_PG_PASSWORD)).join(''),
    { mode: 0o600 },
  );
  const caFile = join(certDir, 'ca.crt');
  const caCert = await readFile(caFile, 'utf8');
  return {
    host: '127.0.0.1',
    port,
    socketDir: baseDir,
    dataDir,
    binDir,
    superuser: 'postgres',
    user: LOCAL_PG_USER,
    password: LOCAL_PG_PASSWORD,
    passFile,
    caCert,
    caFile,
    psql,
    superuserArgs,
    connectionArgs,
    // A fast shutdown: clients are disconnected and the server checkpoints, rather than waiting on every session.
    stop: () => proc.stop('SIGINT'),
  };
}
