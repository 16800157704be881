import { describe, expect, it } from 'vitest';
import { UpdateDataSourceSchema, type DataSource } from '../../../types/dataSource.ts';
import { fieldErrors } from '../../../types/zodMessages.ts';
import {
  editValues,
  engineChange,
  fieldMessages,
  NEW_SOURCE_VALUES,
  SOURCE_FIELDS,
  parseSchemaList,
  sourceFormSchema,
  tlsOptions,
  updateBody,
} from '../../../web/src/dataSourceForm.ts';

const SOURCE: DataSource = {
  id: 'src-1',
  name: 'Shop production',
  engine: 'mysql',
  host: 'shop.cluster-abc.eu-west-1.rds.amazonaws.com',
  port: 3306,
  database: 'shop',
  username: 'backup',
  tls: { mode: 'verify-ca', caPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' },
  enabled: true,
  createdAt: '2026-03-01T12:00:00.000Z',
  updatedAt: '2026-03-01T12:00:00.000Z',
};

const problemsOf = (editing: boolean, values: unknown) => {
  const parsed = sourceFormSchema(editing).safeParse(values);
  return parsed.success ? {} : fieldErrors(parsed.error);
};

describe('the data-source form checks fields with the API schema before sending', () => {
  it("puts the API's message under every empty required field of a new source, each one a control of the form", () => {
    const problems = problemsOf(false, {
      ...NEW_SOURCE_VALUES,
      name: '',
      host: '',
      database: '',
      username: '',
      password: '',
    });
    expect(problems).toEqual({
      name: 'name is required',
      host: 'host is required',
      database: 'database is required',
      username: 'username is required',
      password: 'password is required',
    });
    for (const path of Object.keys(problems)) expect(SOURCE_FIELDS).toContain(path);
  });

  it('names bad values the way the API does: a port out of range, a host with a space, no number at all', () => {
    const valid = {
      ...NEW_SOURCE_VALUES,
      name: 'x',
      host: 'db.example.com',
      database: 'shop',
      username: 'u',
      password: 'p',
    };
    expect(problemsOf(false, valid)).toEqual({});
    expect(problemsOf(false, { ...valid, port: 70000 })).toEqual({ port: 'port must be between 1 and 65535' });
    expect(problemsOf(false, { ...valid, port: Number.NaN })).toEqual({ port: 'port must be a number' });
    expect(problemsOf(false, { ...valid, host: 'db example' })).toEqual({
      host: expect.stringMatching(/^host must be a hostname or IP address/),
    });
  });
});

describe('editing a source: the password is write-only', () => {
  it('starts from the stored fields (TLS CA included) with the password blank, and a blank password is valid', () => {
    const values = editValues(SOURCE);
    expect(values).toEqual({
      name: 'Shop production',
      engine: 'mysql',
      host: SOURCE.host,
      port: 3306,
      database: 'shop',
      username: 'backup',
      tls: SOURCE.tls,
      enabled: true,
      password: '',
    });
    expect(problemsOf(true, values)).toEqual({});
    // A new source still needs one.
    expect(problemsOf(false, values)).toEqual({ password: 'password is required' });
  });

  it('sends only what changed, and no password unless one was typed', () => {
    const unchanged = sourceFormSchema(true).parse(editValues(SOURCE));
    expect(updateBody(SOURCE, unchanged)).toEqual({});

    const renamed = sourceFormSchema(true).parse({ ...editValues(SOURCE), name: 'Shop (prod)', port: 3307 });
    expect(updateBody(SOURCE, renamed)).toEqual({ name: 'Shop (prod)', port: 3307 });

    const newPassword = sourceFormSchema(true).parse({ ...editValues(SOURCE), password: 'n3w "secret"' });
    expect(updateBody(SOURCE, newPassword)).toEqual({ password: 'n3w "secret"' });
  });

  it('sends TLS whole when its mode changes, keeping the stored CA (the API replaces the TLS setting as sent)', () => {
    const values = sourceFormSchema(true).parse({
      ...editValues(SOURCE),
      tls: { ...SOURCE.tls, mode: 'verify-identity' },
    });
    const body = updateBody(SOURCE, values);
    expect(body).toEqual({ tls: { mode: 'verify-identity', caPem: SOURCE.tls.caPem } });
    expect(UpdateDataSourceSchema.safeParse(body).success).toBe(true);
  });
});

describe("the API's 400 field messages land on the form's fields", () => {
  it('on the control named by the path, TLS paths on the TLS control, the rest for the toast', () => {
    const { onFields, elsewhere } = fieldMessages({
      port: 'port must be between 1 and 65535',
      'tls.caPem': 'Too big: expected string to have <=200000 characters',
      password: 'password must be at most 4096 characters',
      body: 'must be valid JSON',
      '(root)': 'send at least one field to change',
    });
    expect(onFields).toEqual([
      ['port', 'port must be between 1 and 65535'],
      ['tls.mode', 'Too big: expected string to have <=200000 characters'],
      ['password', 'password must be at most 4096 characters'],
    ]);
    expect(elsewhere).toEqual(['body: must be valid JSON', '(root): send at least one field to change']);
    expect(fieldMessages(undefined)).toEqual({ onFields: [], elsewhere: [] });
  });
});

describe('the form follows the engine', () => {
  it('moves a default port with the engine and keeps one the person typed', () => {
    expect(engineChange('mysql', 'postgresql', { port: 3306, tlsMode: 'required' })).toEqual({ port: 5432 });
    expect(engineChange('postgresql', 'mariadb', { port: 5432, tlsMode: 'verify-ca' })).toEqual({ port: 3306 });
    expect(engineChange('mysql', 'postgresql', { port: 13306, tlsMode: 'required' })).toEqual({});
    expect(engineChange('mysql', 'postgresql', { port: Number.NaN, tlsMode: 'disabled' })).toEqual({ port: 5432 });
  });

  it('offers PostgreSQL its sslmode names and no `preferred`, which it would refuse', () => {
    expect(engineChange('mysql', 'postgresql', { port: 3306, tlsMode: 'preferred' })).toEqual({
      port: 5432,
      tlsMode: 'required',
    });
    expect(tlsOptions('postgresql').map((o) => [o.value, o.label.split(' ')[0]])).toEqual([
      ['required', 'require'],
      ['verify-ca', 'verify-ca'],
      ['verify-identity', 'verify-full'],
      ['disabled', 'disable'],
    ]);
    expect(tlsOptions('mysql').map((o) => o.value)).toContain('preferred');
  });

  it('takes a schema filter as typed, checked by the API schema', () => {
    expect(parseSchemaList(' shop, public\nsales ,')).toEqual(['shop', 'public', 'sales']);
    expect(parseSchemaList('  ')).toBeUndefined();
    const values = { ...NEW_SOURCE_VALUES, name: 'pg', host: 'db', database: 'app', username: 'u', password: 'p' };
    expect(problemsOf(false, { ...values, engine: 'postgresql', port: 5432, schemas: ['shop'] })).toEqual({});
    expect(problemsOf(false, { ...values, schemas: ['shop'] })).toEqual({
      schemas: 'MySQL sources have no schema filter',
    });
    const pgSource: DataSource = { ...SOURCE, engine: 'postgresql', port: 5432, tls: { mode: 'required' } };
    const edited = sourceFormSchema(true).parse({ ...editValues(pgSource), schemas: ['shop'] });
    expect(updateBody(pgSource, edited)).toEqual({ schemas: ['shop'] });
  });
});
