import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../containers/backup/src/backup.ts';
import { runRestore } from '../../containers/backup/src/restore.ts';
import { caBundleKey, type CaBundleRef } from '../../types/job.ts';
import { pemBundle } from '../support/caBundles.ts';
import {
  backupJob,
  databaseExists,
  dropDatabases,
  expectRunnerError,
  keysUnder,
  putObjectBytes,
  recreateDatabase,
  restoreJob,
  sha256,
} from '../support/runner.ts';
import { connectionTo, jobEnv, services } from '../support/services.ts';
import { rootSql } from '../support/sql.ts';

const SOURCE = 'ca_bundle_src';
const RESTORED = 'ca_bundle_restored';
const REFUSED = 'ca_bundle_refused';

/**
 * The test MariaDB runs without TLS, so these tests cannot watch a handshake verify the CA. They check what the
 * runner controls: it reads the bundle the job names from the bucket, holds it to the SHA-256, and hands exactly
 * those bytes to every client tool as `--ssl-ca` (in `preferred` mode, which a server without TLS accepts).
 */
describe.runIf(services().mariadb !== null)('the runner reads the CA bundle a job names by reference', () => {
  const pem = pemBundle(160_000);
  let ref: CaBundleRef;

  beforeAll(async () => {
    const bytes = Buffer.from(pem, 'utf8');
    ref = { key: caBundleKey(sha256(bytes)), sha256: sha256(bytes) };
    await putObjectBytes(ref.key, bytes);
    await recreateDatabase(SOURCE);
    await rootSql(
      'CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO t VALUES (1, "one"), (2, "two");',
      SOURCE,
    );
  });

  afterAll(() => dropDatabases(SOURCE, RESTORED, REFUSED));

  /** The CA file each database client (not the compressor) was started with, read while it runs (the runner removes it afterwards). */
  const caFilesSeen = (): {
    seen: { tool: string; ca: string | undefined }[];
    onSpawn: (child: ChildProcess, tool: string) => void;
  } => {
    const seen: { tool: string; ca: string | undefined }[] = [];
    return {
      seen,
      onSpawn: (child, tool) => {
        if (tool !== 'mysqldump' && tool !== 'mysql') return;
        const file = child.spawnargs.find((arg) => arg.startsWith('--ssl-ca='))?.slice('--ssl-ca='.length);
        seen.push({ tool, ca: file === undefined ? undefined : readFileSync(file, 'utf8') });
      },
    };
  };
  const withCa = (database: string, caBundle: CaBundleRef) => ({
    ...connectionTo(database),
    tls: { mode: 'preferred' as const, caBundle },
  });

  it('backs up and restores with the bundle fetched from the bucket as the clients’ CA file', async () => {
    const sourceId = 'ca-bundle-ok';
    const dump = caFilesSeen();
    const backup = await runBackup(backupJob(SOURCE, { sourceId, connection: withCa(SOURCE, ref) }), {
      env: jobEnv(),
      onSpawn: dump.onSpawn,
    });
    expect(backup.tables).toBe(1);
    expect(dump.seen).toEqual([{ tool: 'mysqldump', ca: pem }]);

    const load = caFilesSeen();
    const restored = await runRestore(
      restoreJob(RESTORED, { connection: withCa(RESTORED, ref), key: backup.key, expectedSha256: backup.sha256 }),
      { env: jobEnv(), onSpawn: load.onSpawn },
    );
    expect(restored.sha256).toBe(backup.sha256);
    expect(load.seen).toEqual([{ tool: 'mysql', ca: pem }]);
    expect(await rootSql(`SELECT v FROM ${RESTORED}.t ORDER BY id`)).toBe('one\ntwo\n');
  });

  it('fails a backup whose bundle does not match its SHA-256, naming the CA bundle, before anything is dumped', async () => {
    const sourceId = 'ca-bundle-tampered';
    const tampered: CaBundleRef = { key: caBundleKey('tampered-backup'), sha256: ref.sha256 };
    await putObjectBytes(tampered.key, Buffer.from(pem.replace('A', 'B'), 'utf8'));
    const dump = caFilesSeen();
    const error = await expectRunnerError(
      runBackup(backupJob(SOURCE, { sourceId, connection: withCa(SOURCE, tampered) }), {
        env: jobEnv(),
        onSpawn: dump.onSpawn,
      }),
    );
    expect(error.message).toContain(`CA bundle s3://${services().s3.bucket}/${tampered.key}`);
    expect(error.message).toContain(`not the ${ref.sha256} the job names`);
    expect(dump.seen).toEqual([]);
    expect(await keysUnder(`${sourceId}/`)).toEqual([]);
  });

  it('fails a restore whose bundle does not match before the target is created or touched', async () => {
    const backup = await runBackup(backupJob(SOURCE, { sourceId: 'ca-bundle-for-refused' }), { env: jobEnv() });
    const tampered: CaBundleRef = { key: caBundleKey('tampered-restore'), sha256: ref.sha256 };
    await putObjectBytes(tampered.key, Buffer.from(`${pem}\n`, 'utf8'));
    const load = caFilesSeen();
    const error = await expectRunnerError(
      runRestore(
        restoreJob(REFUSED, { connection: withCa(REFUSED, tampered), key: backup.key, expectedSha256: backup.sha256 }),
        { env: jobEnv(), onSpawn: load.onSpawn },
      ),
    );
    expect(error.message).toMatch(/^CA bundle s3:\/\/.*tampered-restore\.pem has SHA-256 [0-9a-f]{64}, not the/);
    expect(load.seen).toEqual([]);
    expect(await databaseExists(REFUSED)).toBe(false);
  });

  it('fails a job whose bundle is not in the bucket, naming the CA bundle', async () => {
    const missing: CaBundleRef = { key: caBundleKey('0'.repeat(64)), sha256: '0'.repeat(64) };
    const error = await expectRunnerError(
      runBackup(backupJob(SOURCE, { sourceId: 'ca-bundle-missing', connection: withCa(SOURCE, missing) }), {
        env: jobEnv(),
      }),
    );
    expect(error.message).toBe(`CA bundle s3://${services().s3.bucket}/${missing.key} does not exist`);
  });
});
