import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, waitForBackup, type ApiClient } from '../../types/apiClient.ts';
import { LOCAL_BUCKET } from '../../scripts/local/keepsake.ts';
import { startMariaDb, type LocalMariaDb } from '../../scripts/local/mariadb.ts';
import type { Backup } from '../../types/backup.ts';
import type { DataSource } from '../../types/dataSource.ts';
import { startLocalMode, type LocalModeProcess } from '../support/localMode.ts';
import { testS3Client } from '../support/services.ts';

/**
 * What breaks under a backup, met through local mode as a user meets it (HTTP API, the runner as a child process):
 * each ends `failed` with a reason and leaves no object behind. A session holding `LOCK TABLES … WRITE` on the
 * last table makes the dump wait mid-stream, so each fault surely strikes while the backup runs.
 */
const DB = 'faults';
// Dumped before the locked table (mysqldump goes alphabetically): ~12 MB of incompressible rows, so the upload has
// parts under way when the dump stalls.
const SQL = `
CREATE DATABASE IF NOT EXISTS ${DB};
USE ${DB};
CREATE TABLE a_bulk (id INT PRIMARY KEY, payload BLOB);
INSERT INTO a_bulk SELECT seq, RANDOM_BYTES(1000) FROM seq_1_to_6000;
CREATE TABLE z_locked (id INT PRIMARY KEY);
INSERT INTO z_locked VALUES (1);
`;

const run = promisify(execFile);

let dataDir: string;
let local: LocalModeProcess | undefined;
let api: ApiClient;
let db: LocalMariaDb;
let source: DataSource;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'keepsake-faults-'));
  db = await startMariaDb(join(dataDir, 'victim-mariadb'));
  await db.sql(SQL);
  local = await startLocalMode(['--data-dir', join(dataDir, 'local'), '--api-port', '0']);
  api = apiClient(local.apiUrl);
  source = await api.request<DataSource>('POST', '/v1/data-sources', {
    name: 'victim',
    engine: 'mariadb',
    host: db.host,
    port: db.port,
    database: DB,
    username: db.user,
    password: db.password,
    // The test MariaDB runs without certificates; new sources otherwise default to TLS `required`.
    tls: { mode: 'disabled' },
  });
}, 240_000);

afterAll(async () => {
  await local?.stop('SIGINT');
  await db?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

function holdLock(): ChildProcess {
  return spawn(
    'mariadb',
    ['--no-defaults', `--socket=${db.socket}`, '-uroot', DB, '-e', 'LOCK TABLES z_locked WRITE; SELECT SLEEP(300);'],
    { stdio: 'ignore' },
  );
}

/** The runner child of local mode once it has started (its parent is the `npm start` process). */
async function runnerPid(): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { stdout } = await run('ps', ['-eo', 'pid=,ppid=,args=']);
    const line = stdout.split('\n').find((l) => {
      const [, ppid] = l.trim().split(/\s+/);
      return Number(ppid) === local?.child.pid && l.includes('runner.mjs');
    });
    if (line) return Number(line.trim().split(/\s+/)[0]);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no runner process started within 30 s');
}

/** Waits until the dump has stalled on the locked table, some MB in: the upload is under way. */
async function stalledBackup(): Promise<{ backupId: string; runner: number }> {
  const { backupId } = await api.request<{ backupId: string }>('POST', `/v1/data-sources/${source.id}/backups`, {
    trigger: 'api',
  });
  const runner = await runnerPid();
  await new Promise((r) => setTimeout(r, 3000));
  return { backupId, runner };
}

async function objectsOf(s3Endpoint: string): Promise<string[]> {
  const listed = await testS3Client(s3Endpoint).send(
    new ListObjectsV2Command({ Bucket: LOCAL_BUCKET, Prefix: `${source.id}/` }),
  );
  return (listed.Contents ?? []).map((o) => o.Key ?? '');
}

const expectFailed = (backup: Backup, reason: RegExp) => {
  expect(backup.status).toBe('failed');
  expect(backup.error).toMatch(reason);
};

describe('faults under a running backup in local mode', () => {
  it('the runner process killed → failed, naming the kill, no object', async () => {
    const lock = holdLock();
    try {
      const { backupId, runner } = await stalledBackup();
      process.kill(runner, 'SIGKILL');
      expectFailed(
        await waitForBackup(api, backupId, 60_000),
        /^the runner process was killed \(SIGKILL\) before it finished$/,
      );
    } finally {
      lock.kill('SIGKILL');
    }
    expect(await objectsOf(local?.s3Endpoint ?? '')).toEqual([]);
  }, 120_000);

  it('MariaDB stopped mid-dump → failed with mysqldump’s reason, no object', async () => {
    const lock = holdLock();
    try {
      const { backupId } = await stalledBackup();
      await db.stop();
      expectFailed(
        await waitForBackup(api, backupId, 60_000),
        /mysqldump exited with code 2: .*Lost connection to server during query/,
      );
    } finally {
      lock.kill('SIGKILL');
    }
    expect(await objectsOf(local?.s3Endpoint ?? '')).toEqual([]);
    db = await startMariaDb(join(dataDir, 'victim-mariadb'));
    await api.request('PATCH', `/v1/data-sources/${source.id}`, { port: db.port });
  }, 180_000);

  it('S3 (s3rver) stopped mid-upload → failed with the upload’s reason; after a restart there is no object', async () => {
    const lock = holdLock();
    let backupId: string;
    try {
      ({ backupId } = await stalledBackup());
      const { stdout } = await run('ps', ['-eo', 'pid=,args=']);
      const s3rver = stdout.split('\n').find((l) => l.includes('s3rver') && l.includes(join(dataDir, 'local')));
      expect(s3rver).toBeDefined();
      process.kill(Number(s3rver?.trim().split(/\s+/)[0]), 'SIGKILL');
    } finally {
      lock.kill('SIGKILL');
    }
    expectFailed(
      await waitForBackup(api, backupId, 120_000),
      /upload to s3:\/\/keepsake-local\/.+ failed: connect ECONNREFUSED/,
    );
    expect(await local?.stop('SIGINT')).toBe(0);
    local = await startLocalMode(['--data-dir', join(dataDir, 'local'), '--api-port', '0']);
    expect(await objectsOf(local.s3Endpoint)).toEqual([]);
  }, 300_000);
});
