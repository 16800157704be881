import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../../containers/backup/src/runJob.ts';
import type { BackupResult } from '../../types/job.ts';
import {
  backupJob,
  baseTables,
  databaseExists,
  dropDatabases,
  expectRunnerError,
  recreateDatabase,
  restoreJob,
  snapshot,
} from '../support/runner.ts';
import { jobEnv, services } from '../support/services.ts';
import { rootSql } from '../support/sql.ts';

const SOURCE = 'gap_source';
const APPEARED = 'gap_appeared';
const ABSENT = 'gap_absent';
const REPLACED = 'gap_replaced';
let backup: BackupResult;

/**
 * The restore job knows what the safety step found: a target found absent is created with a plain CREATE DATABASE, so
 * one that appeared in between (and that no safety backup covers) fails the restore; a rollback replaces its target.
 */
describe.runIf(services().mariadb !== null)('a restore job and its target', () => {
  beforeAll(async () => {
    await recreateDatabase(SOURCE);
    await rootSql(
      'CREATE TABLE kept (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO kept VALUES (1, "from backup");',
      SOURCE,
    );
    backup = (await runJob(backupJob(SOURCE, { sourceId: 'gap' }), { env: jobEnv() })) as BackupResult;
    await dropDatabases(APPEARED, ABSENT, REPLACED);
  });
  afterAll(() => dropDatabases(SOURCE, APPEARED, ABSENT, REPLACED));

  const object = () => ({ key: backup.key, expectedSha256: backup.sha256 });

  it('fails, overwriting nothing, when a target found absent by the safety step exists by the time it runs', async () => {
    // The database appears between the safety step (which found it absent) and the restore.
    await recreateDatabase(APPEARED);
    await rootSql(
      'CREATE TABLE kept (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO kept VALUES (1, "precious");',
      APPEARED,
    );
    const before = await snapshot(APPEARED);

    const error = await expectRunnerError(
      runJob(restoreJob(APPEARED, { ...object(), targetExisted: false }), { env: jobEnv() }),
    );

    expect(error.message).toBe(
      `refusing to restore: database "${APPEARED}" did not exist when the safety backup was to be taken, but exists now, so no safety backup covers it; nothing was overwritten`,
    );
    expect(await snapshot(APPEARED)).toEqual(before);
    expect(await rootSql('SELECT v FROM kept', APPEARED)).toContain('precious');
  });

  it('creates a target found absent that is still absent', async () => {
    const result = await runJob(restoreJob(ABSENT, { ...object(), targetExisted: false }), { env: jobEnv() });
    expect(result).toMatchObject({ ok: true, mode: 'restore', targetDatabase: ABSENT });
    expect(await databaseExists(ABSENT)).toBe(true);
    expect((await snapshot(ABSENT)).checksums).toEqual((await snapshot(SOURCE)).checksums);
  });

  it('replaces a rollback target: the tables the undone restore added go, its character set stays', async () => {
    await rootSql(`CREATE DATABASE ${REPLACED} CHARACTER SET latin1 COLLATE latin1_swedish_ci`);
    await rootSql(
      'CREATE TABLE kept (id INT PRIMARY KEY, v VARCHAR(20)); CREATE TABLE added_since (id INT);',
      REPLACED,
    );

    await runJob(restoreJob(REPLACED, { ...object(), targetExisted: true, replaceTarget: true }), { env: jobEnv() });

    expect(await baseTables(REPLACED)).toEqual(['kept']);
    expect((await snapshot(REPLACED)).checksums).toEqual((await snapshot(SOURCE)).checksums);
    expect(
      await rootSql(
        `SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${REPLACED}'`,
      ),
    ).toContain('latin1\tlatin1_swedish_ci');
  });
});
