import * as z from 'zod';
import type { TestConnectionSettingsSchema } from '../../types/apiDataSources.ts';
import { ENGINES, EngineSchema, type Engine } from '../../types/engines.ts';
import {
  checkEngineFields,
  CreateDataSourceFieldsSchema,
  withEnginePort,
  type DataSource,
  type UpdateDataSource,
} from '../../types/dataSource.ts';

/**
 * The data-source form's schema: the API's create body, so every message under a field is the API's own. On edit
 * the password may stay blank: it is write-only (the API never returns it) and blank keeps the stored one.
 */
export function sourceFormSchema(editing: boolean) {
  const fields = editing
    ? CreateDataSourceFieldsSchema.extend({
        password: z.union([z.literal(''), CreateDataSourceFieldsSchema.shape.password]),
      })
    : CreateDataSourceFieldsSchema;
  return fields.superRefine(checkEngineFields).transform((body) => withEnginePort(body));
}

export type SourceFormValues = z.input<ReturnType<typeof sourceFormSchema>>;
export type SourceFormOutput = z.output<ReturnType<typeof sourceFormSchema>>;

export const NEW_SOURCE_VALUES: Partial<SourceFormValues> = {
  engine: 'mysql',
  port: ENGINES.mysql.defaultPort,
  tls: { mode: 'required' },
  enabled: true,
};

/** The form's starting values for editing `source`: its fields as stored, its TLS CA included, the password blank. */
export function editValues(source: DataSource): SourceFormValues {
  const { name, engine, host, port, database, username, tls, schemas, enabled } = source;
  return { name, engine, host, port, database, username, tls, ...(schemas && { schemas }), enabled, password: '' };
}

/**
 * The PATCH body of an edit: only the fields that changed (the API keeps the others), the password only when one
 * was typed. Empty when nothing changed: then there is nothing to send.
 */
export function updateBody(source: DataSource, values: SourceFormOutput): UpdateDataSource {
  const body: UpdateDataSource = {};
  for (const field of ['name', 'engine', 'host', 'port', 'database', 'username', 'enabled'] as const) {
    if (values[field] !== source[field]) Object.assign(body, { [field]: values[field] });
  }
  if (values.tls.mode !== source.tls.mode || values.tls.caPem !== source.tls.caPem) body.tls = values.tls;
  if (values.schemas !== undefined && values.schemas.join('\n') !== (source.schemas ?? []).join('\n'))
    body.schemas = values.schemas;
  if (values.password !== '') body.password = values.password;
  return body;
}

/**
 * The body of `POST /v1/data-sources/test` for what the form holds: the settings as typed; on edit with the password
 * left blank, the stored one (`passwordOf`), so a change of host or user is tried with the password already kept.
 */
export function testSettingsBody(
  values: SourceFormOutput,
  source?: DataSource,
): z.input<typeof TestConnectionSettingsSchema> {
  const { password, ...settings } = values;
  return password === '' && source ? { ...settings, passwordOf: source.id } : { ...settings, password };
}

/**
 * Whether saving an edit can change how Keepsake connects (so the form tests before saving): a field of the
 * connection or the password. A rename or an enable alone cannot.
 */
export function changesConnection(body: UpdateDataSource): boolean {
  return (['engine', 'host', 'port', 'database', 'username', 'tls', 'password'] as const).some(
    (field) => body[field] !== undefined,
  );
}

/** The form's controls, by the path the API names in its `fields`. */
export const SOURCE_FIELDS = [
  'name',
  'engine',
  'host',
  'port',
  'database',
  'username',
  'password',
  'tls.mode',
  'schemas',
] as const;
export type SourceField = (typeof SOURCE_FIELDS)[number];

/**
 * The API's per-field messages (a 400's `fields`) split into those shown under a control and the rest, which the
 * toast carries. Anything about TLS lands on its one control, the mode.
 */
export function fieldMessages(fields: Readonly<Record<string, string>> | undefined): {
  onFields: [SourceField, string][];
  elsewhere: string[];
} {
  const onFields: [SourceField, string][] = [];
  const elsewhere: string[] = [];
  for (const [path, message] of Object.entries(fields ?? {})) {
    const field =
      path === 'tls' || path.startsWith('tls.')
        ? 'tls.mode'
        : path.startsWith('schemas.')
          ? 'schemas'
          : SOURCE_FIELDS.find((known) => known === path);
    if (field) onFields.push([field, message]);
    else elsewhere.push(`${path}: ${message}`);
  }
  return { onFields, elsewhere };
}

/** The engines the form offers, as the engine table names them. */
export const ENGINE_OPTIONS: readonly { value: Engine; label: string }[] = EngineSchema.options.map((engine) => ({
  value: engine,
  label: ENGINES[engine].label,
}));

/** What each TLS mode does, said once for every engine; the engine's own name for it leads the option. */
const TLS_MODE_MEANING: Record<keyof (typeof ENGINES)['mysql']['tlsModes'], string> = {
  required: 'encrypted, certificate not checked',
  preferred: 'falls back to cleartext',
  'verify-ca': 'certificate checked against the CA',
  'verify-identity': 'certificate and host name checked',
  disabled: 'cleartext',
};
const TLS_ORDER = ['required', 'preferred', 'verify-ca', 'verify-identity', 'disabled'] as const;

/** The TLS options of `engine`'s form: only the modes it supports, each under its own name (PostgreSQL's sslmode). */
export function tlsOptions(engine: Engine): { value: (typeof TLS_ORDER)[number]; label: string }[] {
  const names = ENGINES[engine].tlsModes;
  return TLS_ORDER.flatMap((mode) => {
    const name = names[mode];
    return name === undefined ? [] : [{ value: mode, label: `${name} (${TLS_MODE_MEANING[mode]})` }];
  });
}

/**
 * What the form changes when the engine does: the port follows it unless one of the person's own was typed (it
 * still holds the old engine's default), and a TLS mode the new engine lacks becomes `required`.
 */
export function engineChange(
  from: Engine,
  to: Engine,
  values: { port?: number | undefined; tlsMode?: string | undefined },
): { port?: number; tlsMode?: 'required' } {
  const port = values.port === undefined || Number.isNaN(values.port) || values.port === ENGINES[from].defaultPort;
  const mode = values.tlsMode === undefined || !tlsOptions(to).some((option) => option.value === values.tlsMode);
  return { ...(port && { port: ENGINES[to].defaultPort }), ...(mode && { tlsMode: 'required' as const }) };
}

/** The schema filter as typed (comma- or line-separated) to the API's list; blank means every schema. */
export function parseSchemaList(text: unknown): string[] | undefined {
  if (Array.isArray(text)) return text as string[];
  const names = String(text ?? '')
    .split(/[,\n]/)
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return names.length > 0 ? names : undefined;
}
