import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../containers/backup/src/backup.ts';
import { runRestore } from '../../containers/backup/src/restore.ts';
import type { RunnerJobInput } from '../../types/job.ts';
import {
  backupJob,
  dropDatabases,
  getObjectBytes,
  recreateDatabase,
  restoreJob,
  runRunnerProcess,
  sha256,
} from '../support/runner.ts';
import { expectNoPassword, spy, type ChildView } from '../support/childProcesses.ts';
import { connectionTo, mariadb, s3Location } from '../support/services.ts';
import { rootSql } from '../support/sql.ts';

const SOURCE = 'secrets_src';
const RESTORED = 'secrets_restored';

/**
 * A database client's first argument is the option file, which holds the password instead (mode 0600). The dump
 * may run under `stdbuf`, whose own arguments come first until it execs the tool.
 */
function expectOptionFile(view: ChildView): void {
  const at = view.argv.findIndex((a) => a.startsWith('--defaults-file='));
  expect(view.argv[at - 1]).toMatch(/\/(mysqldump|mariadb-dump|mysql|mariadb)$/);
  expect(view.credentialFileMode).toBe(0o600);
  expect(view.credentialFileText).toContain('password=');
}

function lastJsonLine(text: string): Record<string, unknown> {
  const lines = text.trim().split('\n');
  return JSON.parse(lines.at(-1) ?? '') as Record<string, unknown>;
}

describe('the database password stays out of argv, child environments and output', () => {
  const savedPassword = process.env.KEEPSAKE_DB_PASSWORD;

  beforeAll(async () => {
    await recreateDatabase(SOURCE);
    await rootSql(
      'CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO t VALUES (1, "one"), (2, "two");',
      SOURCE,
    );
    await dropDatabases(RESTORED);
  });

  afterEach(() => {
    if (savedPassword === undefined) delete process.env.KEEPSAKE_DB_PASSWORD;
    else process.env.KEEPSAKE_DB_PASSWORD = savedPassword;
  });

  afterAll(async () => {
    await dropDatabases(SOURCE, RESTORED);
  });

  it('never passes the password to mysqldump or mysql on the command line or in the environment', async () => {
    const { password } = mariadb();
    // As in the container: the password sits in the runner's own environment, and no ctx.env is given.
    process.env.KEEPSAKE_DB_PASSWORD = password;
    const views: ChildView[] = [];
    const backup = await runBackup(backupJob(SOURCE, { sourceId: 'secrets-argv' }), { onSpawn: spy(views) });
    const restore = await runRestore(restoreJob(RESTORED, { key: backup.key, expectedSha256: backup.sha256 }), {
      onSpawn: spy(views),
    });
    expect(restore.targetDatabase).toBe(RESTORED);
    // Every child: the dump, the compressor when it is a process (igzip), and the restoring client.
    for (const view of views) expectNoPassword(view, password);
    const dump = views.find((v) => v.tool === 'mysqldump');
    const client = views.find((v) => v.tool === 'mysql');
    expect(dump?.argv.at(-1)).toBe(SOURCE);
    expect(client?.argv).toContain(`--database=${RESTORED}`);
    for (const view of [dump!, client!]) {
      expectOptionFile(view);
      // The option file exists only while the job runs.
      expect(existsSync(view.credentialFile!)).toBe(false);
    }
  });

  describe('the CLI bundle', () => {
    const cliEnv = (password: string): NodeJS.ProcessEnv => ({ ...process.env, KEEPSAKE_DB_PASSWORD: password });
    const job = (sourceId: string): RunnerJobInput => ({
      mode: 'backup',
      sourceId,
      connection: connectionTo(SOURCE),
      password: { from: 'env' },
      s3: s3Location(),
    });

    it('prints a success line and never the password, and names its execution on every log line', async () => {
      const { password } = mariadb();
      const execution = 'arn:aws:states:us-east-1:123456789012:execution:Backup:secrets-cli-ok';
      const run = await runRunnerProcess(job('secrets-cli-ok'), {
        ...cliEnv(password),
        KEEPSAKE_EXECUTION_ARN: execution,
      });
      expect(run.stdout + run.stderr).not.toContain(password);
      expect(run.code).toBe(0);
      const result = run.result;
      expect(result).toMatchObject({ ok: true, mode: 'backup', tables: 1 });
      expect(sha256(await getObjectBytes(String(result.key)))).toBe(result.sha256);
      // Progress and logs are JSON lines on stderr, including the spawned dump.
      const events = run.stderr
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(events).toContainEqual(expect.objectContaining({ event: 'spawn', tool: 'mysqldump' }));
      // Every line names the execution (how a record finds its live log); the last one sums the result up.
      expect(events.length).toBeGreaterThanOrEqual(3);
      for (const event of events) expect(event.execution, JSON.stringify(event)).toBe(execution);
      expect(events[0]).toMatchObject({ event: 'start', mode: 'backup' });
      expect(events.at(-1)).toMatchObject({ event: 'done', mode: 'backup', key: result.key, sha256: result.sha256 });
    });

    it('prints a failure line for a wrong password, with neither password in it', async () => {
      const { password } = mariadb();
      // A wrong password that differs from the real one by one character, so a leak of either would show.
      const wrong = `${password}x`;
      const run = await runRunnerProcess(job('secrets-cli-wrong'), { ...cliEnv(wrong), KEEPSAKE_EXECUTION_ARN: '' });
      expect(run.stdout + run.stderr).not.toContain(password);
      expect(run.code).toBe(1);
      const result = run.result;
      expect(result).toMatchObject({ ok: false, mode: 'backup' });
      expect(result.error).toMatch(/Access denied for user 'keepsake'/);
      // Without KEEPSAKE_EXECUTION_ARN (a run by hand) the lines name no execution; the failure is the last one.
      const failed = lastJsonLine(run.stderr);
      expect(failed).toMatchObject({ level: 'error', event: 'failed', error: result.error });
      expect(failed).not.toHaveProperty('execution');
    });

    it('exits 2 for an invalid job and names the bad field', async () => {
      const bad = { ...job('secrets-cli-invalid'), connection: { ...connectionTo(SOURCE), port: 70000 } };
      const run = await runRunnerProcess(bad, cliEnv(mariadb().password));
      expect(run.code).toBe(2);
      const result = run.result;
      expect(result.ok).toBe(false);
      expect(result.error).toMatch(/^invalid job: .*connection\.port: port must be between 1 and 65535/);
    });
  });
});
