import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../containers/backup/src/backup.ts';
import { startFaultyS3Proxy, type FaultyS3Proxy } from '../support/faultyS3Proxy.ts';
import {
  backupJob,
  dropDatabases,
  expectNoObject,
  expectRunnerError,
  keysUnder,
  killMidStream,
  recreateDatabase,
} from '../support/runner.ts';
import { connectionTo, jobEnv, s3Location, services } from '../support/services.ts';
import { startSilentServer, type SilentServer } from '../support/silentServer.ts';
import { rootSql } from '../support/sql.ts';

const BIG = 'failures_big';
const SMALL = 'failures_small';
const BIG_ROWS = 200_000;

describe('runner failures end as failures and leave no object', () => {
  beforeAll(async () => {
    await recreateDatabase(SMALL);
    await rootSql(
      'CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO t VALUES (1, "one"), (2, "two");',
      SMALL,
    );
    // ~26 MB of SQL that compresses to well over 8 MiB (hex digests are random), so the upload goes multipart.
    await recreateDatabase(BIG);
    await rootSql(
      `CREATE TABLE big (id INT PRIMARY KEY, digest CHAR(128) NOT NULL) ENGINE=InnoDB;
       INSERT INTO big SELECT seq, SHA2(seq, 512) FROM seq_1_to_${BIG_ROWS};`,
      BIG,
    );
  });

  afterAll(async () => {
    await dropDatabases(SMALL, BIG);
  });

  it('fails on a wrong password with the server’s message', async () => {
    const sourceId = 'failures-wrong-password';
    const key = `${sourceId}/explicit.sql.gz`;
    const wrong = 'definitely-not-the-password';
    const job = backupJob(SMALL, { sourceId, key, password: { from: 'env', name: 'KEEPSAKE_WRONG_PASSWORD' } });
    const error = await expectRunnerError(runBackup(job, { env: { ...jobEnv(), KEEPSAKE_WRONG_PASSWORD: wrong } }));
    expect(error.message).toMatch(/^cannot connect to database "failures_small": .*Access denied for user 'keepsake'/);
    expect(error.message).not.toContain(wrong);
    await expectNoObject(sourceId, key);
  });

  it('fails on an unknown database', async () => {
    const sourceId = 'failures-unknown-db';
    const error = await expectRunnerError(runBackup(backupJob('failures_no_such_db', { sourceId }), { env: jobEnv() }));
    expect(error.message).toMatch(
      /cannot connect to database "failures_no_such_db": .*Unknown database 'failures_no_such_db'/,
    );
    await expectNoObject(sourceId);
  });

  describe('against a server that accepts connections and never says a word', () => {
    let silent: SilentServer;

    beforeAll(async () => {
      silent = await startSilentServer();
    });

    afterAll(() => silent.close());

    it('gives up within the connect timeout', async () => {
      const sourceId = 'failures-silent-host';
      const job = backupJob(SMALL, {
        sourceId,
        connection: { ...connectionTo(SMALL), port: silent.port },
        connectTimeoutSeconds: 2,
      });
      const started = Date.now();
      const error = await expectRunnerError(runBackup(job, { env: jobEnv() }));
      const elapsed = Date.now() - started;
      // The client really reached the silent server (so the timeout, not a refused connection, ended it).
      expect(silent.accepted()).toBeGreaterThan(0);
      expect(error.message).toMatch(/cannot connect to database "failures_small"/);
      expect(error.message).toMatch(/connect|timed out|timeout|handshake/i);
      // Bounded by connectTimeoutSeconds (2 s), not by the client's defaults or an outer guard.
      expect(elapsed).toBeLessThan(10_000);
      await expectNoObject(sourceId);
    });
  });

  it('fails when the dump process is killed mid-stream', async () => {
    const sourceId = 'failures-killed-dump';
    const kill = killMidStream('mysqldump');
    const job = backupJob(BIG, { sourceId });
    const error = await expectRunnerError(runBackup(job, { env: jobEnv(), ...kill.hooks }));
    expect(kill.child(), 'the dump child was reported through onSpawn').toBeDefined();
    expect(kill.killedAt(), 'the test killed the dump mid-stream').toBeDefined();
    expect(kill.child()!.signalCode).toBe('SIGKILL');
    expect(error.message).toMatch(/mysqldump was killed by SIGKILL/);
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

    afterAll(async () => {
      await proxy.close();
    });

    it('aborts the multipart upload and fails with the S3 error', async () => {
      const sourceId = 'failures-s3-part';
      const job = backupJob(BIG, { sourceId, s3: { ...s3Location(), endpoint: proxy.endpoint } });
      const error = await expectRunnerError(runBackup(job, { env: jobEnv() }));
      expect(error.message).toMatch(
        new RegExp(
          `^upload to s3://${services().s3.bucket}/${sourceId}/${BIG}/[^ ]+\\.sql\\.gz failed: .*Access Denied`,
        ),
      );

      const started = proxy.requests.filter((r) => r.method === 'POST' && r.query.has('uploads'));
      const refused = proxy.requests.filter((r) => r.method === 'PUT' && r.query.get('partNumber') === '1');
      expect(started.map((r) => r.status)).toEqual([200]);
      expect(refused.map((r) => r.status)).toEqual([403]);
      const uploadId = refused[0]!.query.get('uploadId');
      expect(uploadId).toBeTruthy();
      // lib-storage sent AbortMultipartUpload for that upload before runBackup rejected (s3rver itself answers it
      // with 405, as it does not implement the call; AWS deletes the parts).
      const aborts = proxy.requests.filter((r) => r.method === 'DELETE' && r.query.get('uploadId') === uploadId);
      expect(aborts).toHaveLength(1);
      // ...and never CompleteMultipartUpload.
      expect(proxy.requests.filter((r) => r.method === 'POST' && r.query.has('uploadId'))).toEqual([]);
      await expectNoObject(sourceId);
    });
  });

  it('still backs up the same databases when nothing is wrong (the failures above are real)', async () => {
    const sourceId = 'failures-control';
    const result = await runBackup(backupJob(SMALL, { sourceId }), { env: jobEnv() });
    expect(result.tables).toBe(1);
    const big = await runBackup(backupJob(BIG, { sourceId }), { env: jobEnv() });
    expect(big.tables).toBe(1);
    // Over 8 MiB compressed: the S3 test above really exercised a multipart upload.
    expect(big.compressedBytes).toBeGreaterThan(8 * 1024 * 1024);
    expect((await keysUnder(`${sourceId}/`)).sort()).toEqual([result.key, big.key].sort());
  });
});
