import * as z from 'zod';
import { ENGINES, EngineSchema } from './engines.ts';

export { EngineSchema, type Engine } from './engines.ts';

/**
 * A hostname or IP address. Restricted to the characters DNS and IP literals use, so that a host can never
 * smuggle spaces, quotes or shell metacharacters into a client's arguments or an option file.
 */
export const HostSchema = z
  .string()
  .trim()
  .min(1, 'host is required')
  .max(253, 'host must be at most 253 characters')
  .regex(
    /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$/,
    'host must be a hostname or IP address (letters, digits, dots and hyphens only)',
  );

export const PortSchema = z
  .number({ error: 'port must be a number' })
  .int('port must be a whole number')
  .min(1, 'port must be between 1 and 65535')
  .max(65535, 'port must be between 1 and 65535');

/**
 * Outside the Basic Multilingual Plane (emoji, rarer CJK): UTF-16 surrogates, paired or lone. MySQL keeps identifiers
 * and account names in utf8mb3, which has no such characters: it refuses such a database name, and no account can have one.
 */
const OUTSIDE_BMP = /[\uD800-\uDFFF]/;

/** MySQL identifiers: any BMP character but NUL, at most 64 characters, no trailing space (server rules). */
export const DatabaseNameSchema = z
  .string()
  .min(1, 'database is required')
  .max(64, 'database names are at most 64 characters')
  .refine((s) => !s.includes('\0') && !s.endsWith(' '), 'database name must not contain NUL or end with a space')
  .refine(
    (s) => !OUTSIDE_BMP.test(s),
    'database name must not contain emoji or other characters outside the Basic Multilingual Plane (MySQL refuses them)',
  );

export const UsernameSchema = z
  .string()
  .min(1, 'username is required')
  .max(80, 'username must be at most 80 characters')
  .refine((s) => !/[\0\n\r]/.test(s), 'username must not contain control characters')
  .refine(
    (s) => !OUTSIDE_BMP.test(s),
    'username must not contain emoji or other characters outside the Basic Multilingual Plane (no MySQL account can have them)',
  );

/**
 * TLS to the database server, in MySQL's ssl-mode terms (mapped to each client's own flags by the runner). A mode
 * left out means `required`: `preferred` falls back to cleartext, so it is only ever chosen by name.
 */
export const TlsSchema = z
  .object({
    mode: z.enum(['disabled', 'preferred', 'required', 'verify-ca', 'verify-identity']).default('required'),
    /** PEM bundle of the CA that signed the server certificate (e.g. the RDS global bundle). */
    caPem: z.string().max(200_000).optional(),
  })
  // Strict: a misspelt `caPem` must be refused, not dropped (the connection would then run without the CA).
  .strict();
export type Tls = z.infer<typeof TlsSchema>;

/** A PostgreSQL schema name, as given to `pg_dump --schema` (matched exactly: the runner quotes it). */
export const SchemaNameSchema = z
  .string()
  .min(1, 'schema names must not be empty')
  .max(63, 'schema names are at most 63 characters')
  .refine((s) => !/[\0\n\r]/.test(s), 'schema names must not contain NUL or line breaks');

const ConnectionFields = {
  engine: EngineSchema,
  host: HostSchema,
  port: PortSchema.default(3306),
  database: DatabaseNameSchema,
  username: UsernameSchema,
  // Records stored before sources had a TLS setting connected as `preferred`, and still do; new ones get theirs
  // from CreateDataSourceSchema.
  tls: TlsSchema.default({ mode: 'preferred' }),
  /** PostgreSQL only: back up just these schemas (each one must exist); absent, the whole database. */
  schemas: z
    .array(SchemaNameSchema)
    .min(1, 'schemas must name at least one schema, or be left out to back up every schema')
    .max(100, 'schemas can name at most 100 schemas')
    .refine((list) => new Set(list).size === list.length, 'schemas must not name a schema twice')
    .optional(),
};

/**
 * What each engine allows (types/engines.ts): its TLS modes, a schema filter, its database name length, each issue
 * under its field. A refinement to add where a connection is complete: stored sources (DataSourceSchema) and jobs
 * check it; it is not on ConnectionSchema itself, which zod 4 could then no longer `.extend` with a changed field.
 */
export function checkEngineFields(
  connection: { engine: z.infer<typeof EngineSchema>; database: string; tls: { mode: string }; schemas?: string[] },
  ctx: z.RefinementCtx,
): void {
  const engine = ENGINES[connection.engine];
  const modes = engine.tlsModes as Record<string, string | undefined>;
  if (modes[connection.tls.mode] === undefined) {
    const allowed = Object.entries(engine.tlsModes)
      .map(([mode, name]) => (mode === name ? mode : `${mode} (${name})`))
      .join(', ');
    ctx.addIssue({
      code: 'custom',
      path: ['tls', 'mode'],
      message: `${engine.label} sources use tls.mode ${allowed}; ${connection.tls.mode} is not one of them`,
    });
  }
  if (connection.schemas !== undefined && !engine.schemaFilter)
    ctx.addIssue({ code: 'custom', path: ['schemas'], message: `${engine.label} sources have no schema filter` });
  if (new TextEncoder().encode(connection.database).length > engine.maxDatabaseNameBytes)
    ctx.addIssue({
      code: 'custom',
      path: ['database'],
      message: `${engine.label} database names are at most ${engine.maxDatabaseNameBytes} bytes in UTF-8`,
    });
}

/** How to reach one database: everything but the password, which lives in a secret store. */
export const ConnectionSchema = z.object(ConnectionFields);
export type Connection = z.infer<typeof ConnectionSchema>;

export const IdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'id must be 1-64 letters, digits, _ or -');

/** A data source as the API returns it: never carries the password, only where it is kept. */
export const DataSourceSchema = ConnectionSchema.extend({
  id: IdSchema,
  name: z.string().trim().min(1, 'name is required').max(100, 'name must be at most 100 characters'),
  enabled: z.boolean(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
})
  .strict()
  .superRefine(checkEngineFields);
export type DataSource = z.infer<typeof DataSourceSchema>;

const PasswordSchema = z.string().min(1, 'password is required').max(4096, 'password must be at most 4096 characters');

/**
 * The fields of "create data source", plain (no refinements, the port optional) so that the console's form can
 * extend them; the API parses bodies with CreateDataSourceSchema.
 */
export const CreateDataSourceFieldsSchema = ConnectionSchema.extend({
  port: PortSchema.optional(),
  tls: TlsSchema.default({ mode: 'required' }),
  name: DataSourceSchema.shape.name,
  password: PasswordSchema,
  enabled: z.boolean().default(true),
}).strict();

/** A connection body's port, or its engine's default (`ENGINES[engine].defaultPort`: 3306, 5432). */
export function withEnginePort<T extends { engine: z.infer<typeof EngineSchema>; port?: number | undefined }>(
  body: T,
): T & { port: number } {
  return { ...body, port: body.port ?? ENGINES[body.engine].defaultPort };
}

/**
 * Body of "create data source": the one place a password comes in. The engine's rules (`checkEngineFields`) hold
 * here already, so a body that breaks them is a 400 naming the field; no port means the engine's default.
 */
export const CreateDataSourceSchema = CreateDataSourceFieldsSchema.superRefine(checkEngineFields).transform((body) =>
  withEnginePort(body),
);
export type CreateDataSource = z.output<typeof CreateDataSourceSchema>;

/**
 * Body of "update data source": only the fields sent change, so none has a default here (a `.partial()` of the
 * create schema would fill in port 3306, TLS "required" and enabled true, silently resetting them). No
 * password keeps the stored one; `tls`, when sent, replaces the whole TLS setting.
 */
export const UpdateDataSourceSchema = z
  .object({
    engine: EngineSchema,
    host: HostSchema,
    port: PortSchema,
    database: DatabaseNameSchema,
    username: UsernameSchema,
    tls: TlsSchema,
    schemas: ConnectionFields.schemas.unwrap(),
    name: DataSourceSchema.shape.name,
    password: PasswordSchema,
    enabled: z.boolean(),
  })
  .partial()
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'send at least one field to change');
export type UpdateDataSource = z.infer<typeof UpdateDataSourceSchema>;
