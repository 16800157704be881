import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recordExecutionTask } from '../../../functions/shared/jobLogs.ts';
import { keys } from '../../../functions/shared/keys.ts';
import { restoreItem } from '../../../functions/shared/repositories/restores.ts';
import { executionArnOf } from '../../../functions/shared/stepFunctions.ts';
import { LogPageSchema, type LogPage } from '../../../types/jobLogs.ts';
import type { Restore } from '../../../types/restore.ts';
import { call } from '../../support/api.ts';
import { backup, ddb, given, resetMocks, restoreMocks, succeeded, TABLE } from './backupFixtures.ts';

const RESTORE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:keepsake-restore';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:keepsake-backup:sched-xyz';
const TASK = 'd'.repeat(32);

type Handler = Parameters<typeof call>[0];
let dir: string;
let getBackupLogs: Handler;
let getRestoreLogs: Handler;

const line = (execution: string, event: string, extra: Record<string, unknown> = {}) =>
  `${JSON.stringify({ time: '2026-03-01T12:00:01.000Z', level: 'info', event, ...extra, execution })}\n`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keepsake-log-routes-'));
  // The handlers read their environment once, at load.
  Object.assign(process.env, { TABLE_NAME: TABLE, RUNNER_LOG_DIR: dir, RESTORE_STATE_MACHINE_ARN: RESTORE_MACHINE });
  getBackupLogs = (await import('../../../functions/backups/getBackupLogs.ts')).handler as Handler;
  getRestoreLogs = (await import('../../../functions/restores/getRestoreLogs.ts')).handler as Handler;
  await recordExecutionTask(dir, EXECUTION, TASK);
  await writeFile(
    join(dir, `${TASK}.log`),
    line(EXECUTION, 'start', { mode: 'backup' }) +
      line(EXECUTION, 'progress', { phase: 'dumping', bytesRead: 2048, bytesWritten: 512 }),
  );
});
beforeEach(resetMocks);
afterAll(async () => {
  restoreMocks();
  await rm(dir, { recursive: true, force: true });
});

const backupLogs = (id: string, cursor?: string) =>
  call<LogPage & { error?: string; fields?: Record<string, string> }>(getBackupLogs, {
    method: 'GET',
    resource: '/v1/backups/{id}/logs',
    pathParameters: { id },
    ...(cursor !== undefined && { query: { cursor } }),
  });

describe('GET /v1/backups/{id}/logs', () => {
  it('answers 404 for a backup that does not exist', async () => {
    given({});
    const answer = await backupLogs('bk-9');
    expect(answer.status).toBe(404);
    expect(answer.body.error).toBe('backup bk-9 not found');
  });

  it('answers the lines of the execution the backup recorded, then only newer ones after the cursor', async () => {
    given({
      backup: backup({
        status: 'running',
        trigger: 'schedule',
        startedAt: '2026-03-01T12:00:00.000Z',
        executionArn: EXECUTION,
      }),
    });
    const first = await backupLogs('bk-1');
    expect(first.status).toBe(200);
    const page = LogPageSchema.parse(first.body);
    expect(page).toMatchObject({ running: true, more: false });
    expect(page.lines.map((l) => l.event)).toEqual(['start', 'progress']);
    expect(page.lines[1]).toMatchObject({ phase: 'dumping', bytesRead: 2048, bytesWritten: 512, execution: EXECUTION });
    expect(first.raw.headers).toMatchObject({ 'cache-control': 'no-store' });

    const next = await backupLogs('bk-1', page.nextCursor);
    expect(next.status).toBe(200);
    expect(next.body).toEqual({ lines: [], more: false, running: true, nextCursor: page.nextCursor });
  });

  it('says a finished backup is no longer running', async () => {
    given({ backup: succeeded({ executionArn: EXECUTION, startedAt: '2026-03-01T12:00:00.000Z' }) });
    const answer = await backupLogs('bk-1');
    expect(answer.body).toMatchObject({ running: false });
    expect(answer.body.lines).toHaveLength(2);
  });

  it('answers no lines for a queued backup whose execution has not begun', async () => {
    given({ backup: backup({ status: 'queued' }) });
    expect((await backupLogs('bk-1')).body).toEqual({ lines: [], more: false, running: true });
  });

  it('answers 400 naming the cursor for one it did not issue, and reads nothing', async () => {
    given({ backup: backup({ status: 'running', executionArn: EXECUTION }) });
    const answer = await backupLogs('bk-1', 'bm90LWEtY3Vyc29y');
    expect(answer.status).toBe(400);
    expect(answer.body.fields).toEqual({ cursor: 'is not one this API issued' });
    const invalid = await backupLogs('bk-1', 'has spaces');
    expect(invalid.status).toBe(400);
    expect(invalid.body.fields?.cursor).toBeDefined();
  });
});

describe('GET /v1/restores/{id}/logs', () => {
  const restore: Restore = {
    id: 'rs-1',
    backupId: 'bk-1',
    sourceId: 'src-1',
    targetSourceId: 'src-1',
    targetDatabase: 'shop_copy',
    status: 'running',
    requestedBy: 'alice',
    createdAt: '2026-03-01T12:00:00.000Z',
    startedAt: '2026-03-01T12:00:01.000Z',
  };

  it('answers 404 for a restore that does not exist', async () => {
    ddb.on(GetCommand).resolves({});
    const answer = await call(getRestoreLogs, {
      method: 'GET',
      resource: '/v1/restores/{id}/logs',
      pathParameters: { id: 'rs-9' },
    });
    expect(answer.status).toBe(404);
  });

  it("answers the lines of the execution named after the restore (its safety backup's and its own)", async () => {
    const execution = executionArnOf(RESTORE_MACHINE, 'rs-1');
    const task = 'e'.repeat(32);
    await recordExecutionTask(dir, execution, task);
    await writeFile(
      join(dir, `${task}.log`),
      line(execution, 'start', { mode: 'backup' }) +
        line(execution, 'done', { mode: 'skipped' }) +
        line(EXECUTION, 'start'),
    );
    ddb.on(GetCommand).resolves({});
    ddb.on(GetCommand, { Key: keys.restore('rs-1') }).resolves({ Item: restoreItem(restore) });
    const answer = await call<LogPage>(getRestoreLogs, {
      method: 'GET',
      resource: '/v1/restores/{id}/logs',
      pathParameters: { id: 'rs-1' },
    });
    expect(answer.status).toBe(200);
    expect(LogPageSchema.parse(answer.body).lines.map((l) => `${l.event}:${l.mode ?? ''}`)).toEqual([
      'start:backup',
      'done:skipped',
    ]);
    expect(answer.body.running).toBe(true);
  });
});
