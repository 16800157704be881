import { logEvent, type JobContext } from '../../context.ts';
import { RunnerError, messageOf } from '../../errors.ts';
import { childEnv } from '../../passwordSource.ts';
import { run } from '../../processes.ts';
import type { DumpFormatReader, DumpWatch, EngineAccess, EngineSession, RunnerEngine } from '../engine.ts';
import { DefinerRewrite } from './definerRewrite.ts';
import { DumpInspector } from './dumpInspector.ts';
import {
  UNKNOWN_DATABASE,
  clientLogEvent,
  databaseExists,
  detectMysqlTools,
  dumpCommand,
  probeServer,
  quoteIdentifier,
  tableCount,
  withConnectionArgs,
  type MysqlEngine,
  type MysqlTools,
  type SandboxArg,
} from './tools.ts';

/** Slack between mysqldump and the compressor; 1 MiB measured as fast as 4 MiB (bench) with less memory. */
const PIPELINE_BUFFER_BYTES = 1 * 1024 * 1024;

/** ER_DB_CREATE_EXISTS, as the clients print it. */
const DATABASE_EXISTS = /\bERROR 1007 \(HY000\)/;
/** A character set or collation name: what may go into SQL unquoted. */
const IDENTIFIER = /^[A-Za-z0-9_]+$/;

/**
 * mysqldump's SQL: whole when it ends with the `-- Dump completed` trailer mysqldump writes last (a dump cut short,
 * even one whose tool exited 0, lacks it); its tables are its `CREATE TABLE` statements.
 */
export const mysqlSqlReader: DumpFormatReader = {
  format: 'mysqlSql',
  watch(purpose): Promise<DumpWatch> {
    // Reads the stream itself: starts no tool.
    const inspector = new DumpInspector(purpose === 'backup' ? PIPELINE_BUFFER_BYTES : undefined);
    return Promise.resolve({
      stage: inspector,
      get bytes() {
        return inspector.bytes;
      },
      verdict: () =>
        Promise.resolve(
          inspector.completed
            ? { tables: inspector.tables }
            : { problem: 'the dump inside ends without its "-- Dump completed" trailer' },
        ),
    });
  },
};

function sandboxOf(tools: MysqlTools): SandboxArg {
  if (tools.sandboxArg) return tools.sandboxArg;
  throw new RunnerError(
    `refusing to restore: the client ${tools.clientBin} has neither --sandbox (MariaDB 10.5.25, 10.6.18, 10.11.8, 11.4.2 or later) nor --skip-system-command (MySQL 8.0.40, 8.4.3 or later), so SQL in the backup could run shell commands; install a client that has one`,
  );
}

/**
 * MySQL and MariaDB: each engine's own client tools (see `detectMysqlTools`), the password in a private option file,
 * restores through a client sandboxed against shell and file commands.
 */
export function mysqlEngine(engine: MysqlEngine): RunnerEngine {
  return {
    engine,
    reader: mysqlSqlReader,
    async withSession<T>(access: EngineAccess, ctx: JobContext, fn: (session: EngineSession) => Promise<T>) {
      const tools = await detectMysqlTools(engine, ctx.env ?? process.env);
      logEvent(ctx, clientLogEvent(engine, tools));
      const { connection, password, connectTimeoutSeconds: timeout } = access;
      return withConnectionArgs(connection, password, tools.flavor, (conn) => {
        const secrets = [password];
        const client = (args: readonly string[]) =>
          run(tools.clientBin, [...conn.args, `--connect-timeout=${timeout}`, ...args], {
            timeoutMs: (timeout + 20) * 1000,
            secrets,
          });

        /** The target's character set and collation, or undefined when it does not exist. */
        const databaseDefaults = async (target: string) => {
          const out = await client([
            '--batch',
            '--skip-column-names',
            `--database=${target}`,
            '-e',
            'SELECT @@character_set_database, @@collation_database',
          ]).catch((error: unknown) => {
            if (UNKNOWN_DATABASE.test(messageOf(error))) return undefined;
            throw new RunnerError(`cannot read the character set of database "${target}": ${messageOf(error)}`);
          });
          if (!out) return undefined;
          const [charset = '', collation = ''] = out.stdout.trim().split('\t');
          if (!IDENTIFIER.test(charset) || !IDENTIFIER.test(collation))
            throw new RunnerError(
              `database "${target}" reports an unexpected character set "${charset}" / "${collation}"`,
            );
          return { charset, collation };
        };

        const session: EngineSession = {
          dumpTool: 'mysqldump',
          childEnv: childEnv(access.passwordRef, secrets),
          secrets,
          probe: (database) => probeServer(tools, conn, database, timeout),
          databaseExists: (database) => databaseExists(tools, conn, database, timeout),
          dumpCommand: (database) => dumpCommand(tools, conn, database),
          // mysqldump writes DROP TABLE IF EXISTS before each table: an existing target needs nothing more.
          async prepareTarget(target, how) {
            const quoted = quoteIdentifier(target);
            const defaults = how.replaceTarget ? await databaseDefaults(target) : undefined;
            const sql = defaults
              ? `DROP DATABASE ${quoted}; CREATE DATABASE ${quoted} CHARACTER SET ${defaults.charset} COLLATE ${defaults.collation}`
              : `CREATE DATABASE ${how.targetExisted === false ? '' : 'IF NOT EXISTS '}${quoted}`;
            await client(['-e', sql]).catch((error: unknown) => {
              if (how.targetExisted === false && DATABASE_EXISTS.test(messageOf(error))) {
                throw new RunnerError(
                  `refusing to restore: database "${target}" did not exist when the safety backup was to be taken, but exists now, so no safety backup covers it; nothing was overwritten`,
                );
              }
              throw new RunnerError(
                `cannot ${defaults ? 'replace' : 'create or reach'} database "${target}": ${messageOf(error)}`,
              );
            });
            return { database: target, commit: () => Promise.resolve(), abandon: () => Promise.resolve() };
          },
          restoreCommand(database, options) {
            const sandboxArg = sandboxOf(tools);
            return {
              command: [tools.clientBin, [...conn.args, sandboxArg, `--database=${database}`]],
              tool: 'mysql',
              stages: options.rewriteDefiners ? [new DefinerRewrite()] : [],
            };
          },
          tableCount: (database) => tableCount(tools, conn, database, timeout),
          async dropDatabase(database) {
            await client(['-e', `DROP DATABASE IF EXISTS ${quoteIdentifier(database)}`]);
          },
        };
        return fn(session);
      });
    },
  };
}
