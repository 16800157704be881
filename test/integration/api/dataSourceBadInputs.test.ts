import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorResponse, Page } from '../../../types/api.ts';
import type { AuditEvent } from '../../../types/audit.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import { call, type ApiRequest } from '../../support/api.ts';
import { SOURCE, SOURCES, sourceBody, startDataSourceApi, type DataSourceApi, type Route } from './dataSourceApi.ts';

let api: DataSourceApi;
let existingId: string;
beforeAll(async () => {
  api = await startDataSourceApi();
  existingId = (
    await call<DataSource>(api.create, { method: 'POST', resource: SOURCES, body: sourceBody({ name: 'Existing' }) })
  ).body.id;
});
afterAll(() => api.scheduler.close());

const create = (body: Record<string, unknown>): ApiRequest => ({ method: 'POST', resource: SOURCES, body });
const base64url = (text: string) => Buffer.from(text).toString('base64url');

/** Each case: the route, the request, and the field its 400 must name (with a fragment of the message). */
const cases: [string, Route, () => ApiRequest, string, RegExp][] = [
  ['empty name', 'create', () => create(sourceBody({ name: '' })), 'name', /name is required/],
  ['blank name', 'create', () => create(sourceBody({ name: '   ' })), 'name', /name is required/],
  ['port 0', 'create', () => create(sourceBody({ port: 0 })), 'port', /between 1 and 65535/],
  ['port 70000', 'create', () => create(sourceBody({ port: 70000 })), 'port', /between 1 and 65535/],
  ['port 3306.5', 'create', () => create(sourceBody({ port: 3306.5 })), 'port', /whole number/],
  ['port "abc"', 'create', () => create(sourceBody({ port: 'abc' })), 'port', /must be a number/],
  ['port "3306" as a string', 'create', () => create(sourceBody({ port: '3306' })), 'port', /must be a number/],
  [
    'host with spaces',
    'create',
    () => create(sourceBody({ host: 'db host.example.com' })),
    'host',
    /hostname or IP address/,
  ],
  ['host `db;rm -rf /`', 'create', () => create(sourceBody({ host: 'db;rm -rf /' })), 'host', /hostname or IP address/],
  ['host `$(id)`', 'create', () => create(sourceBody({ host: '$(id)' })), 'host', /hostname or IP address/],
  ['host with a backtick', 'create', () => create(sourceBody({ host: 'db`id`' })), 'host', /hostname or IP address/],
  ['host with a newline', 'create', () => create(sourceBody({ host: 'db\nport=1' })), 'host', /hostname or IP address/],
  ['empty host', 'create', () => create(sourceBody({ host: '' })), 'host', /host is required/],
  ['engine postgres', 'create', () => create(sourceBody({ engine: 'postgres' })), 'engine', /mysql|mariadb/],
  ['name as a number', 'create', () => create(sourceBody({ name: 42 })), 'name', /expected string/],
  ['enabled as a string', 'create', () => create(sourceBody({ enabled: 'yes' })), 'enabled', /expected boolean/],
  ['missing password', 'create', () => create(sourceBody({ password: undefined })), 'password', /expected string/],
  ['empty password', 'create', () => create(sourceBody({ password: '' })), 'password', /password is required/],
  [
    'unknown TLS mode',
    'create',
    () => create(sourceBody({ tls: { mode: 'sometimes' } })),
    'tls.mode',
    /Invalid option/,
  ],
  [
    'PostgreSQL with tls mode preferred (libpq has no silent fallback here)',
    'create',
    () => create(sourceBody({ engine: 'postgresql', tls: { mode: 'preferred' } })),
    'tls.mode',
    /PostgreSQL sources use tls.mode disabled \(disable\), required \(require\).*preferred is not one of them/,
  ],
  [
    'MySQL with a schema filter',
    'create',
    () => create(sourceBody({ schemas: ['public'] })),
    'schemas',
    /MySQL sources have no schema filter/,
  ],
  [
    'PostgreSQL database name of 64 bytes',
    'create',
    () => create(sourceBody({ engine: 'postgresql', database: 'd'.repeat(64) })),
    'database',
    /PostgreSQL database names are at most 63 bytes/,
  ],
  [
    'connection test of PostgreSQL settings with tls mode preferred',
    'testSettings',
    () => ({
      method: 'POST',
      resource: `${SOURCES}/test`,
      body: sourceBody({ engine: 'postgresql', tls: { mode: 'preferred' } }),
    }),
    'tls.mode',
    /preferred is not one of them/,
  ],
  [
    'update giving a MySQL source a schema filter',
    'update',
    () => ({ method: 'PATCH', resource: SOURCE, pathParameters: { id: existingId }, body: { schemas: ['public'] } }),
    'schemas',
    /MySQL sources have no schema filter/,
  ],
  [
    'update moving a source with tls mode preferred to PostgreSQL',
    'update',
    () => ({
      method: 'PATCH',
      resource: SOURCE,
      pathParameters: { id: existingId },
      body: { engine: 'postgresql', tls: { mode: 'preferred' } },
    }),
    'tls.mode',
    /preferred is not one of them/,
  ],
  [
    'unknown extra field',
    'create',
    () => create(sourceBody({ passwordSecretArn: 'arn:aws:secretsmanager:x' })),
    'passwordSecretArn',
    /not a known field/,
  ],
  [
    'unknown nested field',
    'create',
    () => create(sourceBody({ tls: { mode: 'required', ca: 'x' } })),
    'tls.ca',
    /not a known field/,
  ],
  [
    'body of 1 MB',
    'create',
    () => ({
      method: 'POST',
      resource: SOURCES,
      rawBody: JSON.stringify(sourceBody({ name: 'x'.repeat(1024 * 1024) })),
    }),
    'body',
    /at most 256 KB/,
  ],
  [
    'non-JSON body',
    'create',
    () => ({ method: 'POST', resource: SOURCES, rawBody: '{"name": "x",' }),
    'body',
    /valid JSON/,
  ],
  ['no body', 'create', () => ({ method: 'POST', resource: SOURCES }), '(root)', /expected object/],
  ['a JSON array', 'create', () => ({ method: 'POST', resource: SOURCES, rawBody: '[]' }), '(root)', /expected object/],
  [
    'update with nothing to change',
    'update',
    () => ({ method: 'PATCH', resource: SOURCE, pathParameters: { id: existingId }, body: {} }),
    '(root)',
    /at least one field/,
  ],
  [
    'update with port 0',
    'update',
    () => ({ method: 'PATCH', resource: SOURCE, pathParameters: { id: existingId }, body: { port: 0 } }),
    'port',
    /between 1 and 65535/,
  ],
  [
    'update with a host with shell metacharacters',
    'update',
    () => ({ method: 'PATCH', resource: SOURCE, pathParameters: { id: existingId }, body: { host: 'a|b' } }),
    'host',
    /hostname/,
  ],
  [
    'update with an unknown field',
    'update',
    () => ({ method: 'PATCH', resource: SOURCE, pathParameters: { id: existingId }, body: { id: 'other' } }),
    'id',
    /not a known field/,
  ],
  [
    'id with a space',
    'get',
    () => ({ method: 'GET', resource: SOURCE, pathParameters: { id: 'a b' } }),
    'id',
    /letters, digits/,
  ],
  [
    'id of 65 characters',
    'get',
    () => ({ method: 'GET', resource: SOURCE, pathParameters: { id: 'a'.repeat(65) } }),
    'id',
    /1-64/,
  ],
  [
    'force=yes',
    'remove',
    () => ({ method: 'DELETE', resource: SOURCE, pathParameters: { id: existingId }, query: { force: 'yes' } }),
    'force',
    /true or false/,
  ],
  ['limit 0', 'list', () => ({ method: 'GET', resource: SOURCES, query: { limit: '0' } }), 'limit', /1-100/],
  ['limit 101', 'list', () => ({ method: 'GET', resource: SOURCES, query: { limit: '101' } }), 'limit', /1-100/],
  [
    'limit "ten"',
    'list',
    () => ({ method: 'GET', resource: SOURCES, query: { limit: 'ten' } }),
    'limit',
    /must be a number/,
  ],
  [
    'cursor with foreign characters',
    'list',
    () => ({ method: 'GET', resource: SOURCES, query: { cursor: 'not a cursor!' } }),
    'cursor',
    /not one this API issued/,
  ],
  [
    'cursor that is not JSON',
    'list',
    () => ({ method: 'GET', resource: SOURCES, query: { cursor: base64url('garbage') } }),
    'cursor',
    /not one this API issued/,
  ],
  [
    'cursor with non-string keys',
    'list',
    () => ({ method: 'GET', resource: SOURCES, query: { cursor: base64url('{"pk":1}') } }),
    'cursor',
    /not one this API issued/,
  ],
  [
    'audit cursor that is not JSON',
    'audit',
    () => ({ method: 'GET', resource: '/v1/audit', query: { cursor: base64url('[1,2]') } }),
    'cursor',
    /not one this API issued/,
  ],
];

describe('bad input answers 400 naming the field', () => {
  it.each(cases)('%s', async (_name, route, request, field, message) => {
    const response = await call<ErrorResponse>(api[route], request());
    expect(response.status).toBe(400);
    expect(response.body.error).toEqual(expect.any(String));
    expect(response.body.fields).toHaveProperty([field]);
    expect(response.body.fields?.[field]).toMatch(message);
  });

  it('wrote nothing: still one source, unchanged, and only its creation audited', async () => {
    const sources = await call<Page<DataSource>>(api.list, { method: 'GET', resource: SOURCES });
    expect(sources.body.items.map((s) => [s.id, s.name, s.port])).toEqual([[existingId, 'Existing', 3306]]);
    const audit = await call<Page<AuditEvent>>(api.audit, { method: 'GET', resource: '/v1/audit' });
    expect(audit.body.items.map((e) => e.action)).toEqual(['dataSource.create']);
  });
});
