import { messageOf, redact } from '../../containers/backup/src/errors.ts';
import { MAX_INSPECTED_TABLES, type DatabaseInspection, type InspectedTable } from '../../types/apiDataSources.ts';
import { ConnectionFailure, withMysqlSession, type MysqlRow, type MysqlSession } from './mysqlSession.ts';
import { withPgSession, type PgSession } from './pgSession.ts';
import { findStoredDatabase } from '../../types/databaseNames.ts';
import type { DatabaseInspector } from './dataSourceService.ts';

export interface WireProtocolInspectorOptions {
  /** Bound on the TCP connect (DNS included). */
  readonly connectTimeoutMs?: number;
  /** Bound on the whole inspection: login and queries. Defaults to the connect timeout plus 7 s. */
  readonly deadlineMs?: number;
}

/**
 * A string as SQL text that needs no escaping: the hex literal of its UTF-8 bytes with the utf8mb4 introducer.
 * Only hex digits reach the statement, so no quote, backslash or backtick in a name can end the literal early,
 * and no sql_mode (NO_BACKSLASH_ESCAPES, ANSI_QUOTES) changes how the server reads it.
 */
export const sqlText = (text: string): string => `_utf8mb4 X'${Buffer.from(text, 'utf8').toString('hex')}'`;

const count = (value: unknown): number | undefined => {
  const parsed = typeof value === 'number' || typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isSafeInteger(parsed) && parsed >= 0 ? parsed : undefined;
};

/**
 * The name the server keeps `database` under, if it has it. information_schema compares names by its own
 * collation (MariaDB's ignores case, MySQL 8's follows lower_case_table_names), so the candidates are matched
 * here by the rule the runner's restore shares (`findStoredDatabase`): exactly, or ignoring case where the server
 * folds names (lower_case_table_names 1 or 2), as the restore's `CREATE DATABASE IF NOT EXISTS` and `USE` would.
 */
async function storedName(session: MysqlSession, database: string): Promise<string | undefined> {
  const rows = await session.query(
    `SELECT SCHEMA_NAME, @@lower_case_table_names FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${sqlText(database)}`,
  );
  const names = rows.map(([name]) => name).filter((name): name is string => typeof name === 'string');
  return findStoredDatabase(names, database, Number(rows[0]?.[1]));
}

function tableOf([name, type, rows, bytes]: MysqlRow): InspectedTable {
  const tableName = typeof name === 'string' ? name : '';
  if (type === 'VIEW' || type === 'SYSTEM VIEW') return { name: tableName, kind: 'view' };
  const approxRows = count(rows);
  const size = count(bytes);
  return {
    name: tableName,
    kind: 'table',
    ...(approxRows !== undefined && { approxRows }),
    ...(size !== undefined && { bytes: size }),
  };
}

/** Schemas PostgreSQL keeps for itself (catalogs, TOAST, temporary), never a restore's to replace. */
const USER_SCHEMAS = `n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'`;

/** Tables, partitioned tables, views, materialized views and foreign tables: what a restore would replace. */
const USER_RELATIONS = `c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${USER_SCHEMAS}`;

/**
 * PostgreSQL's catalogs are per database, so the inspection logs in to the database itself: a server that has no
 * such database says so (3D000) and the answer is `exists: false`. Names go in as bound parameters only.
 */
async function inspectPostgres(session: PgSession, database: string): Promise<DatabaseInspection> {
  const schemas = (await session.query(`SELECT n.nspname FROM pg_namespace n WHERE ${USER_SCHEMAS} ORDER BY 1`)).map(
    ([name]) => String(name),
  );
  const rows = await session.query(
    `SELECT n.nspname, c.relname, c.relkind, c.reltuples::bigint, pg_total_relation_size(c.oid)
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${USER_RELATIONS} ORDER BY 1, 2 LIMIT $1`,
    [MAX_INSPECTED_TABLES],
  );
  const tables = rows.map(([schema, name, kind, rows, bytes]): InspectedTable => {
    const base = { schema: String(schema), name: String(name) };
    if (kind === 'v' || kind === 'm') return { ...base, kind: 'view' };
    const approxRows = count(rows);
    const size = count(bytes);
    return {
      ...base,
      kind: 'table',
      ...(approxRows !== undefined && { approxRows }),
      ...(size !== undefined && { bytes: size }),
    };
  });
  const tableCount =
    tables.length < MAX_INSPECTED_TABLES
      ? tables.length
      : (count(
          (
            await session.query(
              `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${USER_RELATIONS}`,
            )
          )[0]?.[0],
        ) ?? tables.length);
  return { database, exists: true, schemas, tableCount, tables };
}

/**
 * Looks into a database through mysql2 or pg (like the connection test, so it runs in Lambda without client
 * binaries). MySQL: logs in without a default database (the one asked for may not exist), finds the
 * database in information_schema and lists its tables and views by name with the server's row and size
 * estimates, at most MAX_INSPECTED_TABLES of them plus the total count. Names enter SQL only as `sqlText`
 * literals. A failure rejects with the server's or the network's words, never the password.
 */
export function wireProtocolInspector(options: WireProtocolInspectorOptions = {}): DatabaseInspector {
  const connectTimeoutMs = options.connectTimeoutMs ?? 8000;
  const deadlineMs = options.deadlineMs ?? connectTimeoutMs + 7000;
  return {
    async inspect(connection, password, database): Promise<DatabaseInspection> {
      let failure: string;
      try {
        if (connection.engine === 'postgresql')
          return await withPgSession(
            { ...connection, database },
            password,
            { connectTimeoutMs, deadlineMs },
            (session) => inspectPostgres(session, database),
          ).catch((error: unknown) => {
            if (error instanceof ConnectionFailure && error.problem === 'unknown-database')
              return { database, exists: false as const };
            throw error;
          });
        return await withMysqlSession(
          connection,
          password,
          { connectTimeoutMs, deadlineMs, withoutDatabase: true },
          async (session) => {
            const name = await storedName(session, database);
            if (name === undefined) return { database, exists: false };
            // Exact (binary) match: on a server that does not fold case, `Shop` and `shop` are two databases.
            const inSchema = `TABLE_SCHEMA = ${sqlText(name)} COLLATE utf8mb4_bin`;
            const tables = (
              await session.query(
                `SELECT TABLE_NAME, TABLE_TYPE, TABLE_ROWS, DATA_LENGTH + INDEX_LENGTH FROM information_schema.TABLES WHERE ${inSchema} ORDER BY TABLE_NAME LIMIT ${MAX_INSPECTED_TABLES}`,
              )
            ).map(tableOf);
            const tableCount =
              tables.length < MAX_INSPECTED_TABLES
                ? tables.length
                : (count(
                    (await session.query(`SELECT COUNT(*) FROM information_schema.TABLES WHERE ${inSchema}`))[0]?.[0],
                  ) ?? tables.length);
            return { database: name, exists: true, tableCount, tables };
          },
        );
      } catch (error) {
        failure = redact(messageOf(error), [password]);
      }
      // A new error without the original as its cause: that one's message may quote the password.
      throw new Error(failure);
    },
  };
}
