import * as z from 'zod';
import type { Connection } from './dataSource.ts';

/**
 * Why a connection test failed, in the categories a person acts on differently: fix the credentials, the database
 * name, the TLS setting, the address (or the network in between), or wait and look at the network; `other` for
 * anything else, whose server message then says it all.
 */
export const ConnectionProblemSchema = z.enum([
  'authentication',
  'unknown-database',
  'tls',
  'unreachable',
  'timeout',
  'other',
]);
export type ConnectionProblem = z.infer<typeof ConnectionProblemSchema>;

/** A headline per problem, as the console's result panel and the CLI print it above the explanation. */
export const CONNECTION_PROBLEM_TITLES: Record<ConnectionProblem, string> = {
  authentication: 'The server refused the login',
  'unknown-database': 'The database does not exist',
  tls: 'TLS could not be set up',
  unreachable: 'The server could not be reached',
  timeout: 'The server did not answer in time',
  other: 'The connection failed',
};

/**
 * What `problem` means for this connection, in plain words with what to check. The server's (or the client's) own
 * message goes beneath it: this says what to do, that says exactly what happened.
 */
export function explainConnectionProblem(
  problem: ConnectionProblem,
  connection: Pick<Connection, 'host' | 'port' | 'database' | 'username' | 'tls'>,
): string {
  const { host, port, database, username, tls } = connection;
  const where = `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
  switch (problem) {
    case 'authentication':
      return `The server at ${where} did not accept user "${username}" with this password. Check the username and password, and that the user may connect from where Keepsake runs (MySQL accounts are user@host) and to database "${database}".`;
    case 'unknown-database':
      return `The server at ${where} accepted user "${username}" but has no database "${database}" (names are case-sensitive on most servers). Check the name, or create the database first.`;
    case 'tls':
      return `A TLS connection as TLS mode "${tls.mode}" asks could not be set up with ${where}: the server may not offer TLS, or its certificate is not one this setting trusts. Choose the TLS mode the server supports, or give the CA that signed its certificate.`;
    case 'unreachable':
      return `Nothing accepted a connection at ${where}. Check the host and port, and that the database server is running and accepts connections from where Keepsake runs.`;
    case 'timeout':
      return `${where} did not answer in time. A firewall or security group may be dropping the connection silently, or the server is overloaded; check that Keepsake's network can reach it.`;
    case 'other':
      return `The connection to ${where} failed; the message below says why.`;
  }
}
