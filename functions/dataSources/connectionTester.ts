import { messageOf, redact } from '../../containers/backup/src/errors.ts';
import type { ConnectionTestResult } from '../../types/apiDataSources.ts';
import { explainConnectionProblem } from '../../types/connectionTest.ts';
import { ConnectionFailure, withMysqlSession } from './mysqlSession.ts';
import { withPgSession } from './pgSession.ts';
import type { ConnectionTester } from './dataSourceService.ts';

export interface WireProtocolTesterOptions {
  /** Bound on the TCP connect (DNS included). */
  readonly connectTimeoutMs?: number;
  /** Bound on the whole test, for a server that accepts the connection and then stays silent. Defaults to the connect timeout plus 2 s. */
  readonly deadlineMs?: number;
}

/**
 * Tests a connection through mysql2 or pg by the source's engine (pure JavaScript, so it works in the Lambda runtime,
 * which has no client binaries): TLS per the source's mode, a login with its user and database
 * (mysql_native_password or caching_sha2_password; SCRAM-SHA-256 or MD5), then quit. `ok` carries the server's version and how the session was protected;
 * otherwise the kind of problem, what it means in plain words, and the server's own error or what failed on the
 * way, always without the password.
 */
export function wireProtocolTester(options: WireProtocolTesterOptions = {}): ConnectionTester {
  const connectTimeoutMs = options.connectTimeoutMs ?? 8000;
  const deadlineMs = options.deadlineMs ?? connectTimeoutMs + 2000;
  return {
    async test(connection, password): Promise<ConnectionTestResult> {
      const started = Date.now();
      try {
        const bounds = { connectTimeoutMs, deadlineMs };
        const { serverVersion, tls } =
          connection.engine === 'postgresql'
            ? await withPgSession(connection, password, bounds, async ({ serverVersion, tls }) => ({
                serverVersion,
                tls,
              }))
            : await withMysqlSession(connection, password, bounds, async ({ serverVersion, tls }) => ({
                serverVersion,
                tls,
              }));
        return { ok: true, serverVersion, ...tls, durationMs: Date.now() - started };
      } catch (error) {
        const problem = error instanceof ConnectionFailure ? error.problem : 'other';
        return {
          ok: false,
          problem,
          explanation: explainConnectionProblem(problem, connection),
          error: redact(messageOf(error), [password]),
          durationMs: Date.now() - started,
        };
      }
    },
  };
}
