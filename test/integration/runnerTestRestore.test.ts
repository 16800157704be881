import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../containers/backup/src/backup.ts';
import { runRestore } from '../../containers/backup/src/restore.ts';
import type { BackupResult } from '../../types/job.ts';
import { backupJob, dropDatabases, expectRunnerError, recreateDatabase, restoreJob } from '../support/runner.ts';
import { jobEnv, services } from '../support/services.ts';
import { rootSql } from '../support/sql.ts';

const SOURCE = 'testrestore_source';
const SCRATCH = 'testrestore_scratch';

const exists = async (database: string) => (await rootSql('SHOW DATABASES')).split('\n').includes(database);

/** The Verify machine's "test restore": into a scratch database, table count compared, scratch dropped. */
describe.runIf(services().mariadb !== null)('a test restore into a scratch database', () => {
  let backup: BackupResult;

  beforeAll(async () => {
    await recreateDatabase(SOURCE);
    await rootSql(
      'CREATE TABLE a (id INT PRIMARY KEY); CREATE TABLE b (id INT PRIMARY KEY, v TEXT); INSERT INTO a VALUES (1), (2); CREATE VIEW v AS SELECT id FROM a;',
      SOURCE,
    );
    backup = await runBackup(backupJob(SOURCE, { sourceId: 'test-restore' }), { env: jobEnv() });
  });
  afterAll(() => dropDatabases(SOURCE, SCRATCH));

  const scratchJob = (expectTables: number) =>
    restoreJob(SCRATCH, { key: backup.key, expectedSha256: backup.sha256, scratch: { expectTables } });

  it('restores, finds the backup’s tables, and drops the scratch database', async () => {
    const result = await runRestore(scratchJob(backup.tables), { env: jobEnv() });
    expect(result.tables).toBe(backup.tables);
    expect(await exists(SCRATCH)).toBe(false);
  });

  it('fails when the table count differs, and still drops the scratch database', async () => {
    const error = await expectRunnerError(runRestore(scratchJob(backup.tables + 1), { env: jobEnv() }));
    expect(error.message).toBe(
      `test restore into "${SCRATCH}" produced ${backup.tables} tables where the backup holds ${backup.tables + 1}`,
    );
    expect(await exists(SCRATCH)).toBe(false);
  });

  it('refuses a scratch database that already exists, leaving it alone', async () => {
    await recreateDatabase(SCRATCH);
    await rootSql('CREATE TABLE precious (id INT PRIMARY KEY)', SCRATCH);
    const error = await expectRunnerError(runRestore(scratchJob(backup.tables), { env: jobEnv() }));
    expect(error.message).toContain(`scratch database "${SCRATCH}" already exists`);
    expect(await rootSql('SHOW TABLES', SCRATCH)).toContain('precious');
  });
});
