import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../containers/backup/src/backup.ts';
import type { BackupResult } from '../../types/job.ts';
import { hostileDump, removeMarker, replaceKeepingTags, traces, type HostileDump } from '../support/hostileObjects.ts';
import {
  backupJob,
  bucket,
  dropDatabases,
  putObjectBytes,
  recreateDatabase,
  restoreJob,
  runRunnerProcess,
  sha256,
  snapshot,
  type DatabaseSnapshot,
} from '../support/runner.ts';
import { jobEnv, services, testS3Client } from '../support/services.ts';
import { rootSql } from '../support/sql.ts';

const SOURCE = 'sec_checked_src';
/** A live database the restores aim at: whatever happens, it must end as it began. */
const TARGET = 'sec_checked_target';

/**
 * Issue 17, item 2: a restore applies only bytes it has already read whole and matched to the recorded SHA-256, read
 * again from the same object (pinned by ETag or version), through a client that refuses shell commands.
 */
describe.runIf(services().mariadb !== null)('a restore runs only the bytes it checked, in a sandboxed client', () => {
  let before: DatabaseSnapshot;
  const planted: HostileDump[] = [];
  const plant = (name: string): HostileDump => {
    const dump = hostileDump(name);
    planted.push(dump);
    return dump;
  };

  async function backupUnder(name: string): Promise<BackupResult> {
    return runBackup(backupJob(SOURCE, { sourceId: 'sec', key: `sec/${name}.sql.gz` }), { env: jobEnv() });
  }

  /** Neither the shell command nor the SQL of the hostile dump ran, and the target is as it was. */
  async function expectNothingRan(dump: HostileDump): Promise<void> {
    expect(await traces(dump)).toEqual({ markerCreated: false, tableCreated: false });
    expect(await snapshot(TARGET)).toEqual(before);
  }

  beforeAll(async () => {
    await recreateDatabase(SOURCE);
    await rootSql(
      `CREATE TABLE orders (id INT PRIMARY KEY, note VARCHAR(40)); INSERT INTO orders SELECT seq, CONCAT('order ', seq) FROM seq_1_to_500;`,
      SOURCE,
    );
    await recreateDatabase(TARGET);
    await rootSql(
      `CREATE TABLE accounts (id INT PRIMARY KEY, owner VARCHAR(40)); INSERT INTO accounts VALUES (1, 'alice'), (2, 'bob');`,
      TARGET,
    );
    before = await snapshot(TARGET);
  });

  afterEach(async () => {
    for (const dump of planted.splice(0)) {
      await removeMarker(dump);
      await rootSql(`DROP TABLE IF EXISTS ${SOURCE}.${dump.table}; DROP TABLE IF EXISTS ${TARGET}.${dump.table};`);
    }
  });

  afterAll(async () => {
    await dropDatabases(SOURCE, TARGET);
  });

  it('refuses a backup object replaced under the same key (tags kept) on its checksum, before running any of it', async () => {
    const backup = await backupUnder('replaced');
    const dump = plant('replaced');
    await replaceKeepingTags(backup.key, dump.bytes);

    const outcome = await runRunnerProcess(
      restoreJob(TARGET, { key: backup.key, expectedSha256: backup.sha256 }),
      jobEnv(),
    );
    // The attacker's effects first: on a failure, they say what got through.
    await expectNothingRan(dump);

    expect(outcome.code).toBe(1);
    expect(outcome.result).toMatchObject({ ok: false, mode: 'restore' });
    expect(outcome.result.error).toMatch(
      new RegExp(
        `^refusing to restore s3://${bucket()}/${backup.key}: SHA-256 mismatch: recorded ${backup.sha256}, object has ${sha256(dump.bytes)}`,
      ),
    );
    expect(outcome.stderr, 'no client was started').not.toContain('"event":"spawn"');
  });

  it('refuses an object that is no longer the one recorded at backup time (its ETag), before reading it', async () => {
    const backup = await backupUnder('replaced-pinned');
    const { ETag } = await testS3Client().send(new HeadObjectCommand({ Bucket: bucket(), Key: backup.key }));
    const dump = plant('pinned');
    await replaceKeepingTags(backup.key, dump.bytes);

    const outcome = await runRunnerProcess(
      restoreJob(TARGET, { key: backup.key, expectedSha256: backup.sha256, etag: ETag }),
      jobEnv(),
    );
    // The attacker's effects first: on a failure, they say what got through.
    await expectNothingRan(dump);

    expect(outcome.code).toBe(1);
    const now = await testS3Client().send(new HeadObjectCommand({ Bucket: bucket(), Key: backup.key }));
    expect(outcome.result.error).toBe(
      `s3://${bucket()}/${backup.key} is no longer the object recorded at backup time: it was written again since (recorded ETag ${ETag}, now ${now.ETag})`,
    );
  });

  it('runs a checksum-correct dump that holds \\! in a client that refuses it: no shell command, nothing after it', async () => {
    const dump = plant('checksummed');
    const key = 'sec/checksummed-shell.sql.gz';
    await putObjectBytes(key, dump.bytes);

    const outcome = await runRunnerProcess(restoreJob(TARGET, { key, expectedSha256: sha256(dump.bytes) }), jobEnv());
    // The attacker's effects first: on a failure, they say what got through.
    await expectNothingRan(dump);

    expect(outcome.code).toBe(1);
    expect(outcome.result.error).toMatch(
      new RegExp(`^restore into "${TARGET}" failed: mysql exited with code 1: .*sandbox`, 'i'),
    );
    expect(outcome.stderr).toMatch(/"event":"spawn","tool":"mysql"/);
  });

  it('refuses to restore with a client that has no sandbox option, before touching the target', async () => {
    const backup = await backupUnder('unsandboxed');
    const dir = await mkdtemp(join(tmpdir(), 'keepsake-old-client-'));
    try {
      // A client from before the sandbox options: it answers --help without them.
      const client = join(dir, 'mysql');
      await writeFile(
        client,
        "#!/bin/sh\necho 'mysql  Ver 8.0.39 for Linux on x86_64'\necho '  --silent          Be more silent.'\n",
      );
      await chmod(client, 0o755);
      const outcome = await runRunnerProcess(restoreJob(TARGET, { key: backup.key, expectedSha256: backup.sha256 }), {
        ...jobEnv(),
        KEEPSAKE_MYSQL: client,
      });
      expect(outcome.code).toBe(1);
      expect(outcome.result.error).toBe(
        `refusing to restore: the client ${client} has neither --sandbox (MariaDB 10.5.25, 10.6.18, 10.11.8, 11.4.2 or later) nor --skip-system-command (MySQL 8.0.40, 8.4.3 or later), so SQL in the backup could run shell commands; install a client that has one`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(await snapshot(TARGET)).toEqual(before);
  });

  it('still restores an intact backup (the control), through the sandboxed client', async () => {
    const backup = await backupUnder('intact');
    const { ETag } = await testS3Client().send(new HeadObjectCommand({ Bucket: bucket(), Key: backup.key }));
    const copy = `${TARGET}_copy`;
    try {
      const outcome = await runRunnerProcess(
        restoreJob(copy, { key: backup.key, expectedSha256: backup.sha256, etag: ETag }),
        jobEnv(),
      );
      expect(outcome.result).toMatchObject({ ok: true, mode: 'restore', sha256: backup.sha256 });
      expect(outcome.stderr).toMatch(/"event":"client".*"sandbox":"--sandbox"/);
      expect((await rootSql(`SELECT COUNT(*) FROM ${copy}.orders`)).trim()).toBe('500');
    } finally {
      await dropDatabases(copy);
    }
  });
});
