import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionArnOf } from '../../functions/shared/stepFunctions.ts';
import { MACHINE_ARNS } from '../../scripts/local/stateMachines.ts';
import type { Backup } from '../../types/backup.ts';
import type { DataSource } from '../../types/dataSource.ts';
import type { Restore } from '../../types/restore.ts';
import { call } from '../support/api.ts';
import { startFaultyS3Proxy, type FaultyS3Proxy } from '../support/faultyS3Proxy.ts';
import { startLocalMachines, type LocalMachines } from '../support/localMachines.ts';
import { dropDatabases, keysUnder } from '../support/runner.ts';
import { mariadb, services } from '../support/services.ts';
import { rootSql } from '../support/sql.ts';
import {
  createStallableDatabase,
  descendantsOf,
  environOf,
  expectUploadsAborted,
  holdTableLock,
  isRunning,
  pidsWithEnv,
  waitFor,
} from '../support/stoppedRunners.ts';

const DB = `stop_tasks_${process.pid}`;
const COPY = `${DB}_copy`;

type Handler = Parameters<typeof call>[0];

/**
 * Stopping a task in local mode as ECS stops one (SIGTERM to the sandboxed runner, PID 1 of its namespace): through
 * the API's cancel, or by a signal to the runner. The runner's children die with it, its multipart upload is aborted,
 * it logs its failure, and the record never says succeeded.
 */
describe.runIf(services().mariadb !== null)('stopped runner tasks in local mode', () => {
  let machines: LocalMachines;
  let proxy: FaultyS3Proxy;
  let source: DataSource;
  let trigger: Handler;
  let getBackup: Handler;
  let cancel: Handler;
  let createRestore: Handler;
  let getRestore: Handler;

  beforeAll(async () => {
    proxy = await startFaultyS3Proxy(services().s3.endpoint, () => false);
    machines = await startLocalMachines({ s3Endpoint: proxy.endpoint });
    [trigger, getBackup, cancel, createRestore, getRestore] = (
      await Promise.all([
        import('../../functions/backups/triggerBackup.ts'),
        import('../../functions/backups/getBackup.ts'),
        import('../../functions/backups/cancelBackup.ts'),
        import('../../functions/restores/createRestore.ts'),
        import('../../functions/restores/getRestore.ts'),
      ])
    ).map((module) => module.handler as Handler) as [Handler, Handler, Handler, Handler, Handler];
    await createStallableDatabase(DB);
    source = await machines.createSource('Stopped tasks', DB, mariadb().password);
  }, 240_000);

  afterAll(async () => {
    await machines?.stepFunctions.close();
    await proxy?.close();
    await dropDatabases(DB, COPY);
  });

  /** The host pid of the sandboxed runner of `executionArn` whose job is of `mode`, once it runs. */
  const runnerOf = (executionArn: string, mode: string) =>
    waitFor(`the ${mode} runner of ${executionArn}`, 60_000, () =>
      // bwrap holds the task's environment too (it hands it on): the runner is the node process.
      pidsWithEnv('KEEPSAKE_EXECUTION_ARN', executionArn, 'node').find((pid) => {
        const descendants = descendantsOf(pid).map((p) => p.comm);
        return mode === 'backup' ? descendants.includes('mariadb-dump') : descendants.includes('mariadb');
      }),
    );

  /** Every runner log line of the execution (local mode's stand-in for its CloudWatch log stream). */
  async function runnerLog(executionArn: string): Promise<string> {
    const dir = process.env.RUNNER_LOG_DIR ?? '';
    const logs = await Promise.all(
      (await readdir(dir)).filter((name) => name.endsWith('.log')).map((name) => readFile(join(dir, name), 'utf8')),
    );
    return logs
      .join('\n')
      .split('\n')
      .filter((line) => line.includes(JSON.stringify(executionArn).slice(1, -1)))
      .join('\n');
  }

  async function stalledBackup(): Promise<{ backupId: string; executionArn: string; runner: number; key: string }> {
    const { backupId } = (
      await call<{ backupId: string }>(trigger, {
        method: 'POST',
        resource: '/v1/data-sources/{id}/backups',
        pathParameters: { id: source.id },
      })
    ).body;
    const executionArn = executionArnOf(MACHINE_ARNS.Backup, backupId);
    const runner = await runnerOf(executionArn, 'backup');
    const part = await waitFor('a part of the backup stored', 60_000, () =>
      proxy.requests.find(
        (r) =>
          r.method === 'PUT' &&
          r.query.get('partNumber') === '1' &&
          r.status === 200 &&
          r.path.includes(`/${source.id}/`),
      ),
    );
    return { backupId, executionArn, runner, key: decodeURIComponent(part.path).split('/').slice(2).join('/') };
  }

  async function expectStopped(
    executionArn: string,
    mode: string,
    runner: number,
    children: readonly { pid: number }[],
    signal: NodeJS.Signals,
  ): Promise<void> {
    await machines.stepFunctions.settled(executionArn);
    await waitFor('the runner to exit', 10_000, () => (isRunning(runner) ? undefined : true));
    expect(children.filter((p) => isRunning(p.pid))).toEqual([]);
    const log = await runnerLog(executionArn);
    expect(log).toMatch(new RegExp(`"event":"failed","error":"stopped by ${signal}`));
    expect(log).not.toMatch(new RegExp(`"event":"done","mode":"${mode}"`));
  }

  it('a backup cancelled through the API: its runner gets SIGTERM, kills its dump, aborts its upload and fails', async () => {
    const lock = holdTableLock(DB);
    try {
      const { backupId, executionArn, runner, key } = await stalledBackup();
      const children = descendantsOf(runner);
      const cancelled = await call<Backup>(cancel, {
        method: 'POST',
        resource: '/v1/backups/{id}/cancel',
        pathParameters: { id: backupId },
      });
      expect(cancelled.body.status).toBe('cancelled');
      await expectStopped(executionArn, 'backup', runner, children, 'SIGTERM');
      expectUploadsAborted(proxy.requests, key);
      expect(await keysUnder(`${source.id}/`)).toEqual([]);
      expect(
        (
          await call<Backup>(getBackup, {
            method: 'GET',
            resource: '/v1/backups/{id}',
            pathParameters: { id: backupId },
          })
        ).body.status,
      ).toBe('cancelled');
    } finally {
      lock.kill('SIGKILL');
    }
  }, 120_000);

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'a backup whose runner gets %s ends failed, naming the signal, with nothing stored',
    async (signal) => {
      const lock = holdTableLock(DB);
      try {
        const { backupId, executionArn, runner, key } = await stalledBackup();
        const children = descendantsOf(runner);
        process.kill(runner, signal);
        await expectStopped(executionArn, 'backup', runner, children, signal);
        expectUploadsAborted(proxy.requests, key);
        expect(await keysUnder(`${source.id}/`)).toEqual([]);
        const backup = (
          await call<Backup>(getBackup, {
            method: 'GET',
            resource: '/v1/backups/{id}',
            pathParameters: { id: backupId },
          })
        ).body;
        expect(backup).toMatchObject({
          status: 'failed',
          error: expect.stringMatching(new RegExp(`stopped by ${signal}: the task was asked to stop`)),
        });
      } finally {
        lock.kill('SIGKILL');
      }
    },
    120_000,
  );

  it('a restore whose runner gets SIGTERM mid-way kills its client and ends failed', async () => {
    const { backupId } = (
      await call<{ backupId: string }>(trigger, {
        method: 'POST',
        resource: '/v1/data-sources/{id}/backups',
        pathParameters: { id: source.id },
      })
    ).body;
    await machines.stepFunctions.settled(executionArnOf(MACHINE_ARNS.Backup, backupId));
    await rootSql(
      `DROP DATABASE IF EXISTS ${COPY}; CREATE DATABASE ${COPY}; CREATE TABLE ${COPY}.z_locked (id INT PRIMARY KEY);`,
    );
    const { restoreId } = (
      await call<{ restoreId: string }>(createRestore, {
        method: 'POST',
        resource: '/v1/restores',
        body: { backupId, targetSourceId: source.id, targetDatabase: COPY, confirmDatabase: COPY },
      })
    ).body;
    const executionArn = executionArnOf(MACHINE_ARNS.Restore, restoreId);
    // Locked once the safety backup of the target is done, so that only the restore's client waits on it.
    await waitFor('the restore runner', 60_000, () =>
      pidsWithEnv('KEEPSAKE_EXECUTION_ARN', executionArn).find((pid) =>
        environOf(pid).some((entry) => entry.startsWith('KEEPSAKE_JOB=') && entry.includes('"mode":"restore"')),
      ),
    );
    const lock = holdTableLock(COPY);
    try {
      const runner = await runnerOf(executionArn, 'restore');
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const children = descendantsOf(runner);
      expect(children.map((p) => p.comm)).toContain('mariadb');
      process.kill(runner, 'SIGTERM');
      await expectStopped(executionArn, 'restore', runner, children, 'SIGTERM');
      const restore = (
        await call<Restore>(getRestore, {
          method: 'GET',
          resource: '/v1/restores/{id}',
          pathParameters: { id: restoreId },
        })
      ).body;
      expect(restore).toMatchObject({ status: 'failed', error: expect.stringMatching(/stopped by SIGTERM/) });
    } finally {
      lock.kill('SIGKILL');
    }
  }, 180_000);
});
