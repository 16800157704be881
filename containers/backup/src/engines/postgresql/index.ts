import { randomBytes } from 'node:crypto';
import { logEvent, type JobContext } from '../../context.ts';
import { RunnerError, messageOf } from '../../errors.ts';
import { childEnv } from '../../passwordSource.ts';
import { withPrivateDir } from '../../privateDir.ts';
import { run, type ExitStatus } from '../../processes.ts';
import type { EngineAccess, EngineSession, RunnerEngine } from '../engine.ts';
import { pgCustomReader } from './archive.ts';
import { connectionEnv, dbnameArg, detectPgTools, schemaArgs, withoutPgVariables, type PgTools } from './tools.ts';

/** The databases a session connects to for what needs none of its own (existence, CREATE, DROP), in this order. */
const MAINTENANCE_DATABASES = ['postgres', 'template1'];

/** Tables as pg_dump's TOC counts them: ordinary and partitioned tables of user schemas, extensions' own aside. */
const TABLE_COUNT_SQL = `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e');`;

const DOES_NOT_EXIST = /database ".*" does not exist/;
const ALREADY_EXISTS = /database ".*" already exists/;

/**
 * pg_restore's own account of a failure: its `error:` line and the statement it names (`Command was: …`, first
 * line), rather than the last lines of its output.
 */
export function describeRestoreFailure(status: ExitStatus): string {
  const lines = status.stderr.split('\n');
  const error = lines.find((line) => /\berror: /.test(line))?.replace(/^pg_restore: /, '');
  const at = lines.findIndex((line) => /^Command was: /.test(line));
  const command = at === -1 ? undefined : lines[at]!.slice('Command was: '.length).trim();
  const how = status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
  const detail = [error, command && `the failing statement: ${command.slice(0, 500)}`].filter(Boolean).join('; ');
  return `pg_restore ${how}${detail ? `: ${detail}` : ''}`;
}

/**
 * PostgreSQL (9.6–17, RDS and Aurora included): `pg_dump -Fc -Z0` streamed to the runner's compressor, restored by
 * `pg_restore` from stdin. The password reaches libpq through a private pgpass file only; host, user and TLS
 * through the clients' environment; database names as connection-string values.
 */
export const postgresqlEngine: RunnerEngine = {
  engine: 'postgresql',
  reader: pgCustomReader,
  async withSession<T>(access: EngineAccess, ctx: JobContext, fn: (session: EngineSession) => Promise<T>) {
    const env = ctx.env ?? process.env;
    const tools = await detectPgTools(env);
    logEvent(ctx, clientLogEvent(tools));
    const { connection, password, connectTimeoutSeconds: timeout } = access;
    return withPrivateDir(async (dir) => {
      const secrets = [password];
      const sessionEnv = {
        ...withoutPgVariables(childEnv(access.passwordRef, secrets, env)),
        ...(await connectionEnv(dir, connection, password, timeout)),
      };
      const psql = (database: string, sql: string, vars: Record<string, string> = {}) =>
        run(
          tools.psql,
          [
            '--no-psqlrc',
            '--no-password',
            '--quiet',
            '--tuples-only',
            '--no-align',
            '--field-separator=\t',
            '--set=ON_ERROR_STOP=1',
            ...Object.entries(vars).map(([name, value]) => `--set=${name}=${value}`),
            dbnameArg(database),
          ],
          { timeoutMs: (timeout + 20) * 1000, input: sql, secrets, env: sessionEnv },
        );
      /** Runs SQL that needs no database of its own (names go in as psql variables, quoted by psql). */
      const admin = async (sql: string, vars: Record<string, string>) => {
        let failure: unknown;
        for (const database of MAINTENANCE_DATABASES) {
          try {
            return await psql(database, sql, vars);
          } catch (error) {
            failure = error;
            if (!DOES_NOT_EXIST.test(messageOf(error))) break;
          }
        }
        throw failure;
      };
      const exists = async (database: string) => {
        const { stdout } = await admin(`SELECT count(*) FROM pg_database WHERE datname = :'name';`, {
          name: database,
        }).catch((error: unknown) => {
          throw new RunnerError(
            `cannot tell whether database "${database}" exists (${messageOf(error)}): a restore does not overwrite a database that may exist without a safety backup`,
          );
        });
        return stdout.trim() === '1';
      };

      const session: EngineSession = {
        dumpTool: 'pg_dump',
        childEnv: sessionEnv,
        secrets,
        async probe(database) {
          const { stdout } = await psql(
            database,
            `SELECT current_setting('server_version'), pg_database_size(current_database());`,
          ).catch((error: unknown) => {
            throw new RunnerError(`cannot connect to database "${database}": ${messageOf(error)}`);
          });
          const [version = 'unknown', bytes = '0'] = stdout.trim().split('\t');
          return { version, dataBytes: Number(bytes) || 0 };
        },
        databaseExists: exists,
        dumpCommand: (database) => [
          tools.pgDump,
          [
            '--format=custom',
            // Compressed by the runner's compressor instead: pg_dump's own zlib measured 3.9× slower (bench:pg).
            '--compress=0',
            '--no-password',
            // A schema filter naming a schema that does not exist fails the backup instead of dumping less.
            ...(connection.schemas ? ['--strict-names', ...schemaArgs(connection.schemas)] : []),
            dbnameArg(database),
          ],
        ],
        /**
         * A target that does not exist is created and restored into. One that exists is not written in place
         * (pg_restore --clean cannot drop what partitioned tables inherit, and would keep objects the backup lacks):
         * the backup goes into a new database with the target's encoding and locale, which takes the target's name
         * once it is complete. A failed restore thus leaves the target as it was; a successful one leaves exactly
         * the backup's objects (for a rollback too).
         */
        async prepareTarget(target, how) {
          try {
            await admin('CREATE DATABASE :"name";', { name: target });
            return { database: target, commit: () => Promise.resolve(), abandon: () => Promise.resolve() };
          } catch (error) {
            if (!ALREADY_EXISTS.test(messageOf(error)))
              throw new RunnerError(`cannot create or reach database "${target}": ${messageOf(error)}`);
            if (how.targetExisted === false)
              throw new RunnerError(
                `refusing to restore: database "${target}" did not exist when the safety backup was to be taken, but exists now, so no safety backup covers it; nothing was overwritten`,
              );
          }
          const suffix = randomBytes(6).toString('hex');
          const vars = { name: target, staging: `keepsake_restore_${suffix}`, replaced: `keepsake_replaced_${suffix}` };
          await admin(
            `SELECT pg_encoding_to_char(encoding) AS encoding, datcollate AS collate, datctype AS ctype
               FROM pg_database WHERE datname = :'name' \\gset
             CREATE DATABASE :"staging" TEMPLATE template0 ENCODING :'encoding' LC_COLLATE :'collate' LC_CTYPE :'ctype';`,
            vars,
          ).catch((error: unknown) => {
            throw new RunnerError(`cannot create a database to restore "${target}" into: ${messageOf(error)}`);
          });
          return {
            database: vars.staging,
            async commit() {
              await admin('ALTER DATABASE :"name" RENAME TO :"replaced";', vars).catch((error: unknown) => {
                throw new RunnerError(
                  `the backup was restored completely, but database "${target}" could not be replaced by it (${messageOf(error)}); "${target}" is as it was`,
                );
              });
              await admin('ALTER DATABASE :"staging" RENAME TO :"name";', vars).catch(async (error: unknown) => {
                await admin('ALTER DATABASE :"replaced" RENAME TO :"name";', vars).catch(() => undefined);
                throw new RunnerError(
                  `the backup was restored completely, but could not take the name "${target}" (${messageOf(error)})`,
                );
              });
              await admin('DROP DATABASE :"replaced";', vars).catch((error: unknown) => {
                throw new RunnerError(
                  `database "${target}" holds the backup now, but its previous contents, kept as "${vars.replaced}", could not be dropped: ${messageOf(error)}`,
                );
              });
            },
            async abandon() {
              await admin('DROP DATABASE IF EXISTS :"staging";', vars);
            },
          };
        },
        restoreCommand(database) {
          return {
            command: [
              tools.pgRestore,
              [
                // Roles and grants of the source's server need not exist on the target's (a managed server's
                // master user cannot take another owner's name): objects belong to the restoring user.
                '--no-owner',
                '--no-privileges',
                '--exit-on-error',
                // All or nothing: a failed restore leaves the target as it was (see README for very large schemas).
                '--single-transaction',
                '--no-password',
                dbnameArg(database),
              ],
            ],
            tool: 'pg_restore',
            stages: [],
            describeFailure: describeRestoreFailure,
          };
        },
        async tableCount(database) {
          const { stdout } = await psql(database, TABLE_COUNT_SQL);
          return Number(stdout.trim());
        },
        async dropDatabase(database) {
          await admin('DROP DATABASE IF EXISTS :"name";', { name: database });
        },
      };
      return fn(session);
    });
  },
};

/** The runner's `client` log line for PostgreSQL: which pg_dump (its version) and where from. */
function clientLogEvent(tools: PgTools): Record<string, unknown> {
  return {
    level: 'info',
    event: 'client',
    engine: 'postgresql',
    version: tools.version,
    dump: tools.pgDump,
    restore: tools.pgRestore,
    client: tools.psql,
    source: tools.source,
  };
}
