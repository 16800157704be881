import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../containers/backup/src/backup.ts';
import { runRestore } from '../../containers/backup/src/restore.ts';
import { expectNoPassword, spy, type ChildView } from '../support/childProcesses.ts';
import { startFaultyS3Proxy, type FaultyS3Proxy } from '../support/faultyS3Proxy.ts';
import { hasPostgres, recreateDatabase, startTestPostgres, type TestPostgres } from '../support/postgres.ts';
import { pgBackupJob, pgConnection, pgJobEnv, pgRestoreJob } from '../support/postgresJobs.ts';
import { expectNoObject, expectRunnerError, killMidStream, runRunnerProcess } from '../support/runner.ts';
import { s3Location, services } from '../support/services.ts';
import { startSilentServer, type SilentServer } from '../support/silentServer.ts';

const SMALL = 'small';
const BIG = 'big';
const RUNNER = new URL('../../containers/backup/dist/runner.mjs', import.meta.url).pathname;

/** The PostgreSQL versions of the MySQL runner's failure modes (runnerFailures.test.ts) and its secrets checks. */
describe.runIf(await hasPostgres())('PostgreSQL runner failures end as failures and leave no object', () => {
  let server: TestPostgres;

  beforeAll(async () => {
    server = await startTestPostgres();
    await recreateDatabase(server, SMALL);
    await server.psql(
      `CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'one'), (2, 'two');`,
      SMALL,
    );
    await server.psql(`GRANT ALL ON t TO ${server.user};`, SMALL);
    // ~30 MB of hex digests that hardly compress: a multipart upload, and a dump long enough to kill mid-stream.
    await recreateDatabase(server, BIG);
    await server.psql(
      `CREATE TABLE big (id int PRIMARY KEY, digest text NOT NULL);
       INSERT INTO big SELECT g, encode(sha512(g::text::bytea), 'hex') || encode(sha512((g * 7)::text::bytea), 'hex')
         FROM generate_series(1, 120000) g;`,
      BIG,
    );
  });
  afterAll(() => server?.stop());

  it('fails on a wrong password with the server’s message, and never shows either password', async () => {
    const sourceId = 'pg-wrong-password';
    const wrong = `${server.password}x`;
    const error = await expectRunnerError(
      runBackup(pgBackupJob(server, SMALL, { sourceId }), { env: pgJobEnv(server, wrong) }),
    );
    expect(error.message).toMatch(
      /^cannot connect to database "small": .*password authentication failed for user "keepsake"/,
    );
    expect(error.message).not.toContain(server.password);
    await expectNoObject(sourceId);
  });

  it('fails on an unknown database', async () => {
    const sourceId = 'pg-unknown-db';
    const error = await expectRunnerError(
      runBackup(pgBackupJob(server, 'no such db', { sourceId }), { env: pgJobEnv(server) }),
    );
    expect(error.message).toMatch(/^cannot connect to database "no such db": .*database "no such db" does not exist/);
    await expectNoObject(sourceId);
  });

  it('refuses a server whose certificate its CA did not sign (verify-full)', async () => {
    const sourceId = 'pg-other-ca';
    const connection = pgConnection(server, SMALL, { tls: { mode: 'verify-identity' } });
    const error = await expectRunnerError(
      runBackup(pgBackupJob(server, SMALL, { sourceId, connection }), { env: pgJobEnv(server) }),
    );
    expect(error.message).toMatch(/^cannot connect to database "small": .*(certificate|root certificate file)/);
    await expectNoObject(sourceId);
  });

  describe('against a server that accepts connections and never says a word', () => {
    let silent: SilentServer;

    beforeAll(async () => {
      silent = await startSilentServer();
    });
    afterAll(() => silent.close());

    it('gives up within the connect timeout', async () => {
      const sourceId = 'pg-silent-host';
      const connection = pgConnection(server, SMALL, {
        host: '127.0.0.1',
        port: silent.port,
        tls: { mode: 'required' },
      });
      const started = Date.now();
      const error = await expectRunnerError(
        runBackup(pgBackupJob(server, SMALL, { sourceId, connection, connectTimeoutSeconds: 2 }), {
          env: pgJobEnv(server),
        }),
      );
      expect(silent.accepted()).toBeGreaterThan(0);
      expect(error.message).toMatch(/^cannot connect to database "small": .*timeout/i);
      expect(Date.now() - started).toBeLessThan(10_000);
      await expectNoObject(sourceId);
    });
  });

  it('fails when pg_dump is killed mid-stream', async () => {
    const sourceId = 'pg-killed-dump';
    const kill = killMidStream('pg_dump');
    const error = await expectRunnerError(
      runBackup(pgBackupJob(server, BIG, { sourceId }), { env: pgJobEnv(server), ...kill.hooks }),
    );
    expect(kill.killedAt(), 'the test killed the dump mid-stream').toBeDefined();
    expect(error.message).toMatch(/pg_dump was killed by SIGKILL/);
    await expectNoObject(sourceId);
  });

  describe('when S3 rejects an upload part', () => {
    let proxy: FaultyS3Proxy;
    beforeAll(async () => {
      proxy = await startFaultyS3Proxy(
        services().s3.endpoint,
        (r) => r.method === 'PUT' && r.query.get('partNumber') === '1',
      );
    });
    afterAll(() => proxy.close());

    it('aborts the multipart upload and fails with the S3 error', async () => {
      const sourceId = 'pg-s3-part';
      const job = pgBackupJob(server, BIG, { sourceId, s3: { ...s3Location(), endpoint: proxy.endpoint } });
      const error = await expectRunnerError(runBackup(job, { env: pgJobEnv(server) }));
      expect(error.message).toMatch(
        new RegExp(
          `^upload to s3://${services().s3.bucket}/${sourceId}/${BIG}/[^ ]+\\.dump\\.gz failed: .*Access Denied`,
        ),
      );
      expect(proxy.requests.filter((r) => r.method === 'POST' && r.query.has('uploadId'))).toEqual([]);
      await expectNoObject(sourceId);
    });
  });

  it('on SIGTERM: pg_dump killed, pgpass file removed, a failure line, exit 1, no object', async () => {
    const sourceId = 'pg-stopped';
    const tmp = await mkdtemp(join(tmpdir(), 'keepsake-pg-stop-'));
    // pg_dump waits for this lock before it writes a byte: the runner is stopped while its dump runs.
    const lock = spawn(
      join(server.binDir, 'psql'),
      ['--no-psqlrc', '-v', 'ON_ERROR_STOP=1', ...server.superuserArgs(BIG)],
      {
        stdio: ['pipe', 'ignore', 'ignore'],
      },
    );
    lock.stdin.write('BEGIN; LOCK TABLE big IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60);\n');
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const runner = spawn(process.execPath, [RUNNER, JSON.stringify(pgBackupJob(server, BIG, { sourceId }))], {
        env: { ...pgJobEnv(server), TMPDIR: tmp },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      runner.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      const closed = new Promise<number | null>((resolve) => runner.once('close', resolve));
      let dir: string | undefined;
      for (let i = 0; i < 200 && !dir; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const [entry] = await readdir(tmp);
        if (entry && existsSync(join(tmp, entry, 'pgpass'))) dir = entry;
      }
      expect(dir, 'the pgpass file exists while the dump runs').toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 500));
      runner.kill('SIGTERM');
      expect(await closed).toBe(1);
      expect(JSON.parse(stdout.trim())).toEqual({
        ok: false,
        mode: 'backup',
        error: expect.stringMatching(/^stopped by SIGTERM/),
      });
      expect(await readdir(tmp), 'no pgpass or CA file is left').toEqual([]);
      await expectNoObject(sourceId);
    } finally {
      lock.kill('SIGKILL');
      await rm(tmp, { recursive: true, force: true });
    }
  }, 60_000);

  it('never passes the password to any client on the command line or in the environment', async () => {
    const views: ChildView[] = [];
    const env = pgJobEnv(server);
    const backup = await runBackup(pgBackupJob(server, SMALL, { sourceId: 'pg-secrets' }), {
      env,
      onSpawn: spy(views),
    });
    await runRestore(pgRestoreJob(server, 'secrets restored', { key: backup.key, expectedSha256: backup.sha256 }), {
      env,
      onSpawn: spy(views),
    });
    expect(views.map((v) => v.tool)).toEqual(expect.arrayContaining(['pg_dump', 'pg_restore']));
    for (const view of views) expectNoPassword(view, server.password);
    for (const view of views.filter((v) => v.tool === 'pg_dump' || v.credentialFile)) {
      expect(view.credentialFileMode).toBe(0o600);
      expect(view.credentialFileText).toContain(`:${server.user}:`);
      expect(existsSync(view.credentialFile!)).toBe(false);
    }
  });

  it('prints neither password in the runner’s output, on success or on a wrong password', async () => {
    const ok = await runRunnerProcess(pgBackupJob(server, SMALL, { sourceId: 'pg-cli' }), pgJobEnv(server));
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout + ok.stderr).not.toContain(server.password);
    expect(ok.stderr).toMatch(/"event":"client","engine":"postgresql","version":"pg_dump \(PostgreSQL\) \d+/);
    const wrong = `${server.password}x`;
    const failed = await runRunnerProcess(pgBackupJob(server, SMALL, { sourceId: 'pg-cli' }), pgJobEnv(server, wrong));
    expect(failed.code).toBe(1);
    expect(failed.stdout + failed.stderr).not.toContain(server.password);
    expect(failed.result.error).toMatch(/password authentication failed/);
  });
});
