import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../../containers/backup/src/runJob.ts';
import { backupJob, dropDatabases, expectRunnerError, keysUnder, recreateDatabase } from '../support/runner.ts';
import { jobEnv, services } from '../support/services.ts';
import { rootSql } from '../support/sql.ts';
import { runBackup } from '../../containers/backup/src/backup.ts';

const EXISTING = 'safety_existing';

/** The safety backup a restore takes of its target first: a target that does not exist yet is skipped, not failed. */
describe.runIf(services().mariadb !== null)('a backup job with skipIfDatabaseMissing', () => {
  beforeAll(async () => {
    await recreateDatabase(EXISTING);
    await rootSql('CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1);', EXISTING);
  });
  afterAll(() => dropDatabases(EXISTING));

  it('skips a database that does not exist, writing nothing', async () => {
    const job = backupJob('safety_not_there', { sourceId: 'safety-missing', skipIfDatabaseMissing: true });
    const result = await runJob(job, { env: jobEnv() });
    expect(result).toMatchObject({
      ok: true,
      mode: 'skipped',
      reason: 'database "safety_not_there" does not exist: nothing to back up',
    });
    expect(await keysUnder('safety-missing/')).toEqual([]);
  });

  it('backs up a database that exists as any backup', async () => {
    const result = await runJob(backupJob(EXISTING, { sourceId: 'safety-existing', skipIfDatabaseMissing: true }), {
      env: jobEnv(),
    });
    expect(result).toMatchObject({ ok: true, mode: 'backup', tables: 1 });
    expect(await keysUnder('safety-existing/')).toHaveLength(1);
  });

  it('still fails an ordinary backup of a missing database, and the flag does not hide a wrong password', async () => {
    await expectRunnerError(
      runBackup(backupJob('safety_not_there', { sourceId: 'safety-strict', skipIfDatabaseMissing: true }), {
        env: jobEnv(),
      }),
    );
    const wrongPassword = backupJob('safety_not_there', {
      sourceId: 'safety-wrong',
      skipIfDatabaseMissing: true,
      password: { from: 'env', name: 'KEEPSAKE_WRONG' },
    });
    const error = await expectRunnerError(runJob(wrongPassword, { env: { ...jobEnv(), KEEPSAKE_WRONG: 'nope' } }));
    expect(error.message).toMatch(/Access denied/i);
  });
});
