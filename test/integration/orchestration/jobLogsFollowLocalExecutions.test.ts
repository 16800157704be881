import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupIdOfExecution } from '../../../functions/orchestration/backupSteps.ts';
import { executionArnOf } from '../../../functions/shared/stepFunctions.ts';
import { MACHINE_ARNS } from '../../../scripts/local/stateMachines.ts';
import type { Backup } from '../../../types/backup.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import { LogPageSchema, type LogLine, type LogPage } from '../../../types/jobLogs.ts';
import { call } from '../../support/api.ts';
import { startLocalMachines, type LocalMachines } from '../../support/localMachines.ts';
import { mariadb, services } from '../../support/services.ts';
import { rootSql } from '../../support/sql.ts';

const DATABASE = `job_logs_${process.pid}`;
const COPY = `${DATABASE}_copy`;

type Handler = Parameters<typeof call>[0];

/** Every line of a job's log through its route, page after page, as the console reads it. */
async function allLines(handler: Handler, resource: string, id: string): Promise<{ lines: LogLine[]; last: LogPage }> {
  const lines: LogLine[] = [];
  let cursor: string | undefined;
  for (;;) {
    const answer = await call<LogPage>(handler, {
      method: 'GET',
      resource,
      pathParameters: { id },
      ...(cursor !== undefined && { query: { cursor } }),
    });
    expect(answer.status).toBe(200);
    const page = LogPageSchema.parse(answer.body);
    lines.push(...page.lines);
    cursor = page.nextCursor;
    if (!page.more) return { lines, last: page };
  }
}

/**
 * The runner's log lines of a backup or restore, read back through the API from the execution that ran it:
 * real runners (child processes) started by the synthesized machines on the local Step Functions service, their
 * stderr kept per task, found by execution. A scheduled backup's execution is not named after its backup.
 */
describe.runIf(services().mariadb !== null)('live job logs of local executions', () => {
  let machines: LocalMachines;
  let source: DataSource;
  let trigger: Handler;
  let getBackup: Handler;
  let getBackupLogs: Handler;
  let createRestore: Handler;
  let getRestoreLogs: Handler;

  beforeAll(async () => {
    machines = await startLocalMachines();
    [trigger, getBackup, getBackupLogs, createRestore, getRestoreLogs] = (
      await Promise.all([
        import('../../../functions/backups/triggerBackup.ts'),
        import('../../../functions/backups/getBackup.ts'),
        import('../../../functions/backups/getBackupLogs.ts'),
        import('../../../functions/restores/createRestore.ts'),
        import('../../../functions/restores/getRestoreLogs.ts'),
      ])
    ).map((module) => module.handler as Handler) as [Handler, Handler, Handler, Handler, Handler];
    await rootSql(`DROP DATABASE IF EXISTS ${DATABASE}; DROP DATABASE IF EXISTS ${COPY}; CREATE DATABASE ${DATABASE};
      CREATE TABLE ${DATABASE}.t (id INT PRIMARY KEY, v VARCHAR(10)); INSERT INTO ${DATABASE}.t VALUES (1, 'one'), (2, 'two');`);
    source = await machines.createSource('Logged', DATABASE, mariadb().password);
  });

  afterAll(async () => {
    await machines.stepFunctions.close();
    await rootSql(`DROP DATABASE IF EXISTS ${DATABASE}; DROP DATABASE IF EXISTS ${COPY};`);
  });

  it("reads a backup's log from its start line to its done line, every line naming its execution, then a restore's", async () => {
    const triggered = await call<{ backupId: string }>(trigger, {
      method: 'POST',
      resource: '/v1/data-sources/{id}/backups',
      pathParameters: { id: source.id },
      body: { trigger: 'manual' },
    });
    expect(triggered.status).toBe(202);
    const { backupId } = triggered.body;
    const execution = executionArnOf(MACHINE_ARNS.Backup, backupId);
    await machines.stepFunctions.settled(execution);
    const backup = (
      await call<Backup>(getBackup, { method: 'GET', resource: '/v1/backups/{id}', pathParameters: { id: backupId } })
    ).body;
    expect(backup.status).toBe('succeeded');

    const { lines, last } = await allLines(getBackupLogs, '/v1/backups/{id}/logs', backupId);
    expect(last.running).toBe(false);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.every((l) => l.execution === execution)).toBe(true);
    expect(lines[0]).toMatchObject({ event: 'start', mode: 'backup', level: 'info' });
    expect(lines).toContainEqual(expect.objectContaining({ event: 'spawn', tool: 'mysqldump' }));
    // Once every byte is with the upload, the log says so before the object store completes the object.
    const completing = lines.findIndex((l) => l.event === 'progress' && l.phase === 'completing' && !l.done);
    expect(completing, 'a "completing" progress line').toBeGreaterThan(0);
    expect(lines[completing]).toMatchObject({
      bytesRead: backup.uncompressedBytes,
      bytesWritten: backup.compressedBytes,
    });
    expect(lines.slice(0, completing).every((l) => l.event !== 'progress' || l.phase === 'dumping')).toBe(true);
    expect(lines.at(-2)).toMatchObject({ event: 'progress', phase: 'completing', done: true });
    expect(lines.at(-1)).toMatchObject({
      event: 'done',
      mode: 'backup',
      key: backup.s3Key,
      sha256: backup.sha256,
      compressedBytes: backup.compressedBytes,
    });
    // Nothing in the log a password could hide in.
    expect(JSON.stringify(lines)).not.toContain(mariadb().password);
    // Following on from the last cursor gives nothing more once the backup has ended.
    const after = await call<LogPage>(getBackupLogs, {
      method: 'GET',
      resource: '/v1/backups/{id}/logs',
      pathParameters: { id: backupId },
      query: { cursor: last.nextCursor ?? '' },
    });
    expect(after.body).toMatchObject({ lines: [], more: false, running: false });

    const requested = await call<{ restoreId: string }>(createRestore, {
      method: 'POST',
      resource: '/v1/restores',
      body: { backupId, targetSourceId: source.id, targetDatabase: COPY, confirmDatabase: COPY },
    });
    expect(requested.status).toBe(202);
    const restoreExecution = executionArnOf(MACHINE_ARNS.Restore, requested.body.restoreId);
    await machines.stepFunctions.settled(restoreExecution);
    const restoreLog = await allLines(getRestoreLogs, '/v1/restores/{id}/logs', requested.body.restoreId);
    expect(restoreLog.lines.every((l) => l.execution === restoreExecution)).toBe(true);
    // The safety backup of a database that did not exist yet is skipped; then the restore runs.
    const summary = restoreLog.lines
      .filter((l) => l.event === 'start' || l.event === 'done')
      .map((l) => `${l.event}:${l.mode ?? ''}`);
    expect(summary).toEqual(['start:backup', 'done:skipped', 'start:restore', 'done:restore']);
  });

  it("finds a scheduled backup's log through the execution its record names, though the execution is not named after it", async () => {
    const name = `scheduler.run.${process.pid}`;
    const outcome = await machines.run('Backup', { dataSourceId: source.id, trigger: 'schedule' }, name);
    expect(outcome.ok).toBe(true);
    const backupId = backupIdOfExecution(name);
    expect(backupId).not.toBe(name);

    const { lines } = await allLines(getBackupLogs, '/v1/backups/{id}/logs', backupId);
    const execution = `arn:aws:states:us-east-1:123456789012:execution:Backup:${name}`;
    expect(lines[0]).toMatchObject({ event: 'start', execution });
    expect(lines.at(-1)).toMatchObject({ event: 'done', execution });
    expect(lines.every((l) => l.execution === execution)).toBe(true);
  });

  it('answers 404 for a backup that does not exist', async () => {
    const answer = await call(getBackupLogs, {
      method: 'GET',
      resource: '/v1/backups/{id}/logs',
      pathParameters: { id: 'no-such-backup' },
    });
    expect(answer.status).toBe(404);
  });
});
