import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes, type Operation } from '../../functions/routes.ts';
import { putBackupRecords } from '../../functions/shared/repositories/backups.ts';
import type { ErrorResponse } from '../../types/api.ts';
import { backupKey, RunnerJobSchema } from '../../types/job.ts';
import type { Restore } from '../../types/restore.ts';
import type { Schedule } from '../../types/schedule.ts';
import { fieldErrors } from '../../types/zodMessages.ts';
import type { ApiResponse } from '../support/api.ts';
import { startEveryRoute, type EveryRoute, type RouteRequest } from '../support/everyRoute.ts';
import { backupRecord, seedSource } from '../integration/api/backupApi.ts';
import { sourceBody } from '../integration/api/dataSourceApi.ts';

/**
 * What a hostile input must meet: `refused`, a 400 (or 415 for the content type) whose `fields` name the field and
 * whose message says it; `refusedOrKeyed`, a database name with dot segments, either refused naming the field or
 * stored as given and keyed without dot segments; `handled`, an answer with that status that `then` checks.
 */
type Outcome =
  | { readonly refused: string; readonly status?: 400 | 415 }
  | {
      readonly refusedOrKeyed: string;
      readonly database: string;
      readonly sourceOf: (body: Record<string, unknown>) => string;
    }
  | {
      readonly handled: string;
      readonly status: number;
      readonly then?: (body: Record<string, unknown>) => void | Promise<void>;
    };

/** A row: the route (or the runner's job schema), the input and what must come of it. */
type Row =
  | readonly [name: string, route: Operation, input: () => RouteRequest, outcome: Outcome]
  | readonly [name: string, route: 'runnerJob', job: () => unknown, outcome: { readonly refused: string }];

let api: EveryRoute;
const SOURCE = 'hostile-src';
const TARGET = 'hostile-target';
const BACKUP = 'hostile-backup';
/** A queued restore (into ROLLED_BACK_DB) that rollback rows aim at. */
let queuedRestoreId = '';
const ROLLED_BACK_DB = 'rollback_shop';
let scheduleId = '';
let before: { source: unknown; schedule: unknown };

/** `value` under `key` as the object's own property, as JSON.parse makes it (a literal `__proto__` would set the prototype). */
const withOwn = (base: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> =>
  Object.defineProperty({ ...base }, key, { value, enumerable: true, writable: true, configurable: true });

const id = (value: string): RouteRequest => ({ pathParameters: { id: value } });
const create = (overrides: Record<string, unknown>): RouteRequest => ({ body: sourceBody(overrides) });
const createWith = (key: string, value: unknown): RouteRequest => ({ body: withOwn(sourceBody(), key, value) });
const query = (values: Record<string, string>, path?: Record<string, string>): RouteRequest => ({
  query: values,
  ...(path && { pathParameters: path }),
});
const restore = (overrides: Record<string, unknown>): RouteRequest => ({
  body: {
    backupId: BACKUP,
    targetSourceId: TARGET,
    targetDatabase: 'shop_copy',
    confirmDatabase: 'shop_copy',
    ...overrides,
  },
});
const rollback = (body: unknown, restoreId = queuedRestoreId): RouteRequest => ({
  pathParameters: { id: restoreId },
  body,
});
const restoreInto = (database: string) => restore({ targetDatabase: database, confirmDatabase: database });
const patchSource = (body: unknown): RouteRequest => ({ pathParameters: { id: SOURCE }, body });
const schedule = (body: unknown): RouteRequest => ({ pathParameters: { id: SOURCE }, body });
const patchSchedule = (body: unknown): RouteRequest => ({ pathParameters: { id: scheduleId }, body });
/** A well-formed cursor naming a key of nothing the API lists: DynamoDB itself would refuse it as a start key. */
const foreignCursor = Buffer.from('{"pk":"USER#admin","sk":"x"}').toString('base64url');
const deep = (depth: number) => `{"name":${'['.repeat(depth)}${']'.repeat(depth)}}`;

const storedAs = (field: string, value: string) => (body: Record<string, unknown>) => expect(body[field]).toBe(value);
const restoreRecordedInto = (database: string) => async (body: Record<string, unknown>) => {
  const got = await api.request<Restore>('getRestore', id(String(body.restoreId)));
  expect(got.body.targetDatabase).toBe(database);
};

const connection = { engine: 'mariadb', host: 'db.internal', port: 3306, database: 'shop', username: 'backup' };
const s3 = { bucket: 'keepsake-backups' };
const backupJob = (overrides: Record<string, unknown> = {}) => ({
  mode: 'backup',
  connection,
  password: { from: 'env' },
  sourceId: 'src-1',
  s3,
  ...overrides,
});
const restoreJob = (overrides: Record<string, unknown> = {}) => ({
  mode: 'restore',
  connection,
  password: { from: 'env' },
  s3,
  key: 'src-1/shop/2026-03-01_12-00-00.sql.gz',
  expectedSha256: 'a'.repeat(64),
  ...overrides,
});
const verifyJob = (overrides: Record<string, unknown> = {}) => ({
  mode: 'verify',
  s3,
  key: 'src-1/shop/2026-03-01_12-00-00.sql.gz',
  expectedSha256: 'a'.repeat(64),
  ...overrides,
});

const rows: Row[] = [
  // Prototype pollution: refused by name, never merged into anything.
  [
    'create: __proto__ key',
    'createDataSource',
    () => createWith('__proto__', { enabled: false }),
    { refused: '__proto__' },
  ],
  [
    'create: constructor key',
    'createDataSource',
    () => createWith('constructor', { prototype: { admin: true } }),
    { refused: 'constructor' },
  ],
  [
    'create: __proto__ inside tls',
    'createDataSource',
    () => create({ tls: withOwn({ mode: 'required' }, '__proto__', { caPem: 'x' }) }),
    { refused: 'tls.__proto__' },
  ],
  [
    'update: __proto__ key',
    'updateDataSource',
    () => patchSource(withOwn({}, '__proto__', { enabled: false })),
    { refused: '__proto__' },
  ],
  [
    'update: constructor key beside a real change',
    'updateDataSource',
    () => patchSource(withOwn({ port: 3307 }, 'constructor', 1)),
    { refused: 'constructor' },
  ],
  [
    'create schedule: __proto__ key',
    'createSchedule',
    () => schedule(withOwn({ cron: '0 3 * * *', timeZone: 'UTC' }, '__proto__', {})),
    { refused: '__proto__' },
  ],
  [
    'update schedule: constructor inside retention',
    'updateSchedule',
    () => patchSchedule({ retention: withOwn({ daily: 3 }, 'constructor', 1) }),
    { refused: 'retention.constructor' },
  ],
  [
    'trigger backup: __proto__ key',
    'triggerBackup',
    () => ({ pathParameters: { id: SOURCE }, body: withOwn({ trigger: 'api' }, '__proto__', { trigger: 'schedule' }) }),
    { refused: '__proto__' },
  ],
  [
    'restore: constructor key',
    'createRestore',
    () => ({ body: withOwn(restore({}).body as Record<string, unknown>, 'constructor', 'x') }),
    { refused: 'constructor' },
  ],
  [
    'list sources: __proto__ query parameter',
    'listDataSources',
    () => query(withOwn({}, '__proto__', 'x') as Record<string, string>),
    { refused: '__proto__' },
  ],

  // Names MySQL refuses or that would leave their place.
  [
    'create: database with an emoji',
    'createDataSource',
    () => create({ database: 'shop_🛒' }),
    { refused: 'database' },
  ],
  [
    'create: database with a lone surrogate',
    'createDataSource',
    () => create({ database: 'shop\ud800' }),
    { refused: 'database' },
  ],
  [
    'create: database with a CJK Extension B character',
    'createDataSource',
    () => create({ database: '𠀋店' }),
    { refused: 'database' },
  ],
  [
    'create: database of 65 characters',
    'createDataSource',
    () => create({ database: 'd'.repeat(65) }),
    { refused: 'database' },
  ],
  ['create: database with NUL', 'createDataSource', () => create({ database: 'shop\u0000x' }), { refused: 'database' }],
  [
    'create: database ending in a space',
    'createDataSource',
    () => create({ database: 'shop ' }),
    { refused: 'database' },
  ],
  [
    'create: database "."',
    'createDataSource',
    () => create({ database: '.' }),
    { refusedOrKeyed: 'database', database: '.', sourceOf: (body) => String(body.id) },
  ],
  [
    'create: database ".."',
    'createDataSource',
    () => create({ database: '..' }),
    { refusedOrKeyed: 'database', database: '..', sourceOf: (body) => String(body.id) },
  ],
  [
    'create: SQL in the database name',
    'createDataSource',
    () => create({ database: 'shop`; DROP DATABASE mysql; --' }),
    {
      handled: 'stored as given: every statement quotes it as an identifier',
      status: 201,
      then: storedAs('database', 'shop`; DROP DATABASE mysql; --'),
    },
  ],
  [
    'create: BMP database name (accents, CJK, Cyrillic)',
    'createDataSource',
    () => create({ database: 'Ünïcödé_数据_база' }),
    {
      handled: 'stored as given: MySQL accepts every BMP character',
      status: 201,
      then: storedAs('database', 'Ünïcödé_数据_база'),
    },
  ],
  [
    'create: username with an emoji',
    'createDataSource',
    () => create({ username: 'backup😀' }),
    { refused: 'username' },
  ],
  [
    'create: username with CR/LF',
    'createDataSource',
    () => create({ username: 'backup\r\nhost=evil' }),
    { refused: 'username' },
  ],
  [
    'create: name with CR/LF (a mail header)',
    'createDataSource',
    () => create({ name: 'Shop\r\nBcc: all@example.com' }),
    {
      handled: 'stored as given: a name, never put in a header as it is',
      status: 201,
      then: storedAs('name', 'Shop\r\nBcc: all@example.com'),
    },
  ],
  [
    'create: name in Japanese with a newline',
    'createDataSource',
    () => create({ name: '本番\nデータベース' }),
    { handled: 'stored as given', status: 201, then: storedAs('name', '本番\nデータベース') },
  ],
  ['create: name of 101 characters', 'createDataSource', () => create({ name: 'n'.repeat(101) }), { refused: 'name' }],
  [
    'create: name of 1 MB',
    'createDataSource',
    () => ({ rawBody: JSON.stringify(sourceBody({ name: 'n'.repeat(1024 * 1024) })) }),
    { refused: 'body' },
  ],
  [
    'create: password of 4097 characters',
    'createDataSource',
    () => create({ password: 'p'.repeat(4097) }),
    { refused: 'password' },
  ],
  ['create: host with CR/LF', 'createDataSource', () => create({ host: 'db\r\nport=1' }), { refused: 'host' }],
  ['create: host with a NUL', 'createDataSource', () => create({ host: 'db\u0000.evil' }), { refused: 'host' }],
  [
    'create: host of 254 characters',
    'createDataSource',
    () => create({ host: `${'a'.repeat(250)}.com` }),
    { refused: 'host' },
  ],
  ['create: host as a URL', 'createDataSource', () => create({ host: 'mysql://db:3306/shop' }), { refused: 'host' }],

  // Numbers and enums.
  ['create: port -1', 'createDataSource', () => create({ port: -1 }), { refused: 'port' }],
  ['create: port 2^53', 'createDataSource', () => create({ port: 2 ** 53 }), { refused: 'port' }],
  [
    'create: port 1e309 (Infinity once parsed)',
    'createDataSource',
    () => ({ rawBody: JSON.stringify(sourceBody()).replace('"port":3306', '"port":1e309') }),
    { refused: 'port' },
  ],
  ['create: port as a string', 'createDataSource', () => create({ port: '3306' }), { refused: 'port' }],
  ['create: port null', 'createDataSource', () => create({ port: null }), { refused: 'port' }],
  [
    'create: the same key twice, the last one bad',
    'createDataSource',
    () => ({ rawBody: JSON.stringify(sourceBody()).replace('"port":3306', '"port":3306,"port":70000') }),
    { refused: 'port' },
  ],
  ['create: engine in capitals', 'createDataSource', () => create({ engine: 'MYSQL' }), { refused: 'engine' }],
  [
    'create: TLS mode unknown',
    'createDataSource',
    () => create({ tls: { mode: 'REQUIRED' } }),
    { refused: 'tls.mode' },
  ],
  ['create: TLS as an array', 'createDataSource', () => create({ tls: ['required'] }), { refused: 'tls' }],
  ['create: enabled as a string', 'createDataSource', () => create({ enabled: 'false' }), { refused: 'enabled' }],

  // Bodies that are not the object asked for.
  [
    'create: a JSON array',
    'createDataSource',
    () => ({ rawBody: JSON.stringify([sourceBody()]) }),
    { refused: '(root)' },
  ],
  ['create: JSON null', 'createDataSource', () => ({ rawBody: 'null' }), { refused: '(root)' }],
  ['create: a JSON string', 'createDataSource', () => ({ rawBody: '"name=x&port=1"' }), { refused: '(root)' }],
  ['create: JSON nested 20,000 deep', 'createDataSource', () => ({ rawBody: deep(20_000) }), { refused: 'name' }],
  [
    'create: NaN (not JSON)',
    'createDataSource',
    () => ({ rawBody: JSON.stringify(sourceBody()).replace('3306', 'NaN') }),
    { refused: 'body' },
  ],
  [
    'create: a byte-order mark before the JSON',
    'createDataSource',
    () => ({ rawBody: `\ufeff${JSON.stringify(sourceBody())}` }),
    { refused: 'body' },
  ],
  [
    'create: sent as text/plain (a cross-site form)',
    'createDataSource',
    () => ({ ...create({}), headers: { 'content-type': 'text/plain' } }),
    { refused: 'content-type', status: 415 },
  ],
  [
    'create: sent as a urlencoded form',
    'createDataSource',
    () => ({ rawBody: 'name=x&engine=mysql', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    { refused: 'content-type', status: 415 },
  ],
  [
    'restore: sent as multipart',
    'createRestore',
    () => ({ ...restore({}), headers: { 'content-type': 'multipart/form-data; boundary=x' } }),
    { refused: 'content-type', status: 415 },
  ],
  [
    'update: sent as application/json-patch+json',
    'updateDataSource',
    () => ({ ...patchSource({ port: 3307 }), headers: { 'content-type': 'application/json-patch+json' } }),
    { refused: 'content-type', status: 415 },
  ],
  ['update: array for an object', 'updateDataSource', () => patchSource([{ port: 3307 }]), { refused: '(root)' }],
  [
    'update: database with an emoji',
    'updateDataSource',
    () => patchSource({ database: '💾' }),
    { refused: 'database' },
  ],
  ['update: enabled as "false"', 'updateDataSource', () => patchSource({ enabled: 'false' }), { refused: 'enabled' }],

  // Ids in paths: one segment of letters, digits, _ and -.
  ['get source: id with a slash', 'getDataSource', () => id('a/b'), { refused: 'id' }],
  ['get source: id ".."', 'getDataSource', () => id('..'), { refused: 'id' }],
  ['get source: id with an encoded slash', 'getDataSource', () => id('a%2Fb'), { refused: 'id' }],
  ['delete source: id with NUL', 'deleteDataSource', () => id('src\u0000'), { refused: 'id' }],
  ['enable: id of 65 characters', 'enableDataSource', () => id('i'.repeat(65)), { refused: 'id' }],
  ['disable: id with SQL', 'disableDataSource', () => id("x' OR '1'='1"), { refused: 'id' }],
  ['test connection: id with a space', 'testDataSource', () => id('src 1'), { refused: 'id' }],
  [
    'test unsaved settings: __proto__ key',
    'testConnectionSettings',
    () => createWith('__proto__', { passwordOf: SOURCE }),
    { refused: '__proto__' },
  ],
  [
    'test unsaved settings: no password and no source to take it from',
    'testConnectionSettings',
    () => create({ password: undefined }),
    { refused: 'password' },
  ],
  [
    'test unsaved settings: passwordOf with a slash',
    'testConnectionSettings',
    () => create({ password: undefined, passwordOf: '../other' }),
    { refused: 'passwordOf' },
  ],
  [
    'test unsaved settings: host with CR/LF',
    'testConnectionSettings',
    () => create({ host: 'db\r\nport=1' }),
    { refused: 'host' },
  ],
  [
    'test unsaved settings: passwordOf an unknown source',
    'testConnectionSettings',
    () => create({ password: undefined, passwordOf: 'no-such-source' }),
    { handled: 'not found, and nothing tried', status: 404 },
  ],
  [
    'inspect: database with an emoji',
    'inspectDatabase',
    () => ({ pathParameters: { id: SOURCE, database: '🗄️' } }),
    { refused: 'database' },
  ],
  [
    'inspect: database of 65 characters',
    'inspectDatabase',
    () => ({ pathParameters: { id: SOURCE, database: 'd'.repeat(65) } }),
    { refused: 'database' },
  ],
  [
    'inspect: database with NUL',
    'inspectDatabase',
    () => ({ pathParameters: { id: SOURCE, database: 'a\u0000' } }),
    { refused: 'database' },
  ],
  [
    'inspect: id with a slash',
    'inspectDatabase',
    () => ({ pathParameters: { id: '../x', database: 'shop' } }),
    { refused: 'id' },
  ],
  ['source schedules: id ".."', 'listSourceSchedules', () => id('..'), { refused: 'id' }],
  ['get schedule: id with a slash', 'getSchedule', () => id('s/1'), { refused: 'id' }],
  ['pause schedule: id with CR/LF', 'pauseSchedule', () => id('s1\r\nx'), { refused: 'id' }],
  ['resume schedule: id of 65 characters', 'resumeSchedule', () => id('r'.repeat(65)), { refused: 'id' }],
  ['delete schedule: id with a dot', 'deleteSchedule', () => id('s.1'), { refused: 'id' }],
  ['get backup: id with a slash', 'getBackup', () => id('b/../../x'), { refused: 'id' }],
  ['backup logs: id with NUL', 'getBackupLogs', () => id('b\u0000'), { refused: 'id' }],
  ['download URL: id of 65 characters', 'getDownloadUrl', () => id('b'.repeat(65)), { refused: 'id' }],
  ['cancel backup: id with a space', 'cancelBackup', () => id('b 1'), { refused: 'id' }],
  ['trash backup: id ".."', 'trashBackup', () => id('..'), { refused: 'id' }],
  ['untrash backup: id with a quote', 'untrashBackup', () => id('b"1'), { refused: 'id' }],
  ['delete backup: id with a slash', 'deleteBackup', () => id('a/b'), { refused: 'id' }],
  ['verify backup: id with an emoji', 'verifyBackup', () => id('b😀'), { refused: 'id' }],
  ['trigger backup: id with a slash', 'triggerBackup', () => id('src/1'), { refused: 'id' }],
  ['get restore: id with a slash', 'getRestore', () => id('r/1'), { refused: 'id' }],
  ['restore logs: id ".."', 'getRestoreLogs', () => id('..'), { refused: 'id' }],

  // Queries.
  ['list sources: limit -1', 'listDataSources', () => query({ limit: '-1' }), { refused: 'limit' }],
  ['list sources: limit 1e3', 'listDataSources', () => query({ limit: '1e3' }), { refused: 'limit' }],
  ['list sources: limit "10abc"', 'listDataSources', () => query({ limit: '10abc' }), { refused: 'limit' }],
  [
    'list sources: cursor of 3,000 characters',
    'listDataSources',
    () => query({ cursor: 'c'.repeat(3000) }),
    { refused: 'cursor' },
  ],
  [
    'list sources: cursor with a slash',
    'listDataSources',
    () => query({ cursor: 'eyJwayI6/In0' }),
    { refused: 'cursor' },
  ],
  [
    'list sources: cursor that decodes to a foreign key',
    'listDataSources',
    () => query({ cursor: foreignCursor }),
    { refused: 'cursor' },
  ],
  ['list sources: misspelt parameter', 'listDataSources', () => query({ limt: '5' }), { refused: 'limt' }],
  ['delete source: force=1', 'deleteDataSource', () => query({ force: '1' }, { id: SOURCE }), { refused: 'force' }],
  [
    'delete source: unknown cascade=true',
    'deleteDataSource',
    () => query({ cascade: 'true' }, { id: SOURCE }),
    { refused: 'cascade' },
  ],
  [
    'list schedules: cursor with spaces',
    'listSchedules',
    () => query({ cursor: 'not a cursor' }),
    { refused: 'cursor' },
  ],
  [
    'list schedules: cursor that decodes to a foreign key',
    'listSchedules',
    () => query({ cursor: foreignCursor }),
    { refused: 'cursor' },
  ],
  [
    'source schedules: cursor that decodes to a foreign key',
    'listSourceSchedules',
    () => query({ cursor: foreignCursor }, { id: SOURCE }),
    { refused: 'cursor' },
  ],
  ['list backups: status in capitals', 'listBackups', () => query({ status: 'FAILED' }), { refused: 'status' }],
  ['list backups: misspelt status filter', 'listBackups', () => query({ stauts: 'failed' }), { refused: 'stauts' }],
  ['list backups: from "yesterday"', 'listBackups', () => query({ from: 'yesterday' }), { refused: 'from' }],
  [
    'list backups: from after to',
    'listBackups',
    () => query({ from: '2026-03-02', to: '2026-03-01' }),
    { refused: 'from' },
  ],
  ['list backups: sourceId with a slash', 'listBackups', () => query({ sourceId: '../src' }), { refused: 'sourceId' }],
  [
    'source backups: from 2026-02-30',
    'listSourceBackups',
    () => query({ from: '2026-02-30' }, { id: SOURCE }),
    { refused: 'from' },
  ],
  [
    "source backups: sourceId is the path's, not a parameter",
    'listSourceBackups',
    () => query({ sourceId: 'other' }, { id: SOURCE }),
    { refused: 'sourceId' },
  ],
  [
    'backup logs: cursor with a dot',
    'getBackupLogs',
    () => query({ cursor: 'a.b' }, { id: BACKUP }),
    { refused: 'cursor' },
  ],
  ['trash: sourceId with NUL', 'listTrash', () => query({ sourceId: 'a\u0000' }), { refused: 'sourceId' }],
  [
    'restores: targetSourceId with a slash',
    'listRestores',
    () => query({ targetSourceId: 'a/b' }),
    { refused: 'targetSourceId' },
  ],
  [
    'restore logs: cursor of 7,000 characters',
    'getRestoreLogs',
    () => query({ cursor: 'c'.repeat(7000) }, { id: 'r1' }),
    { refused: 'cursor' },
  ],
  ['stats: days=30 (it takes none)', 'getStats', () => query({ days: '30' }), { refused: 'days' }],
  ['audit: targetId without targetType', 'listAudit', () => query({ targetId: 'x' }), { refused: 'targetId' }],
  [
    'audit: principal of 3,000 characters',
    'listAudit',
    () => query({ principal: 'p'.repeat(3000) }),
    { refused: 'principal' },
  ],
  ['audit: targetType "user"', 'listAudit', () => query({ targetType: 'user' }), { refused: 'targetType' }],

  // Schedules.
  [
    'create schedule: cron with 6 fields',
    'createSchedule',
    () => schedule({ cron: '0 0 3 * * *', timeZone: 'UTC' }),
    { refused: 'cron' },
  ],
  [
    'create schedule: cron with a shell command',
    'createSchedule',
    () => schedule({ cron: '0 3 * * * rm -rf /', timeZone: 'UTC' }),
    { refused: 'cron' },
  ],
  [
    'create schedule: time zone as a path',
    'createSchedule',
    () => schedule({ cron: '0 3 * * *', timeZone: '../../etc/passwd' }),
    { refused: 'timeZone' },
  ],
  [
    'create schedule: daily retention -1',
    'createSchedule',
    () => schedule({ cron: '0 3 * * *', timeZone: 'UTC', retention: { daily: -1 } }),
    { refused: 'retention.daily' },
  ],
  [
    'create schedule: retention as a string',
    'createSchedule',
    () => schedule({ cron: '0 3 * * *', timeZone: 'UTC', retention: '7' }),
    { refused: 'retention' },
  ],
  [
    'create schedule: verify.when unknown',
    'createSchedule',
    () => schedule({ cron: '0 3 * * *', timeZone: 'UTC', verify: { when: 'always' } }),
    { refused: 'verify.when' },
  ],
  [
    'update schedule: name of 101 characters',
    'updateSchedule',
    () => patchSchedule({ name: 's'.repeat(101) }),
    { refused: 'name' },
  ],
  ['update schedule: array for an object', 'updateSchedule', () => patchSchedule([]), { refused: '(root)' }],
  [
    'update schedule: cron with a shell command',
    'updateSchedule',
    () => patchSchedule({ cron: '0 3 * * * $(reboot)' }),
    { refused: 'cron' },
  ],
  [
    'update schedule: time zone as a path',
    'updateSchedule',
    () => patchSchedule({ timeZone: '../../etc/localtime' }),
    { refused: 'timeZone' },
  ],
  [
    'update schedule: keepLast as a string',
    'updateSchedule',
    () => patchSchedule({ retention: { keepLast: '5' } }),
    { refused: 'retention.keepLast' },
  ],
  ['update schedule: name as a number', 'updateSchedule', () => patchSchedule({ name: 7 }), { refused: 'name' }],

  // Backups and restores.
  [
    'trigger backup: trigger "schedule" (only the scheduler may)',
    'triggerBackup',
    () => ({ pathParameters: { id: SOURCE }, body: { trigger: 'schedule' } }),
    { refused: 'trigger' },
  ],
  [
    'trigger backup: Idempotency-Key with CR/LF',
    'triggerBackup',
    () => ({ pathParameters: { id: SOURCE }, headers: { 'Idempotency-Key': 'k1\r\nx: y' } }),
    { refused: 'Idempotency-Key' },
  ],
  [
    'restore: target database with an emoji',
    'createRestore',
    () => restoreInto('shop🔥'),
    { refused: 'targetDatabase' },
  ],
  [
    'restore: confirmation differing in case',
    'createRestore',
    () => restore({ targetDatabase: 'shop', confirmDatabase: 'SHOP' }),
    { refused: 'confirmDatabase' },
  ],
  [
    'restore: confirmation with a trailing space',
    'createRestore',
    () => restore({ targetDatabase: 'shop', confirmDatabase: 'shop ' }),
    { refused: 'confirmDatabase' },
  ],
  [
    'restore: confirmation as a number',
    'createRestore',
    () => restore({ targetDatabase: '1', confirmDatabase: 1 }),
    { refused: 'confirmDatabase' },
  ],
  ['restore: backupId with a slash', 'createRestore', () => restore({ backupId: '../other' }), { refused: 'backupId' }],
  [
    'restore: target ".."',
    'createRestore',
    () => restoreInto('..'),
    { refusedOrKeyed: 'targetDatabase', database: '..', sourceOf: () => TARGET },
  ],
  [
    'restore: target with a newline, quote and backslash',
    'createRestore',
    () => restoreInto('shop\n"x\\'),
    { handled: 'recorded as given: the runner quotes it', status: 202, then: restoreRecordedInto('shop\n"x\\') },
  ],
  [
    'restore: target with SQL',
    'createRestore',
    () => restoreInto('x`; DROP DATABASE mysql; --'),
    {
      handled: 'recorded as given: the runner quotes it',
      status: 202,
      then: restoreRecordedInto('x`; DROP DATABASE mysql; --'),
    },
  ],
  [
    'restore: rollbackOnFailure as the string "true"',
    'createRestore',
    () => restore({ rollbackOnFailure: 'true' }),
    { refused: 'rollbackOnFailure' },
  ],
  [
    'restore: rollbackOnFailure as 1',
    'createRestore',
    () => restore({ rollbackOnFailure: 1 }),
    { refused: 'rollbackOnFailure' },
  ],
  ['rollback: id with a slash', 'rollbackRestore', () => rollback({ confirmDatabase: 'x' }, '../r'), { refused: 'id' }],
  [
    'rollback: confirmation differing in case',
    'rollbackRestore',
    () => rollback({ confirmDatabase: ROLLED_BACK_DB.toUpperCase() }),
    { refused: 'confirmDatabase' },
  ],
  [
    'rollback: confirmation as an array',
    'rollbackRestore',
    () => rollback({ confirmDatabase: [ROLLED_BACK_DB] }),
    { refused: 'confirmDatabase' },
  ],
  [
    'rollback: __proto__ key',
    'rollbackRestore',
    () => rollback(withOwn({ confirmDatabase: ROLLED_BACK_DB }, '__proto__', { rolledBackBy: 'x' })),
    { refused: '__proto__' },
  ],
  [
    'rollback: a backup of its choosing',
    'rollbackRestore',
    () => rollback({ confirmDatabase: ROLLED_BACK_DB, backupId: BACKUP }),
    { refused: 'backupId' },
  ],
  [
    'rollback: an unknown restore',
    'rollbackRestore',
    () => rollback({ confirmDatabase: ROLLED_BACK_DB }, 'no-such-restore'),
    { handled: 'not found', status: 404 },
  ],
  [
    'rollback: a restore still queued',
    'rollbackRestore',
    () => rollback({ confirmDatabase: ROLLED_BACK_DB }),
    {
      handled: 'refused until it ends',
      status: 409,
      then: (body) => expect(body.error).toMatch(/is queued: only a restore that succeeded or failed/),
    },
  ],

  // The runner's job (parse only): a zod error naming the path.
  [
    'job: __proto__ key',
    'runnerJob',
    () => withOwn(backupJob(), '__proto__', { mode: 'restore' }),
    { refused: '__proto__' },
  ],
  [
    'job: constructor in s3',
    'runnerJob',
    () => backupJob({ s3: withOwn(s3, 'constructor', {}) }),
    { refused: 's3.constructor' },
  ],
  ['job: mode "shell"', 'runnerJob', () => backupJob({ mode: 'shell' }), { refused: 'mode' }],
  [
    'job: database with an emoji',
    'runnerJob',
    () => backupJob({ connection: { ...connection, database: 'db😀' } }),
    { refused: 'connection.database' },
  ],
  [
    'job: database with NUL',
    'runnerJob',
    () => backupJob({ connection: { ...connection, database: 'db\u0000' } }),
    { refused: 'connection.database' },
  ],
  [
    'job: username outside the BMP',
    'runnerJob',
    () => backupJob({ connection: { ...connection, username: '𝓾𝓼𝓮𝓻' } }),
    { refused: 'connection.username' },
  ],
  [
    'job: host with a semicolon',
    'runnerJob',
    () => backupJob({ connection: { ...connection, host: 'db;id' } }),
    { refused: 'connection.host' },
  ],
  [
    'job: port 0',
    'runnerJob',
    () => backupJob({ connection: { ...connection, port: 0 } }),
    { refused: 'connection.port' },
  ],
  [
    'job: password env name with a command',
    'runnerJob',
    () => backupJob({ password: { from: 'env', name: 'X; rm -rf /' } }),
    { refused: 'password.name' },
  ],
  [
    'job: password given inline',
    'runnerJob',
    () => backupJob({ password: { from: 'plain', value: 'secret' } }),
    { refused: 'password.from' },
  ],
  ['job: bucket with a slash', 'runnerJob', () => backupJob({ s3: { bucket: '../other' } }), { refused: 's3.bucket' }],
  [
    'job: endpoint that is not a URL',
    'runnerJob',
    () => backupJob({ s3: { ...s3, endpoint: 'javascript alert(1)' } }),
    { refused: 's3.endpoint' },
  ],
  [
    'job: compression level 10',
    'runnerJob',
    () => backupJob({ compressionLevel: 10 }),
    { refused: 'compressionLevel' },
  ],
  [
    'job: connect timeout of a day',
    'runnerJob',
    () => backupJob({ connectTimeoutSeconds: 86_400 }),
    { refused: 'connectTimeoutSeconds' },
  ],
  [
    'job: CA bundle outside ca-bundles/',
    'runnerJob',
    () =>
      backupJob({
        connection: {
          ...connection,
          tls: { mode: 'verify-ca', caBundle: { key: 'ca-bundles/../../etc/passwd', sha256: 'a'.repeat(64) } },
        },
      }),
    { refused: 'connection.tls.caBundle.key' },
  ],
  ['job: restore with an empty key', 'runnerJob', () => restoreJob({ key: '' }), { refused: 'key' }],
  [
    'job: restore with a short checksum',
    'runnerJob',
    () => restoreJob({ expectedSha256: 'abc' }),
    { refused: 'expectedSha256' },
  ],
  [
    'job: restore target outside the BMP',
    'runnerJob',
    () => restoreJob({ targetDatabase: '📦' }),
    { refused: 'targetDatabase' },
  ],
  ['job: verify carrying a connection', 'runnerJob', () => verifyJob({ connection }), { refused: 'connection' }],
  ['job: an array', 'runnerJob', () => [backupJob()], { refused: '(root)' }],
];

// Every route refuses a query parameter it does not take, naming it (the route table lists them all).
const SAMPLE_PATH: Record<string, string> = { id: 'sample-id', database: 'shop' };
for (const route of apiRoutes) {
  const pathParameters = Object.fromEntries(
    [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => [name ?? '', SAMPLE_PATH[name ?? ''] ?? 'x']),
  );
  rows.push([
    `${route.operation}: unknown query parameter`,
    route.operation,
    () => ({ pathParameters, query: { debug: 'true' } }),
    { refused: 'debug' },
  ]);
}

/** No segment of the key is `.` or `..`: a client or S3 console normalizing the path cannot move it elsewhere. */
const keyedWithoutDotSegments = (sourceId: string, database: string) => {
  const key = backupKey('mysql', sourceId, database, new Date('2026-03-01T12:00:00Z'));
  expect(
    key.split('/').filter((segment) => segment === '.' || segment === '..'),
    key,
  ).toEqual([]);
  expect(key.startsWith(`${sourceId}/`)).toBe(true);
};

beforeAll(async () => {
  api = await startEveryRoute();
  await seedSource(api.table, SOURCE);
  await seedSource(api.table, TARGET);
  await putBackupRecords(api.table, [backupRecord({ id: BACKUP, sourceId: SOURCE })]);
  queuedRestoreId = String((await api.request('createRestore', restoreInto(ROLLED_BACK_DB))).body.restoreId);
  scheduleId = (await api.request<Schedule>('createSchedule', schedule({ cron: '0 3 * * *', timeZone: 'UTC' }))).body
    .id;
  before = {
    source: (await api.request('getDataSource', id(SOURCE))).body,
    schedule: (await api.request('getSchedule', id(scheduleId))).body,
  };
});
afterAll(() => api?.sfn.restore());

describe('hostile inputs: each refused naming the field, or handled correctly', () => {
  it('the table holds at least 80 hostile inputs across every route and the runner job', () => {
    expect(rows.length).toBeGreaterThanOrEqual(80);
    const covered = new Set(rows.map(([, route]) => route));
    expect(apiRoutes.filter((route) => !covered.has(route.operation)).map((route) => route.operation)).toEqual([]);
    expect(covered.has('runnerJob')).toBe(true);
  });

  it.each(rows.map((row) => [row[0], row] as const))('%s', async (_name, row) => {
    if (row[1] === 'runnerJob') {
      const parsed = RunnerJobSchema.safeParse(row[2]());
      expect(parsed.success).toBe(false);
      const fields = parsed.success ? {} : fieldErrors(parsed.error);
      expect(Object.keys(fields)).toContain(row[3].refused);
      expect(fields[row[3].refused]).toMatch(/\S/);
      return;
    }
    const [, route, input, outcome] = row;
    const response: ApiResponse<ErrorResponse & Record<string, unknown>> = await api.request(route, input());
    if ('handled' in outcome) {
      expect(response.status, JSON.stringify(response.body)).toBe(outcome.status);
      await outcome.then?.(response.body);
      return;
    }
    const field = 'refused' in outcome ? outcome.refused : outcome.refusedOrKeyed;
    if ('refusedOrKeyed' in outcome && response.status < 300) {
      expect(
        response.body.database ??
          (await api.request<Restore>('getRestore', id(String(response.body.restoreId)))).body.targetDatabase,
      ).toBe(outcome.database);
      keyedWithoutDotSegments(outcome.sourceOf(response.body), outcome.database);
      return;
    }
    expect(response.status, JSON.stringify(response.body)).toBe('refused' in outcome ? (outcome.status ?? 400) : 400);
    expect(Object.keys(response.body.fields ?? {})).toContain(field);
    expect(response.body.fields?.[field]).toMatch(/\S/);
    if (field !== '(root)' && field !== 'body') expect(response.body.error).toContain(field);
  });

  it('lost nothing: the source and schedule the refused rows aimed at are unchanged', async () => {
    expect((await api.request('getDataSource', id(SOURCE))).body).toEqual(before.source);
    expect((await api.request('getSchedule', id(scheduleId))).body).toEqual(before.schedule);
  });
});
