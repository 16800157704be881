import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import {
  BackupJobSchema,
  RestoreJobSchema,
  VerifyJobSchema,
  type BackupJob,
  type RestoreJob,
  type VerifyJob,
} from '../../types/job.ts';
import type * as z from 'zod';
import type { JobContext } from '../../containers/backup/src/context.ts';
import { RunnerError } from '../../containers/backup/src/errors.ts';
import { connectionTo, s3Location, services, testS3Client } from './services.ts';
import { rootSql } from './sql.ts';

type BackupInput = Partial<z.input<typeof BackupJobSchema>>;
type RestoreInput = Partial<z.input<typeof RestoreJobSchema>> &
  Pick<z.input<typeof RestoreJobSchema>, 'key' | 'expectedSha256'>;

/** A backup job of `database` on the shared MariaDB into the shared s3rver bucket, with the schema's defaults. */
export function backupJob(database: string, overrides: BackupInput = {}): BackupJob {
  return BackupJobSchema.parse({
    mode: 'backup',
    sourceId: 'test-source',
    connection: connectionTo(database),
    password: { from: 'env' },
    s3: s3Location(),
    ...overrides,
  });
}

/** A restore job into `targetDatabase` (the connection's own database is only where the client first connects). */
export function restoreJob(targetDatabase: string, overrides: RestoreInput): RestoreJob {
  return RestoreJobSchema.parse({
    mode: 'restore',
    connection: connectionTo(targetDatabase),
    password: { from: 'env' },
    s3: s3Location(),
    targetDatabase,
    ...overrides,
  });
}

export function verifyJob(key: string, expectedSha256: string): VerifyJob {
  return VerifyJobSchema.parse({ mode: 'verify', s3: s3Location(), key, expectedSha256 });
}

export function bucket(): string {
  return services().s3.bucket;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function getObjectBytes(key: string): Promise<Buffer> {
  const out = await testS3Client().send(new GetObjectCommand({ Bucket: bucket(), Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

export async function putObjectBytes(key: string, body: Uint8Array): Promise<void> {
  await testS3Client().send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: body }));
}

/** Every key under `prefix`: a failed backup must leave this empty. */
export async function keysUnder(prefix: string): Promise<string[]> {
  const out = await testS3Client().send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: prefix }));
  return (out.Contents ?? []).map((object) => object.Key ?? '');
}

/** The HTTP status HeadObject answers for `key` (200 when it exists, 404 when it does not). */
export async function headStatus(key: string): Promise<number | undefined> {
  try {
    const out = await testS3Client().send(new HeadObjectCommand({ Bucket: bucket(), Key: key }));
    return out.$metadata.httpStatusCode;
  } catch (error) {
    return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  }
}

/** Asserts that nothing at all was stored for this source (no object, under any timestamp). */
export async function expectNoObject(sourceId: string, key?: string): Promise<void> {
  expect(await keysUnder(`${sourceId}/`)).toEqual([]);
  if (key) expect(await headStatus(key)).toBe(404);
}

/** Job hooks that SIGKILL the `tool` child once the job has read over 1 MiB: a dump that dies mid-stream. */
export function killMidStream(tool: string): {
  readonly hooks: Pick<JobContext, 'progressIntervalMs' | 'onSpawn' | 'onProgress'>;
  readonly child: () => ChildProcess | undefined;
  readonly killedAt: () => number | undefined;
} {
  let child: ChildProcess | undefined;
  let killedAt: number | undefined;
  return {
    hooks: {
      progressIntervalMs: 50,
      onSpawn: (spawned, name) => {
        if (name === tool) child = spawned;
      },
      onProgress: (progress) => {
        if (killedAt === undefined && child && progress.bytesRead > 1024 * 1024) {
          killedAt = progress.bytesRead;
          child.kill('SIGKILL');
        }
      },
    },
    child: () => child,
    killedAt: () => killedAt,
  };
}

/** Awaits a promise that must reject with a RunnerError and returns that error. */
export async function expectRunnerError(promise: Promise<unknown>): Promise<RunnerError> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected a RunnerError, but the job succeeded with ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RunnerError);
  return error as RunnerError;
}

/** A MySQL identifier in backticks. */
export function ident(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** A MySQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export async function recreateDatabase(name: string): Promise<void> {
  await rootSql(`DROP DATABASE IF EXISTS ${ident(name)}; CREATE DATABASE ${ident(name)};`);
}

export async function dropDatabases(...names: string[]): Promise<void> {
  await rootSql(names.map((name) => `DROP DATABASE IF EXISTS ${ident(name)};`).join('\n'));
}

export async function databaseExists(name: string): Promise<boolean> {
  const out = await rootSql(`SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${sqlString(name)}`);
  return out.trim() === '1';
}

/** Names of the base tables (not views) of a database, sorted. */
export async function baseTables(database: string): Promise<string[]> {
  const out = await rootSql(
    `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${sqlString(database)} AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
  );
  return rows(out).map(([name = '']) => name);
}

/** Creates `database` afresh and loads test/fixtures/trickyDatabase.sql into it. */
export async function loadTrickyFixture(database: string): Promise<void> {
  await recreateDatabase(database);
  const fixture = await readFile(new URL('../fixtures/trickyDatabase.sql', import.meta.url), 'utf8');
  await rootSql(fixture, database);
}

/** Tab-separated rows of the `mariadb --batch` output (it escapes tabs and newlines inside values). */
export function rows(output: string): string[][] {
  return output
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'));
}

/** Everything a restore must reproduce, with the schema's own name replaced so two databases compare equal. */
export interface DatabaseSnapshot {
  /** `CHECKSUM TABLE` of every base table. */
  readonly checksums: Record<string, string>;
  readonly rowCounts: Record<string, number>;
  readonly createTables: Record<string, string>;
  /** information_schema rows of views, routines (and their parameters), triggers and events, without DEFINER. */
  readonly objects: Record<'views' | 'routines' | 'parameters' | 'triggers' | 'events', string[][]>;
  /** `kind name → definer` of every view, routine, trigger and event. */
  readonly definers: Record<string, string>;
}

export async function snapshot(database: string): Promise<DatabaseSnapshot> {
  const schema = sqlString(database);
  const tables = await baseTables(database);
  const normalise = (text: string): string => text.split(ident(database)).join('`<schema>`');
  const query = async (sql: string): Promise<string[][]> => rows(await rootSql(sql)).map((row) => row.map(normalise));

  const checksumRows =
    tables.length > 0
      ? await query(`CHECKSUM TABLE ${tables.map((t) => `${ident(database)}.${ident(t)}`).join(', ')} EXTENDED`)
      : [];
  const countRows =
    tables.length > 0
      ? await query(tables.map((t) => `SELECT COUNT(*) FROM ${ident(database)}.${ident(t)};`).join('\n'))
      : [];
  const createRows =
    tables.length > 0
      ? await query(tables.map((t) => `SHOW CREATE TABLE ${ident(database)}.${ident(t)};`).join('\n'))
      : [];
  expect(checksumRows).toHaveLength(tables.length);
  const checksums: Record<string, string> = {};
  const rowCounts: Record<string, number> = {};
  const createTables: Record<string, string> = {};
  tables.forEach((table, i) => {
    checksums[table] = checksumRows[i]?.at(-1) ?? '';
    rowCounts[table] = Number(countRows[i]?.[0]);
    createTables[table] = createRows[i]?.[1] ?? '';
  });

  const [views, routines, parameters, triggers, events] = await Promise.all([
    query(`SELECT TABLE_NAME, VIEW_DEFINITION, SECURITY_TYPE, CHECK_OPTION, IS_UPDATABLE, CHARACTER_SET_CLIENT, COLLATION_CONNECTION, DEFINER
           FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ${schema} ORDER BY TABLE_NAME`),
    query(`SELECT ROUTINE_NAME, ROUTINE_TYPE, ROUTINE_DEFINITION, DTD_IDENTIFIER, IS_DETERMINISTIC, SQL_DATA_ACCESS, SECURITY_TYPE,
                  SQL_MODE, ROUTINE_COMMENT, CHARACTER_SET_CLIENT, COLLATION_CONNECTION, DATABASE_COLLATION, DEFINER
           FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ${schema} ORDER BY ROUTINE_NAME`),
    query(`SELECT SPECIFIC_NAME, ORDINAL_POSITION, PARAMETER_MODE, PARAMETER_NAME, DTD_IDENTIFIER
           FROM information_schema.PARAMETERS WHERE SPECIFIC_SCHEMA = ${schema} ORDER BY SPECIFIC_NAME, ORDINAL_POSITION`),
    query(`SELECT TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_ORDER, ACTION_TIMING, ACTION_STATEMENT, SQL_MODE,
                  CHARACTER_SET_CLIENT, COLLATION_CONNECTION, DEFINER
           FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ${schema} ORDER BY TRIGGER_NAME`),
    query(`SELECT EVENT_NAME, EVENT_DEFINITION, EVENT_TYPE, INTERVAL_VALUE, INTERVAL_FIELD, STARTS, ENDS, STATUS, ON_COMPLETION,
                  EVENT_COMMENT, TIME_ZONE, SQL_MODE, CHARACTER_SET_CLIENT, COLLATION_CONNECTION, DEFINER
           FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ${schema} ORDER BY EVENT_NAME`),
  ]);
  const definers: Record<string, string> = {};
  const split = (kind: string, list: string[][]): string[][] =>
    list.map((row) => {
      definers[`${kind} ${row[0]}`] = row.at(-1) ?? '';
      return row.slice(0, -1);
    });
  return {
    checksums,
    rowCounts,
    createTables,
    objects: {
      views: split('view', views),
      routines: split('routine', routines),
      parameters,
      triggers: split('trigger', triggers),
      events: split('event', events),
    },
    definers,
  };
}

/** `{sourceId}/{database}/{YYYY-MM-DD_HH-mm-ss}.sql.gz`, the stamp within [before, after] (UTC, whole seconds). */
export function expectBackupKey(key: string, sourceId: string, database: string, before: Date, after: Date): void {
  const match = /^(.+)\/(.+)\/(\d{4})-(\d{2})-(\d{2})_(\d{2})-(\d{2})-(\d{2})\.sql\.gz$/.exec(key);
  expect(match, `key ${key} has the {sourceId}/{database}/{YYYY-MM-DD_HH-mm-ss}.sql.gz shape`).not.toBeNull();
  const [, source, db, y, mo, d, h, mi, s] = match!;
  expect(source).toBe(sourceId);
  expect(decodeURIComponent(db!)).toBe(database);
  const stamp = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  expect(stamp).toBeGreaterThanOrEqual(Math.floor(before.getTime() / 1000) * 1000);
  expect(stamp).toBeLessThanOrEqual(after.getTime());
}

/** What the runner process did with a job: its exit code, its one result line, and its stderr log. */
export interface RunnerProcessOutcome {
  readonly code: number | null;
  readonly result: Record<string, unknown>;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a job through the built runner (`npm run build:runner`), as the Fargate task's entrypoint does. */
export function runRunnerProcess(job: object, env: NodeJS.ProcessEnv): Promise<RunnerProcessOutcome> {
  const runner = new URL('../../containers/backup/dist/runner.mjs', import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runner, JSON.stringify(job)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({
        code,
        result: JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>,
        stdout,
        stderr,
      }),
    );
  });
}
