import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, ApiError, waitForBackup, waitForRestore, type ApiClient } from '../../types/apiClient.ts';
import { LOCAL_BUCKET } from '../../scripts/local/keepsake.ts';
import { LOCAL_PG_PASSWORD } from '../../scripts/local/postgres.ts';
import { freePort } from '../../scripts/local/processes.ts';
import type { Page } from '../../types/api.ts';
import type { Backup } from '../../types/backup.ts';
import type { DataSource } from '../../types/dataSource.ts';
import type { Schedule } from '../../types/schedule.ts';
import { startLocalMode, type LocalModeProcess } from '../support/localMode.ts';
import { testS3Client, mariadb } from '../support/services.ts';
import { rootSql } from '../support/sql.ts';
import { hasPostgres } from '../support/postgres.ts';
import pg from 'pg';
import type { DatabaseInspection } from '../../types/apiDataSources.ts';

/**
 * Local mode as a newcomer meets it: `npm start` as a child process, driven only through its HTTP API, against
 * the test MariaDB. Each step is what a person would do; the checks are what they would look at.
 */
const DB = `e2e_${process.pid}`;
const SQL = `
CREATE DATABASE ${DB} CHARACTER SET utf8mb4;
USE ${DB};
CREATE TABLE notes (id INT PRIMARY KEY, body TEXT, blob_col BLOB);
INSERT INTO notes SELECT seq, CONCAT('note ', seq, ' ✓'), UNHEX(SHA2(seq, 256)) FROM seq_1_to_3000;
CREATE TABLE tags (id INT PRIMARY KEY, name VARCHAR(50));
INSERT INTO tags VALUES (1, 'alpha'), (2, NULL), (3, '');
`;

const checksums = async (db: string) =>
  (await rootSql(`CHECKSUM TABLE ${db}.notes, ${db}.tags`))
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t')[1]);

let dataDir: string;
let local: LocalModeProcess | undefined;
let api: ApiClient;

beforeAll(async () => {
  await rootSql(
    `DROP DATABASE IF EXISTS ${DB}; DROP DATABASE IF EXISTS ${DB}_manual; DROP DATABASE IF EXISTS ${DB}_restored; DROP DATABASE IF EXISTS ${DB}_cli;${SQL}`,
  );
  dataDir = await mkdtemp(join(tmpdir(), 'keepsake-local-'));
}, 60_000);

const postgresInstalled = await hasPostgres();

/** Each demo table's row count and a hash of its sorted row hashes, read over TLS verified as the source is. */
async function pgChecksums(source: DataSource, database: string): Promise<string[]> {
  const client = new pg.Client({
    host: source.host,
    port: source.port,
    user: source.username,
    password: LOCAL_PG_PASSWORD,
    database,
    ssl: { ca: source.tls.caPem, rejectUnauthorized: true },
  });
  await client.connect();
  try {
    const sums: string[] = [];
    for (const table of ['shop.customers', 'shop.orders']) {
      const { rows } = await client.query<{ sum: string }>(
        `SELECT count(*) || ' ' || md5(coalesce(string_agg(md5(r::text), '' ORDER BY md5(r::text)), '')) AS sum FROM ${table} r`,
      );
      sums.push(rows[0]?.sum ?? '');
    }
    return sums;
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  await local?.stop('SIGKILL');
  await rootSql(
    `DROP DATABASE IF EXISTS ${DB}; DROP DATABASE IF EXISTS ${DB}_manual; DROP DATABASE IF EXISTS ${DB}_restored; DROP DATABASE IF EXISTS ${DB}_cli`,
  );
  await rm(dataDir, { recursive: true, force: true });
});

async function start(): Promise<void> {
  local = await startLocalMode(['--data-dir', dataDir, '--api-port', '0', '--trash-grace-days', '0']);
  api = apiClient(local.apiUrl);
}

/** Processes whose command line names `dir`: local mode's s3rver, DynamoDB Local and MariaDB keep their data there. */
async function processesUsing(dir: string): Promise<string[]> {
  const { execFile } = await import('node:child_process');
  const out = await new Promise<string>((resolve, reject) =>
    execFile('ps', ['-eo', 'pid=,args='], (error, stdout) => (error ? reject(error) : resolve(stdout))),
  );
  return out.split('\n').filter((line) => line.includes(dir) && !line.includes('scripts/start.ts'));
}

/** Runs the `keepsake` CLI against the running local mode; resolves with its exit code and what it printed. */
async function cli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['scripts/cli/keepsake.mjs', ...args], {
    env: { ...process.env, KEEPSAKE_API_URL: local?.apiUrl, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

/** Pipes the downloaded object through the stock tools, as a person restoring by hand would. */
function restoreWithStockTools(object: Buffer, database: string): Promise<void> {
  const db = mariadb();
  return new Promise((resolve, reject) => {
    const shell = spawn('sh', ['-c', `gunzip -c | mariadb --no-defaults --socket="$SOCKET" -uroot "$DATABASE"`], {
      env: { ...process.env, SOCKET: db.socket, DATABASE: database },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    shell.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    shell.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`gunzip | mariadb exited ${code}: ${stderr}`)),
    );
    shell.stdin.end(object);
  });
}

describe('local mode (npm start) through its HTTP API', () => {
  let source: DataSource;
  let scheduled: Backup;

  it('starts with the demo source, a schedule and a first succeeded backup', async () => {
    await start();
    const sources = await api.request<Page<DataSource>>('GET', '/v1/data-sources');
    const demo = sources.items.find((s) => s.name.startsWith('demo'));
    expect(demo).toBeDefined();
    const backups = await api.request<Page<Backup>>('GET', `/v1/data-sources/${demo?.id}/backups`);
    expect(backups.items.map((b) => b.status)).toContain('succeeded');
    const schedules = await api.request<Page<Schedule>>('GET', `/v1/data-sources/${demo?.id}/schedules`);
    expect(schedules.items).toHaveLength(1);
    if (postgresInstalled) {
      const pgDemo = sources.items.find((s) => s.name === 'demo PostgreSQL (local)');
      expect(pgDemo).toMatchObject({ engine: 'postgresql', host: 'localhost', tls: { mode: 'verify-identity' } });
      const pgBackups = await api.request<Page<Backup>>('GET', `/v1/data-sources/${pgDemo?.id}/backups`);
      expect(pgBackups.items.map((b) => [b.status, b.s3Key?.endsWith('.dump.gz') ?? false])).toContainEqual([
        'succeeded',
        true,
      ]);
      expect(local?.output()).toMatch(/PostgreSQL \(demo\)\s+database keepsake_demo at localhost:\d+/);
      // The printed psql command, pasted into a shell as it is, logs in over verified TLS.
      const command = /^\s+(PGPASSWORD=.*\/psql '[^']*')$/m.exec(local?.output() ?? '')?.[1];
      expect(command).toMatch(/sslmode=verify-full sslrootcert=/);
      const { execFile } = await import('node:child_process');
      const pasted = await new Promise<string>((resolve, reject) =>
        execFile(
          'sh',
          ['-c', `${command} -tAc 'SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'`],
          (error, stdout) => (error ? reject(error) : resolve(stdout.trim())),
        ),
      );
      expect(pasted).toBe('keepsake|t');
    }
  }, 200_000);

  it.runIf(postgresInstalled)(
    'backs the demo PostgreSQL up through the HTTP API and restores it into a new database, rows identical',
    async () => {
      const sources = await api.request<Page<DataSource>>('GET', '/v1/data-sources');
      const pgDemo = sources.items.find((s) => s.name === 'demo PostgreSQL (local)') as DataSource;
      const test = await api.request<{ ok: boolean; tls: string }>('POST', `/v1/data-sources/${pgDemo.id}/test`);
      expect(test).toMatchObject({ ok: true, tls: 'verified' });
      const { backupId } = await api.request<{ backupId: string }>('POST', `/v1/data-sources/${pgDemo.id}/backups`, {
        trigger: 'manual',
      });
      const backup = await waitForBackup(api, backupId, 120_000);
      expect(backup.status, backup.error).toBe('succeeded');
      expect(backup.tables).toBe(2);
      const target = `restored_${process.pid}`;
      const before = await api.request<DatabaseInspection>('GET', `/v1/data-sources/${pgDemo.id}/databases/${target}`);
      expect(before).toEqual({ database: target, exists: false });
      const { restoreId } = await api.request<{ restoreId: string }>('POST', '/v1/restores', {
        backupId,
        targetSourceId: pgDemo.id,
        targetDatabase: target,
        confirmDatabase: target,
      });
      const restore = await waitForRestore(api, restoreId, 120_000);
      expect(restore.status, restore.error).toBe('succeeded');
      const after = await api.request<DatabaseInspection>('GET', `/v1/data-sources/${pgDemo.id}/databases/${target}`);
      expect(after).toMatchObject({
        exists: true,
        schemas: expect.arrayContaining(['shop']),
        tables: expect.arrayContaining([
          expect.objectContaining({ schema: 'shop', name: 'orders', kind: 'table' }),
          expect.objectContaining({ schema: 'shop', name: 'order_totals', kind: 'view' }),
        ]),
      });
      expect(await pgChecksums(pgDemo, target)).toEqual(await pgChecksums(pgDemo, 'keepsake_demo'));
    },
    300_000,
  );

  it('refuses a bad data source with the field and why, and keeps nothing of it', async () => {
    const before = (await api.request<Page<DataSource>>('GET', '/v1/data-sources')).items.length;
    const error = await api
      .request('POST', '/v1/data-sources', {
        name: 'bad',
        engine: 'mysql',
        host: 'db',
        port: 70000,
        database: DB,
        username: 'u',
        password: 'p',
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).fields?.port).toMatch(/65535/);
    expect((await api.request<Page<DataSource>>('GET', '/v1/data-sources')).items).toHaveLength(before);
  });

  it('creates a source, schedules it every minute, and the scheduler takes a backup that succeeds', async () => {
    const db = mariadb();
    source = await api.request<DataSource>('POST', '/v1/data-sources', {
      name: 'e2e',
      engine: 'mariadb',
      host: db.host,
      port: db.port,
      database: DB,
      username: db.user,
      password: db.password,
      // The test MariaDB runs without certificates; new sources otherwise default to TLS `required`.
      tls: { mode: 'disabled' },
    });
    const test = await api.request<{ ok: boolean }>('POST', `/v1/data-sources/${source.id}/test`);
    expect(test.ok).toBe(true);
    const schedule = await api.request<Schedule>('POST', `/v1/data-sources/${source.id}/schedules`, {
      cron: '* * * * *',
      timeZone: 'Asia/Kolkata',
    });
    const deadline = Date.now() + 150_000;
    let found: Backup | undefined;
    while (!found && Date.now() < deadline) {
      const page = await api.request<Page<Backup>>('GET', `/v1/data-sources/${source.id}/backups`);
      found = page.items.find((b) => b.trigger === 'schedule' && (b.status === 'succeeded' || b.status === 'failed'));
      if (!found) await new Promise((r) => setTimeout(r, 1000));
    }
    await api.request('POST', `/v1/schedules/${schedule.id}/pause`);
    expect(found, 'no scheduled backup ended within 150 s').toBeDefined();
    expect(found?.status, found?.error).toBe('succeeded');
    expect(found?.scheduleId).toBe(schedule.id);
    scheduled = found as Backup;
  }, 200_000);

  it('downloads the backup through a presigned URL whose bytes match its SHA-256 and restore with gunzip | mariadb', async () => {
    const { url } = await api.request<{ url: string }>('GET', `/v1/backups/${scheduled.id}/download-url`);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const object = Buffer.from(await response.arrayBuffer());
    expect(object.length).toBe(scheduled.compressedBytes);
    expect(createHash('sha256').update(object).digest('hex')).toBe(scheduled.sha256);
    await rootSql(`CREATE DATABASE ${DB}_manual`);
    await restoreWithStockTools(object, `${DB}_manual`);
    expect(await checksums(`${DB}_manual`)).toEqual(await checksums(DB));
  });

  it('restores through the API into a new database', async () => {
    const target = `${DB}_restored`;
    const { restoreId } = await api.request<{ restoreId: string }>('POST', '/v1/restores', {
      backupId: scheduled.id,
      targetSourceId: source.id,
      targetDatabase: target,
      confirmDatabase: target,
    });
    const restore = await waitForRestore(api, restoreId, 120_000);
    expect(restore.status, restore.error).toBe('succeeded');
    expect(await checksums(target)).toEqual(await checksums(DB));
  }, 150_000);

  it('keepsake CLI: list, backup, download (SHA-256 checked), verify and restore, each exiting 0', async () => {
    const listed = await cli(['list', '--source', 'e2e']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(scheduled.id);

    const backup = await cli(['backup', 'e2e']);
    expect(backup.code, backup.stderr).toBe(0);
    const backupId = /backup (\S+)\s+succeeded/.exec(backup.stdout)?.[1] ?? '';
    expect(backupId).not.toBe('');

    const file = join(dataDir, 'cli.sql.gz');
    const download = await cli(['download', backupId, '--out', file]);
    expect(download.code, download.stderr).toBe(0);
    const recorded = await api.request<Backup>('GET', `/v1/backups/${backupId}`);
    expect(
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex'),
    ).toBe(recorded.sha256);
    expect(download.stdout).toContain('matches the record');

    const verify = await cli(['verify', backupId]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toContain('verified');

    const restore = await cli(['restore', backupId, '--to', `e2e/${DB}_cli`]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(await checksums(`${DB}_cli`)).toEqual(await checksums(DB));
  }, 150_000);

  it('keepsake CLI: errors go to stderr with a non-zero exit code', async () => {
    const cases: [readonly string[], NodeJS.ProcessEnv, number, RegExp][] = [
      [['bogus'], {}, 2, /unknown command "bogus"/],
      [['backup', 'no-such-source'], {}, 2, /no data source has the id or name "no-such-source"/],
      [['restore', scheduled.id, '--to', 'e2e'], {}, 2, /--to <source>\/<database>/],
      [['restore', scheduled.id, '--to', `e2e/${'x'.repeat(65)}`], {}, 2, /database names are at most 64/],
      [['download', 'no-such-backup', '--out', join(dataDir, 'x.sql.gz')], {}, 1, /not found|does not exist/i],
      [
        ['list'],
        { KEEPSAKE_API_URL: `http://127.0.0.1:${await freePort()}` },
        1,
        /cannot reach .*ECONNREFUSED.*is local mode running/,
      ],
    ];
    for (const [args, env, code, message] of cases) {
      const result = await cli(args, env);
      expect({ args, code: result.code }).toEqual({ args, code });
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    }
  }, 60_000);

  it('trashes a backup, and the sweep deletes it and its object once the grace period (0 days here) is over', async () => {
    // The newest: retention (keep one per day by default) has already moved the older ones of today to the trash.
    const [newest] = (
      await api.request<Page<Backup>>('GET', `/v1/data-sources/${source.id}/backups?status=succeeded&limit=1`)
    ).items;
    if (!newest) throw new Error('no succeeded backup to trash');
    await api.request('POST', `/v1/backups/${newest.id}/trash`);
    const trash = await api.request<Page<Backup>>('GET', '/v1/trash');
    expect(trash.items.map((b) => b.id)).toContain(newest.id);
    const sweep = await api.request<{ status: string }>('POST', '/local/sweep');
    expect(sweep.status).toBe('SUCCEEDED');
    const gone = await api.request('GET', `/v1/backups/${newest.id}`).catch((e: unknown) => e);
    expect((gone as ApiError).status).toBe(404);
    expect((await api.request<Page<Backup>>('GET', '/v1/trash')).items).toEqual([]);
    const head = await testS3Client(local?.s3Endpoint)
      .send(new HeadObjectCommand({ Bucket: LOCAL_BUCKET, Key: newest.s3Key }))
      .catch((e: Error) => e);
    expect((head as Error).name).toBe('NotFound');
  }, 120_000);

  it('ends a backup cut off by Ctrl-C as failed on the next start, with every password and record kept', async () => {
    // A session holding a write lock makes the dump wait, so the backup is surely running when local mode stops.
    const db = mariadb();
    const lock = spawn(
      'mariadb',
      ['--no-defaults', `--socket=${db.socket}`, '-uroot', DB, '-e', 'LOCK TABLES notes WRITE; SELECT SLEEP(120);'],
      { stdio: 'ignore' },
    );
    try {
      await new Promise((r) => setTimeout(r, 500));
      const { backupId } = await api.request<{ backupId: string }>('POST', `/v1/data-sources/${source.id}/backups`, {
        trigger: 'api',
      });
      const deadline = Date.now() + 30_000;
      while (
        (await api.request<Backup>('GET', `/v1/backups/${backupId}`)).status !== 'running' &&
        Date.now() < deadline
      )
        await new Promise((r) => setTimeout(r, 200));
      await new Promise((r) => setTimeout(r, 2000));
      expect((await api.request<Backup>('GET', `/v1/backups/${backupId}`)).status).toBe('running');
      expect(await local?.stop('SIGINT')).toBe(0);
      expect(local?.output()).toContain('Stopping');
      expect(await processesUsing(dataDir)).toEqual([]);

      await start();
      expect(local?.output()).toMatch(/1 backup\(s\)\/restore\(s\) cut off by the last stop/);
      const ended = await waitForBackup(api, backupId, 10_000);
      expect(ended.status).toBe('failed');
      expect(ended.error).toMatch(/local mode stopped while this ran/);
      // The source and its password (the encrypted secret store) survived the restart: the connection test logs in.
      const test = await api.request<{ ok: boolean }>('POST', `/v1/data-sources/${source.id}/test`);
      expect(test.ok).toBe(true);
    } finally {
      lock.kill('SIGKILL');
    }
    expect(await local?.stop('SIGINT')).toBe(0);
    expect(await processesUsing(dataDir)).toEqual([]);
  }, 300_000);
});

describe('npm start flags', () => {
  it('refuses bad flags with the flag and why, exit 2, before starting anything', async () => {
    const cases: [readonly string[], RegExp][] = [
      [['--api-port', 'http'], /api-port/],
      [['--api-port', '70000'], /api-port must be at most 65535/],
      [['--mysql-host', 'db.example'], /give --mysql-host and --mysql-database together/],
      [['--wat'], /Unknown option '--wat'/],
    ];
    for (const [args, message] of cases) {
      const started = await startLocalMode(args).then(
        () => undefined,
        (error: Error) => error.message,
      );
      expect(started).toMatch(/local mode exited with 2/);
      expect(started).toMatch(message);
      expect(started).toContain('usage: npm start');
    }
  }, 60_000);
});

describe('npm start -- --once', () => {
  it('backs the demo database up and restores it through the API, and exits 0 with identical tables', async () => {
    const onceDir = await mkdtemp(join(tmpdir(), 'keepsake-once-'));
    try {
      const once = await startLocalMode(['--once', '--data-dir', onceDir, '--api-port', '0']);
      expect(await once.exited).toBe(0);
      expect(once.output()).toMatch(/mariadb: 2 tables identical after the round trip/);
      if (postgresInstalled) expect(once.output()).toMatch(/postgresql: 2 tables identical after the round trip/);
      expect(once.output()).toContain('Round trip OK');
    } finally {
      await rm(onceDir, { recursive: true, force: true });
    }
  }, 200_000);
});
