import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../../functions/shared/errors.ts';
import {
  executionIndexPath,
  fileJobLogs,
  MAX_LINES_PER_PAGE,
  recordExecutionTask,
} from '../../../functions/shared/jobLogs.ts';

const A = 'arn:aws:states:us-east-1:123456789012:execution:Restore:rs-1';
const B = 'arn:aws:states:us-east-1:123456789012:execution:Backup:bk-2';
const SINCE = '2026-03-01T12:00:00.000Z';
const TASK = { safety: 'a'.repeat(32), other: 'b'.repeat(32), restore: 'c'.repeat(32) };

/** One runner JSON line, as containers/backup/src/main.ts writes it. */
const line = (execution: string, event: string, extra: Record<string, unknown> = {}) =>
  `${JSON.stringify({ time: '2026-03-01T12:00:01.000Z', level: 'info', event, ...extra, execution })}\n`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keepsake-job-logs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the local-file job log', () => {
  it("reads only the lines of the execution's own tasks, in the order they ran, skipping what is not a runner line", async () => {
    await recordExecutionTask(dir, A, TASK.safety);
    await recordExecutionTask(dir, B, TASK.other);
    await recordExecutionTask(dir, A, TASK.restore);
    await writeFile(
      join(dir, `${TASK.safety}.log`),
      line(A, 'start', { mode: 'backup' }) + '(node:12) Warning: something\n' + line(A, 'done', { mode: 'skipped' }),
    );
    await writeFile(
      join(dir, `${TASK.other}.log`),
      line(B, 'start') + line(B, 'failed', { level: 'error', error: 'nope' }),
    );
    await writeFile(
      join(dir, `${TASK.restore}.log`),
      line(A, 'start', { mode: 'restore' }) +
        line(B, 'stray') +
        line(A, 'progress', { phase: 'restoring', bytesRead: 5 }),
    );

    const page = await fileJobLogs(dir).linesOf({ executionArn: A, since: SINCE });

    expect(page.lines.map((l) => `${l.event}:${l.mode ?? l.phase ?? ''}`)).toEqual([
      'start:backup',
      'done:skipped',
      'start:restore',
      'progress:restoring',
    ]);
    expect(page.lines.every((l) => l.execution === A)).toBe(true);
    expect(page.more).toBe(false);
    const other = await fileJobLogs(dir).linesOf({ executionArn: B, since: SINCE });
    expect(other.lines.map((l) => l.event)).toEqual(['start', 'failed']);
    expect(other.lines[1]).toMatchObject({ level: 'error', error: 'nope' });
  });

  it('continues from where the cursor stopped, leaving a line being written for the next read', async () => {
    await recordExecutionTask(dir, A, TASK.safety);
    const log = join(dir, `${TASK.safety}.log`);
    const progress = line(A, 'progress', { phase: 'dumping', bytesRead: 100 });
    await writeFile(log, line(A, 'start') + progress.slice(0, 20));
    const logs = fileJobLogs(dir);

    const first = await logs.linesOf({ executionArn: A, since: SINCE });
    expect(first.lines.map((l) => l.event)).toEqual(['start']);

    await appendFile(log, progress.slice(20) + line(A, 'done'));
    const second = await logs.linesOf({ executionArn: A, since: SINCE }, first.nextCursor);
    expect(second.lines.map((l) => l.event)).toEqual(['progress', 'done']);
    expect(second.lines[0]?.bytesRead).toBe(100);

    // The next task of the execution follows on from the same cursor.
    await recordExecutionTask(dir, A, TASK.restore);
    await writeFile(join(dir, `${TASK.restore}.log`), line(A, 'start', { mode: 'restore' }));
    const third = await logs.linesOf({ executionArn: A, since: SINCE }, second.nextCursor);
    expect(third.lines.map((l) => `${l.event}:${l.mode ?? ''}`)).toEqual(['start:restore']);

    const fourth = await logs.linesOf({ executionArn: A, since: SINCE }, third.nextCursor);
    expect(fourth).toEqual({ lines: [], more: false, nextCursor: third.nextCursor });
  });

  it(`hands back at most ${MAX_LINES_PER_PAGE} lines a page and says there are more`, async () => {
    await recordExecutionTask(dir, A, TASK.safety);
    await writeFile(
      join(dir, `${TASK.safety}.log`),
      Array.from({ length: MAX_LINES_PER_PAGE + 5 }, (_, i) => line(A, 'progress', { bytesRead: i })).join(''),
    );
    const logs = fileJobLogs(dir);
    const first = await logs.linesOf({ executionArn: A, since: SINCE });
    expect(first.lines).toHaveLength(MAX_LINES_PER_PAGE);
    expect(first.more).toBe(true);
    const rest = await logs.linesOf({ executionArn: A, since: SINCE }, first.nextCursor);
    expect(rest.lines.map((l) => l.bytesRead)).toEqual([1000, 1001, 1002, 1003, 1004]);
    expect(rest.more).toBe(false);
  });

  it('answers nothing and no cursor for an execution that started no task yet', async () => {
    expect(await fileJobLogs(dir).linesOf({ executionArn: A, since: SINCE })).toEqual({ lines: [], more: false });
  });

  it('keeps the index of an execution under a name derived from its ARN, and refuses what is not a task id', async () => {
    expect(executionIndexPath(dir, A)).toMatch(new RegExp(`^${dir}/executions/[0-9a-f]{64}\\.tasks$`));
    await expect(recordExecutionTask(dir, A, '../../etc/passwd')).rejects.toThrow(/not a task id/);
  });

  it('refuses a cursor it did not issue with a 400', async () => {
    for (const cursor of [
      'nope',
      Buffer.from('{"n":-1}').toString('base64url'),
      Buffer.from('{"t":1,"i":[]}').toString('base64url'),
    ]) {
      const error = await fileJobLogs(dir)
        .linesOf({ executionArn: A, since: SINCE }, cursor)
        .catch((e: unknown) => e);
      expect((error as HttpError).statusCode).toBe(400);
    }
  });
});
