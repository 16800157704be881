import * as z from 'zod';
import type { TestConnectionSettingsSchema } from '../../types/apiDataSources.ts';
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
  port: 3306,
  tls: { mode: 'required' },
  enabled: true,
};

/** The form's starting values for editing `source`: its fields as stored, its TLS CA included, the password blank. */
export function editValues(source: DataSource): SourceFormValues {
  const { name, engine, host, port, database, username, tls, enabled } = source;
  return { name, engine, host, port, database, username, tls, enabled, password: '' };
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
      path === 'tls' || path.startsWith('tls.') ? 'tls.mode' : SOURCE_FIELDS.find((known) => known === path);
    if (field) onFields.push([field, message]);
    else elsewhere.push(`${path}: ${message}`);
  }
  return { onFields, elsewhere };
}
