import { connect as netConnect, isIP } from 'node:net';
import { TLSSocket } from 'node:tls';
import { createConnection, type Connection as DriverConnection, type RowDataPacket, type SslOptions } from 'mysql2';
import type { TlsUsed } from '../../types/apiDataSources.ts';
import type { ConnectionProblem } from '../../types/connectionTest.ts';
import type { Connection, Tls } from '../../types/dataSource.ts';

/** How long a session (MySQL's or PostgreSQL's) may take, and where it logs in. */
export interface SessionOptions {
  /** Bound on the TCP connect alone (DNS included). */
  readonly connectTimeoutMs: number;
  /** Bound on everything (login and queries), for a server that accepts the connection and then stays silent. */
  readonly deadlineMs: number;
  /** Log in without a default database (the connection's own is used otherwise), e.g. to look for one that may not exist. */
  readonly withoutDatabase?: boolean;
}

/** One row of a result set, its columns in the order the statement names them. */
export type MysqlRow = readonly unknown[];

/** A logged-in connection, valid only inside the `withMysqlSession` callback it is handed to. */
export interface MysqlSession {
  /** As the server's greeting reports it (MariaDB's "5.5.5-" replication prefix removed). */
  readonly serverVersion: string;
  /** How the session is protected: what the API reports beside a successful connection test. */
  readonly tls: TlsUsed;
  /** Runs one statement and reads its whole result set. */
  query(sql: string): Promise<MysqlRow[]>;
}

type Phase = 'connecting' | 'greeting' | 'login' | 'query';

const DOING: Record<Phase, string> = {
  connecting: 'while connecting',
  greeting: 'before sending its greeting',
  login: 'during the login',
  query: 'while answering a query',
};

/** The driver's error: a server ERR packet carries errno, SQL state and message; Node's and the driver's carry a code. */
type DriverError = Error & { code?: string; errno?: number; sqlState?: string; sqlMessage?: string };

/** A failure with the kind of problem it is, so that the connection test can explain it (types/connectionTest.ts). */
export class ConnectionFailure extends Error {
  constructor(
    readonly problem: ConnectionProblem,
    message: string,
  ) {
    super(message);
  }
}

/** The greeting offers no TLS: `preferred` goes on without it, every other mode that wants it stops here. */
class NoTlsOffered extends ConnectionFailure {
  constructor(message: string) {
    super('tls', message);
  }
}

/**
 * Server error numbers by the problem they mean (MySQL's and MariaDB's share them): a refused login, the account not
 * allowed from this host or to this database, or the plugin it needs; the database missing; TLS the server insists on.
 */
const PROBLEM_OF_ERRNO: Readonly<Record<number, ConnectionProblem>> = {
  1044: 'authentication', // ER_DBACCESS_DENIED_ERROR
  1045: 'authentication', // ER_ACCESS_DENIED_ERROR
  1130: 'authentication', // ER_HOST_NOT_PRIVILEGED
  1251: 'authentication', // ER_NOT_SUPPORTED_AUTH_MODE
  1524: 'authentication', // ER_PLUGIN_IS_NOT_LOADED
  1698: 'authentication', // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
  1049: 'unknown-database', // ER_BAD_DB_ERROR
  3159: 'tls', // ER_SECURE_TRANSPORT_REQUIRED
};

/**
 * The driver's TLS settings for a mode, as MySQL's ssl-mode means it. `preferred` starts as `required` and falls
 * back to cleartext only when the server's greeting offers no TLS (`withMysqlSession` retries).
 */
function sslFor(tls: Tls): SslOptions | undefined {
  switch (tls.mode) {
    case 'disabled':
      return undefined;
    case 'preferred':
    case 'required':
      return { rejectUnauthorized: false };
    case 'verify-ca':
    case 'verify-identity':
      return {
        rejectUnauthorized: true,
        verifyIdentity: tls.mode === 'verify-identity',
        ...(tls.caPem && { ca: tls.caPem }),
      };
  }
}

function unsupportedPlugin(plugin: string): ConnectionFailure {
  const what =
    plugin === 'client_ed25519'
      ? "MariaDB's ed25519 authentication (client_ed25519)"
      : `the authentication plugin '${plugin}'`;
  return new ConnectionFailure(
    'authentication',
    `the user logs in with ${what}, which the connection test does not support (it supports mysql_native_password and caching_sha2_password)`,
  );
}

function tlsFailure(tls: Tls, host: string, where: string, error: DriverError): ConnectionFailure {
  const { caPem } = tls;
  let hint = '';
  // The driver replaces Node's code (e.g. ERR_TLS_CERT_ALTNAME_INVALID) with its own, so the message tells which check failed.
  if (/altnames/i.test(error.message)) {
    hint = ` (the certificate does not name ${host}; connect by the name it was issued for, or use verify-ca)`;
  } else if (/certificate|issuer|signature/i.test(error.message)) {
    if (!caPem)
      hint =
        " (the server certificate is not signed by a publicly trusted CA: give its CA bundle, e.g. RDS's global bundle, as caPem)";
    else if (!caPem.includes('-----BEGIN CERTIFICATE-----')) hint = ' (caPem holds no PEM certificate)';
    else hint = ' (the server certificate is not signed by the given CA)';
  }
  return new ConnectionFailure('tls', `TLS handshake with ${where} failed: ${error.message}${hint}`);
}

/** A failure before the server answered (refused, unknown host, no route), as the MySQL and PostgreSQL sessions word it. */
export function connectFailure(where: string, host: string, error: DriverError): ConnectionFailure {
  switch (error.code) {
    case 'ECONNREFUSED':
      return new ConnectionFailure(
        'unreachable',
        `Can't connect to ${where}: connection refused (nothing listens on that port, or a firewall rejects it)`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return new ConnectionFailure(
        'unreachable',
        `Can't connect to ${where}: unknown host '${host}' (DNS lookup failed)`,
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new ConnectionFailure('unreachable', `Can't connect to ${where}: no route to the host from here`);
    case 'ETIMEDOUT':
      return new ConnectionFailure('timeout', `Can't connect to ${where}: ${error.message}`);
    default:
      return new ConnectionFailure('unreachable', `Can't connect to ${where}: ${error.message}`);
  }
}

/** What one failure means, in words fit to show (the caller still redacts the password). */
function describe(
  error: DriverError,
  context: { tls: Tls; host: string; where: string; phase: Phase },
): ConnectionFailure {
  const { tls, host, where, phase } = context;
  if (error.sqlMessage !== undefined && error.errno !== undefined) {
    return new ConnectionFailure(
      PROBLEM_OF_ERRNO[error.errno] ?? 'other',
      `ERROR ${error.errno}${error.sqlState ? ` (${error.sqlState})` : ''}: ${error.sqlMessage}`,
    );
  }
  switch (error.code) {
    case 'HANDSHAKE_NO_SSL_SUPPORT':
      return new NoTlsOffered(`${where} does not support TLS, which tls mode '${tls.mode}' requires`);
    case 'HANDSHAKE_SSL_ERROR':
      return tlsFailure(tls, host, where, error);
    case 'PUBLIC_KEY_RETRIEVAL_NOT_ALLOWED': {
      const plugin = /using (\S+),/.exec(error.message)?.[1] ?? 'caching_sha2_password';
      return new ConnectionFailure(
        'tls',
        `${where} asked for the password itself (${plugin} full authentication) on a connection without TLS: it is sent only inside TLS, and the server's RSA key is never fetched unverified (anyone in the path could swap it). Set the source's tls mode to required or verify-identity`,
      );
    }
    case 'MYSQL_CLEAR_PASSWORD_NOT_ENABLED':
      return new ConnectionFailure(
        'authentication',
        `${where} asked for the password in clear text (mysql_clear_password), which is never sent`,
      );
    case 'PROTOCOL_CONNECTION_LOST':
      return phase === 'connecting'
        ? new ConnectionFailure('unreachable', `Can't connect to ${where}: the connection was closed`)
        : new ConnectionFailure('other', `${where} closed the connection ${DOING[phase]}`);
  }
  const plugin = /unknown plugin (\S+)\./.exec(error.message)?.[1];
  if (plugin) return unsupportedPlugin(plugin);
  if (phase === 'connecting') return connectFailure(where, host, error);
  return new ConnectionFailure('other', `connection to ${where} failed ${DOING[phase]}: ${error.message}`);
}

const seconds = (ms: number): number => Math.max(1, Math.round(ms / 1000));

interface Attempt {
  readonly tls: Tls;
  readonly host: string;
  readonly where: string;
  readonly database: string | undefined;
  readonly endsAt: number;
}

/**
 * One connection through the driver, with the phase it reached kept beside it so that a timeout or a failure
 * names what was going on. Timers are ours (the driver's connectTimeout spans the whole login and says only
 * ETIMEDOUT): `connectTimeoutMs` for TCP, then the session's deadline for everything after.
 */
function open(
  connection: Connection,
  password: string,
  attempt: Attempt,
  options: SessionOptions,
): Promise<{ session: MysqlSession; close: () => void }> {
  const { tls, host, where } = attempt;
  const ssl = sslFor(tls);
  const socket = netConnect({ host, port: connection.port });
  socket.setNoDelay(true);
  let phase: Phase = 'connecting';
  let failure: Error | undefined;
  socket.once('connect', () => (phase = 'greeting'));
  socket.once('data', () => (phase = 'login'));

  const driver: DriverConnection = createConnection({
    host,
    port: connection.port,
    user: connection.username,
    password,
    ...(attempt.database !== undefined && { database: attempt.database }),
    ssl,
    stream: socket,
    connectTimeout: 0,
    charset: 'utf8mb4_general_ci',
  });

  return new Promise((resolve, reject) => {
    const waiting = new Set<(error: Error) => void>([reject]);
    const fail = (error: Error): void => {
      failure ??= error;
      clearTimers();
      driver.destroy();
      for (const settle of waiting) settle(failure);
      waiting.clear();
    };
    const connectTimer = setTimeout(
      () => {
        if (phase !== 'connecting') return;
        const hint = 'is the host reachable from here? a security group or firewall may drop the connection';
        fail(
          new ConnectionFailure(
            'timeout',
            `Can't connect to ${where}: no answer within ${seconds(options.connectTimeoutMs)} s (${hint})`,
          ),
        );
      },
      Math.min(options.connectTimeoutMs, attempt.endsAt - Date.now()),
    );
    const deadline = setTimeout(() => {
      if (phase === 'connecting')
        return fail(
          new ConnectionFailure(
            'timeout',
            `Can't connect to ${where}: no answer within ${seconds(options.deadlineMs)} s`,
          ),
        );
      const waitedFor =
        phase === 'greeting' ? ': the connection was accepted, but no greeting came' : ` ${DOING[phase]}`;
      fail(
        new ConnectionFailure('timeout', `no answer from ${where} within ${seconds(options.deadlineMs)} s${waitedFor}`),
      );
    }, attempt.endsAt - Date.now());
    const clearTimers = (): void => {
      clearTimeout(connectTimer);
      clearTimeout(deadline);
    };

    // Stays attached for the connection's life: an 'error' without a listener would crash the process.
    driver.on('error', (error: DriverError) => fail(describe(error, { tls, host, where, phase })));
    driver.once('connect', (greeting: { serverVersion: string }) => {
      phase = 'query';
      const stream = (driver as unknown as { stream?: unknown }).stream;
      const session: MysqlSession = {
        serverVersion: greeting.serverVersion.replace(/^5\.5\.5-/, ''),
        tls:
          ssl === undefined
            ? { tls: 'none' }
            : {
                tls: ssl.rejectUnauthorized ? 'verified' : 'encrypted (unverified)',
                ...(stream instanceof TLSSocket && { tlsProtocol: stream.getProtocol() ?? undefined }),
              },
        query: (sql) =>
          new Promise<MysqlRow[]>((resolveQuery, rejectQuery) => {
            if (failure) return rejectQuery(failure);
            waiting.add(rejectQuery);
            driver.query<RowDataPacket[]>({ sql, rowsAsArray: true }, (error, rows) => {
              waiting.delete(rejectQuery);
              if (failure) rejectQuery(failure);
              else if (error) rejectQuery(describe(error, { tls, host, where, phase }));
              // rowsAsArray: each row is an array of its columns, which the driver's types do not say.
              else resolveQuery(rows as unknown as MysqlRow[]);
            });
          }),
      };
      waiting.delete(reject);
      resolve({
        session,
        close: () => {
          clearTimers();
          if (failure) return;
          failure = new Error('the session is closed');
          // COM_QUIT, then the socket closed whatever the server does.
          driver.end(() => undefined);
          setTimeout(() => driver.destroy(), 1000).unref();
        },
      });
    });
  });
}

/**
 * Logs in to a MySQL or MariaDB server through mysql2 as `connection` says (TLS per its mode, its user, its
 * database unless `withoutDatabase`), hands the session to `use` for its queries (one at a time), then quits.
 * Rejects with why not: the server's own ERR text (`ERROR 1045 (28000): Access denied…`), or what went wrong on
 * the way, in words. Never longer than `deadlineMs` in all. The password leaves only as a hash or inside TLS:
 * a server asking for more on a connection without TLS (an RSA key to fetch, or clear text) is refused.
 */
export async function withMysqlSession<T>(
  connection: Connection,
  password: string,
  options: SessionOptions,
  use: (session: MysqlSession) => Promise<T>,
): Promise<T> {
  const host = connection.host.replace(/^\[(.*)\]$/, '$1');
  if (connection.tls.mode === 'verify-identity' && isIP(host) !== 0) {
    // mysql2 passes no server name for an IP address, so Node would check the certificate against "localhost".
    throw new ConnectionFailure(
      'tls',
      `tls mode 'verify-identity' checks the name on the server's certificate, which the connection test can do for a host name only, not the IP address ${host}: connect by the name the certificate was issued for, or use verify-ca`,
    );
  }
  const attempt: Attempt = {
    tls: connection.tls,
    host,
    where: `${isIP(host) === 6 ? `[${host}]` : host}:${connection.port}`,
    database: options.withoutDatabase ? undefined : connection.database,
    endsAt: Date.now() + options.deadlineMs,
  };
  let opened: Awaited<ReturnType<typeof open>>;
  try {
    opened = await open(connection, password, attempt, options);
  } catch (error) {
    // A server without TLS says so in its greeting, before any credentials are sent: `preferred` then goes on in clear.
    if (!(error instanceof NoTlsOffered && connection.tls.mode === 'preferred')) throw error;
    opened = await open(connection, password, { ...attempt, tls: { mode: 'disabled' } }, options);
  }
  try {
    return await use(opened.session);
  } finally {
    opened.close();
  }
}
