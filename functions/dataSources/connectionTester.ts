import { redact } from '../../containers/backup/src/errors.ts';
import { detectMysqlTools, probeServer, withConnectionArgs, type MysqlTools } from '../../containers/backup/src/mysqlTools.ts';
import type { ConnectionTestResult } from '../../types/apiDataSources.ts';
import type { ConnectionTester } from './service.ts';

export interface MysqlClientTesterOptions {
  /** The client's own connect timeout. */
  readonly connectTimeoutSeconds?: number;
  /**
   * The whole test's bound, for a server that accepts the connection and then stays silent (the client's own
   * kill comes only 20 s after its connect timeout). Defaults to the connect timeout plus 2 s.
   */
  readonly deadlineMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Tests a connection with the runner's own code path: the `mysql`/`mariadb` client, the password in a private
 * option file, `SELECT VERSION()` on the source's database. It works wherever those client tools are installed
 * (local mode, tests, a Lambda layer or the runner task); elsewhere it answers `ok: false` saying so.
 */
export function mysqlClientTester(options: MysqlClientTesterOptions = {}): ConnectionTester {
  const connectTimeoutSeconds = options.connectTimeoutSeconds ?? 8;
  const deadlineMs = options.deadlineMs ?? (connectTimeoutSeconds + 2) * 1000;
  let tools: Promise<MysqlTools> | undefined;
  return {
    async test(connection, password): Promise<ConnectionTestResult> {
      const started = Date.now();
      const elapsed = () => Date.now() - started;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from ${connection.host}:${connection.port} within ${Math.round(deadlineMs / 1000)} s`)), deadlineMs);
      });
      try {
        const probe = (async () => {
          // Found once per container; a failed lookup is retried on the next test.
          tools ??= detectMysqlTools(options.env).catch((error: unknown) => {
            tools = undefined;
            throw error;
          });
          const found = await tools;
          return withConnectionArgs(connection, password, found.flavor, (conn) => probeServer(found, conn, connection.database, connectTimeoutSeconds));
        })();
        probe.catch(() => undefined); // it may settle after the deadline
        const info = await Promise.race([probe, deadline]);
        return { ok: true, serverVersion: info.version, durationMs: elapsed() };
      } catch (error) {
        return { ok: false, error: redact(error instanceof Error ? error.message : String(error), [password]), durationMs: elapsed() };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
