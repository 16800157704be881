import * as z from 'zod';
import { pageOf, type IdPathSchema } from './api.ts';
import { ConnectionProblemSchema } from './connectionTest.ts';
import {
  checkEngineFields,
  ConnectionSchema,
  CreateDataSourceFieldsSchema,
  DatabaseNameSchema,
  DataSourceSchema,
  IdSchema,
  withEnginePort,
} from './dataSource.ts';

/** `{id}` of the data-source routes, parsed. */
export type IdPath = z.infer<typeof IdPathSchema>;

/** Response of list: one page of sources, ordered by name. */
export const DataSourcePageSchema = pageOf(DataSourceSchema);

/**
 * Query of `DELETE /v1/data-sources/{id}`. Without `force=true` a source that still holds backups is refused
 * with 409; with it the source, its schedules and its secret go, and its backups stay (downloadable, restorable).
 */
export const DeleteDataSourceQuerySchema = z.object({
  force: z
    .enum(['true', 'false'], { error: 'force must be true or false' })
    .default('false')
    .transform((value) => value === 'true'),
});
export type DeleteDataSourceQuery = z.infer<typeof DeleteDataSourceQuerySchema>;

/**
 * How a session was protected: `verified` (TLS, the certificate checked against the CA, and the name too under
 * verify-identity), `encrypted (unverified)` (TLS that anyone in the path could have answered), or `none`
 * (cleartext: tls mode disabled, or preferred against a server without TLS). `tlsProtocol` names the TLS version.
 */
export const TlsUsedSchema = z
  .object({ tls: z.enum(['verified', 'encrypted (unverified)', 'none']), tlsProtocol: z.string().optional() })
  .strict();
export type TlsUsed = z.infer<typeof TlsUsedSchema>;

/**
 * Response of both connection tests: the server answered (which version it is, and how the session was protected),
 * or it did not: the kind of problem, what that means in plain words (`explanation`), and the server's or client's
 * own message (`error`), never the password.
 */
export const ConnectionTestResultSchema = z.discriminatedUnion('ok', [
  TlsUsedSchema.extend({
    ok: z.literal(true),
    serverVersion: z.string(),
    durationMs: z.number().int().nonnegative(),
  }).strict(),
  z
    .object({
      ok: z.literal(false),
      problem: ConnectionProblemSchema,
      explanation: z.string(),
      error: z.string(),
      durationMs: z.number().int().nonnegative(),
    })
    .strict(),
]);
export type ConnectionTestResult = z.infer<typeof ConnectionTestResultSchema>;

/**
 * Body of `POST /v1/data-sources/test`: settings to try before they are saved, nothing stored. A create body is one
 * as it is (its name optional). When editing, `passwordOf` names the source whose stored password to use if none is
 * typed: the form's changed fields are then tried with the password already kept.
 */
export const TestConnectionSettingsSchema = ConnectionSchema.extend({
  port: CreateDataSourceFieldsSchema.shape.port,
  tls: CreateDataSourceFieldsSchema.shape.tls,
  name: DataSourceSchema.shape.name.optional(),
  password: CreateDataSourceFieldsSchema.shape.password.optional(),
  passwordOf: IdSchema.optional(),
  enabled: z.boolean().optional(),
})
  .strict()
  .superRefine(checkEngineFields)
  .refine((body) => body.password !== undefined || body.passwordOf !== undefined, {
    message: 'password is required (or passwordOf: the id of the source whose stored password to use)',
    path: ['password'],
  })
  .transform((body) => withEnginePort(body));
export type TestConnectionSettings = z.output<typeof TestConnectionSettingsSchema>;

/** `{id}/databases/{database}`: a database name as MySQL allows it, so a bad one is a 400 naming the field. */
export const DatabasePathSchema = z.object({ id: IdSchema, database: DatabaseNameSchema });
export type DatabasePath = z.infer<typeof DatabasePathSchema>;

/** At most this many tables are listed by an inspection; `tableCount` still counts them all. */
export const MAX_INSPECTED_TABLES = 500;

/** One table or view of an inspected database, with the server's own estimates (InnoDB's row count is approximate). */
export const InspectedTableSchema = z
  .object({
    /** PostgreSQL: the schema that holds it (MySQL has none below the database). */
    schema: z.string().optional(),
    name: z.string(),
    kind: z.enum(['table', 'view']),
    /** information_schema's TABLE_ROWS (InnoDB) or pg_class.reltuples: estimates, absent for views and unanalysed tables. */
    approxRows: z.number().int().nonnegative().optional(),
    /** Data plus indexes, as the server reports it; absent for views. */
    bytes: z.number().int().nonnegative().optional(),
  })
  .strict();
export type InspectedTable = z.infer<typeof InspectedTableSchema>;

/**
 * Response of `GET /v1/data-sources/{id}/databases/{database}`: whether that database exists on the source's
 * server and, if so, its schemas (PostgreSQL), its tables and views by name (the first MAX_INSPECTED_TABLES) and how
 * many there are in all.
 */
export const DatabaseInspectionSchema = z.discriminatedUnion('exists', [
  z.object({ database: z.string(), exists: z.literal(false) }).strict(),
  z
    .object({
      database: z.string(),
      exists: z.literal(true),
      /** PostgreSQL: the database's schemas (system ones left out), each of which a restore may replace. */
      schemas: z.array(z.string()).optional(),
      tableCount: z.number().int().nonnegative(),
      tables: z.array(InspectedTableSchema).max(MAX_INSPECTED_TABLES),
    })
    .strict(),
]);
export type DatabaseInspection = z.infer<typeof DatabaseInspectionSchema>;
