import { isIP } from 'node:net';
import { TLSSocket, type ConnectionOptions } from 'node:tls';
import pg from 'pg';
import type { TlsUsed } from '../../types/apiDataSources.ts';
import type { ConnectionProblem } from '../../types/connectionTest.ts';
import type { Connection, Tls } from '../../types/dataSource.ts';
import { ConnectionFailure, connectFailure, type SessionOptions } from './mysqlSession.ts';

/** A logged-in PostgreSQL connection, valid only inside the `withPgSession` callback it is handed to. */
export interface PgSession {
  /** `server_version` as the server reports it (e.g. `15.10 (Debian 15.10-0+deb12u1)`). */
  readonly serverVersion: string;
  readonly tls: TlsUsed;
  /** Runs one statement with its parameters bound by the server (`$1`…), rows as arrays of their columns. */
  query(sql: string, params?: readonly unknown[]): Promise<unknown[][]>;
}

/**
 * SQLSTATE classes and codes by the problem they mean: a refused password or no pg_hba.conf entry for this user,
 * address or TLS setting; no such database; a role that may not log in or connect.
 */
const PROBLEM_OF_SQLSTATE: Readonly<Record<string, ConnectionProblem>> = {
  '28P01': 'authentication', // invalid_password
  '28000': 'authentication', // invalid_authorization_specification (pg_hba.conf, NOLOGIN)
  '42501': 'authentication', // insufficient_privilege (no CONNECT on the database)
  '3D000': 'unknown-database', // invalid_catalog_name
};

/** Node's certificate checks that failed, by its codes: the CA, or the name on the certificate. */
const CERTIFICATE_CODES =
  /^(SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_(VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT(_LOCALLY)?)|CERT_(HAS_EXPIRED|NOT_YET_VALID|SIGNATURE_FAILURE|UNTRUSTED|REJECTED))$/;

/**
 * The driver's TLS settings as libpq's sslmode means them (`ENGINES.postgresql.tlsModes`): `require` encrypts
 * without checking the certificate; `verify-ca` checks it against the CA but not the name; `verify-full` (our
 * verify-identity) checks both. A mode without a PostgreSQL name (`preferred`) is refused before this is reached.
 */
function sslFor(tls: Tls): ConnectionOptions | false {
  switch (tls.mode) {
    case 'disabled':
      return false;
    case 'required':
    case 'preferred':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined, ...(tls.caPem && { ca: tls.caPem }) };
    case 'verify-identity':
      return { rejectUnauthorized: true, ...(tls.caPem && { ca: tls.caPem }) };
  }
}

type DriverError = Error & { code?: string; severity?: string };

function tlsFailure(tls: Tls, host: string, where: string, error: DriverError): ConnectionFailure {
  let hint: string;
  if (error.code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    hint = ` (the certificate does not name ${host}; connect by the name it was issued for, or use verify-ca)`;
  else if (!tls.caPem)
    hint =
      " (the server certificate is not signed by a publicly trusted CA: give its CA bundle, e.g. RDS's global bundle, as caPem)";
  else if (!tls.caPem.includes('-----BEGIN CERTIFICATE-----')) hint = ' (caPem holds no PEM certificate)';
  else hint = ' (the server certificate is not signed by the given CA)';
  return new ConnectionFailure('tls', `TLS handshake with ${where} failed: ${error.message}${hint}`);
}

/** What one failure means, in words fit to show (the caller still redacts the password). */
function describe(error: DriverError, context: { tls: Tls; host: string; where: string }): ConnectionFailure {
  const { tls, host, where } = context;
  if (error instanceof ConnectionFailure) return error;
  if (error.severity !== undefined && error.code !== undefined)
    return new ConnectionFailure(
      PROBLEM_OF_SQLSTATE[error.code] ?? 'other',
      `${error.severity} ${error.code}: ${error.message}`,
    );
  if (error.message === 'The server does not support SSL connections')
    return new ConnectionFailure('tls', `${where} does not support TLS, which tls mode '${tls.mode}' requires`);
  if (error.code === 'ERR_TLS_CERT_ALTNAME_INVALID' || (error.code && CERTIFICATE_CODES.test(error.code)))
    return tlsFailure(tls, host, where, error);
  if (error.code?.startsWith('ERR_SSL') || error.code === 'ECONNRESET')
    return new ConnectionFailure('tls', `TLS with ${where} failed: ${error.message}`);
  if (error.code !== undefined) return connectFailure(where, host, error);
  return new ConnectionFailure('other', `connection to ${where} failed: ${error.message}`);
}

const seconds = (ms: number): number => Math.max(1, Math.round(ms / 1000));

/**
 * Logs in to a PostgreSQL server through `pg` (pure JavaScript, so it runs in Lambda) as `connection` says: TLS per
 * its mode, its user (SCRAM-SHA-256 or MD5) and database (a PostgreSQL login always names one); hands the session
 * to `use`, then ends it. Rejects with a ConnectionFailure: the server's own error (`FATAL 28P01: password
 * authentication failed…`) or what went wrong on the way. Never longer than `deadlineMs` in all; each statement is
 * bounded by the server too. A server asking for the password in clear text outside TLS is refused, not answered.
 */
export async function withPgSession<T>(
  connection: Connection,
  password: string,
  options: Omit<SessionOptions, 'withoutDatabase'>,
  use: (session: PgSession) => Promise<T>,
): Promise<T> {
  const host = connection.host.replace(/^\[(.*)\]$/, '$1');
  const where = `${isIP(host) === 6 ? `[${host}]` : host}:${connection.port}`;
  const tls = connection.tls;
  const ssl = sslFor(tls);
  let clearTextAsked = false;
  const client = new pg.Client({
    host,
    port: connection.port,
    user: connection.username,
    database: connection.database,
    // Asked for only when the server wants it: refused in clear text on a connection without TLS.
    password: () => {
      if (clearTextAsked && ssl === false)
        throw new ConnectionFailure(
          'authentication',
          `${where} asked for the password in clear text on a connection without TLS, which is never sent: set the source's tls mode to require or verify-full`,
        );
      return password;
    },
    ssl,
    connectionTimeoutMillis: options.connectTimeoutMs,
    statement_timeout: options.deadlineMs,
    application_name: 'keepsake',
  });
  (client as unknown as { connection: NodeJS.EventEmitter }).connection.once(
    'authenticationCleartextPassword',
    () => (clearTextAsked = true),
  );
  let failure: Error | undefined;
  // Stays attached for the client's life: an 'error' without a listener would crash the process.
  client.on('error', (error: DriverError) => (failure ??= describe(error, { tls, host, where })));

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      failure ??= new ConnectionFailure('timeout', `no answer from ${where} within ${seconds(options.deadlineMs)} s`);
      reject(failure);
      void client.end().catch(() => undefined);
    }, options.deadlineMs);
  });
  const work = (async () => {
    try {
      await client.connect();
    } catch (error) {
      const driverError = error as DriverError;
      if (/timeout/i.test(driverError.message) && driverError.code === undefined)
        throw new ConnectionFailure(
          'timeout',
          `Can't connect to ${where}: no answer within ${seconds(options.connectTimeoutMs)} s (is the host reachable from here? a security group or firewall may drop the connection)`,
        );
      void client.end().catch(() => undefined);
      throw failure ?? describe(driverError, { tls, host, where });
    }
    const stream = (client as unknown as { connection: { stream?: unknown } }).connection.stream;
    const query = async (sql: string, params: readonly unknown[] = []): Promise<unknown[][]> => {
      try {
        return (await client.query({ text: sql, values: [...params], rowMode: 'array' })).rows as unknown[][];
      } catch (error) {
        throw failure ?? describe(error as DriverError, { tls, host, where });
      }
    };
    const [[serverVersion]] = (await query('SHOW server_version')) as [[string]];
    const session: PgSession = {
      serverVersion,
      tls:
        ssl === false
          ? { tls: 'none' }
          : {
              tls: ssl.rejectUnauthorized ? 'verified' : 'encrypted (unverified)',
              ...(stream instanceof TLSSocket && { tlsProtocol: stream.getProtocol() ?? undefined }),
            },
      query,
    };
    try {
      return await use(session);
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
