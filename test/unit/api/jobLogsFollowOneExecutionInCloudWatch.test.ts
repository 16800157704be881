import { CloudWatchLogsClient, FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../../functions/shared/errors.ts';
import {
  cloudWatchJobLogs,
  executionFilterPattern,
  fileJobLogs,
  MAX_LINES_PER_PAGE,
} from '../../../functions/shared/jobLogs.ts';

const GROUP = 'keepsake-runner-logs';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:keepsake-backup:bk-1';
const OTHER = 'arn:aws:states:eu-west-1:123456789012:execution:keepsake-backup:bk-2';
const SINCE = '2026-03-01T12:00:00.000Z';
const SINCE_MS = Date.parse(SINCE);

const logs = mockClient(CloudWatchLogsClient);
const jobLogs = cloudWatchJobLogs(new CloudWatchLogsClient({ region: 'eu-west-1' }), GROUP);
const search = { executionArn: EXECUTION, since: SINCE };

/** An awslogs event carrying one runner line at `ms` after SINCE. */
function event(
  id: string,
  ms: number,
  line: Record<string, unknown> | string,
  execution = EXECUTION,
): FilteredLogEvent {
  const time = new Date(SINCE_MS + ms).toISOString();
  const message = typeof line === 'string' ? line : JSON.stringify({ time, level: 'info', ...line, execution });
  return {
    eventId: id,
    timestamp: SINCE_MS + ms,
    message,
    logStreamName: 'runner/runner/0123abcd',
    ingestionTime: SINCE_MS + ms + 500,
  };
}

const filterCall = (n: number) => logs.commandCalls(FilterLogEventsCommand)[n]?.args[0].input;

beforeEach(() => logs.reset());
afterAll(() => logs.restore());

describe('the CloudWatch Logs job log', () => {
  it("asks for the execution's lines only, from a minute before the job started, following the search's pages", async () => {
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({
        events: [event('e1', 1000, { event: 'start', mode: 'backup' }), event('e2', 1500, 'node: a warning, not JSON')],
        nextToken: 'token-1',
      })
      .resolvesOnce({
        events: [
          event('e3', 3000, { event: 'progress', phase: 'dumping', bytesRead: 10, bytesWritten: 4 }),
          event('e4', 4000, { event: 'done', mode: 'backup' }),
        ],
      });

    const page = await jobLogs.linesOf(search);

    expect(filterCall(0)).toMatchObject({
      logGroupName: GROUP,
      startTime: SINCE_MS - 60_000,
      filterPattern: `{ $.execution = "${EXECUTION}" }`,
    });
    expect(filterCall(0)?.nextToken).toBeUndefined();
    expect(filterCall(1)).toMatchObject({
      startTime: SINCE_MS - 60_000,
      nextToken: 'token-1',
      filterPattern: `{ $.execution = "${EXECUTION}" }`,
    });
    // The warning is skipped; the runner's lines come with their fields.
    expect(page.lines.map((l) => l.event)).toEqual(['start', 'progress', 'done']);
    expect(page.lines[1]).toMatchObject({
      phase: 'dumping',
      bytesRead: 10,
      bytesWritten: 4,
      execution: EXECUTION,
      level: 'info',
    });
    expect(page.more).toBe(false);
    expect(page.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('continues after the cursor: from the last timestamp read, without the events already read at it', async () => {
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({
        events: [event('e1', 1000, { event: 'start' }), event('e2', 2000, { event: 'spawn', tool: 'mysqldump' })],
      })
      // The next search starts at that millisecond: e2 again, then what came since.
      .resolvesOnce({
        events: [
          event('e2', 2000, { event: 'spawn', tool: 'mysqldump' }),
          event('e3', 2000, { event: 'progress', phase: 'dumping' }),
          event('e4', 5000, { event: 'done' }),
        ],
      })
      .resolvesOnce({ events: [event('e4', 5000, { event: 'done' })] });

    const first = await jobLogs.linesOf(search);
    expect(first.lines.map((l) => l.event)).toEqual(['start', 'spawn']);

    const second = await jobLogs.linesOf(search, first.nextCursor);
    expect(filterCall(1)).toMatchObject({
      startTime: SINCE_MS + 2000,
      filterPattern: `{ $.execution = "${EXECUTION}" }`,
    });
    expect(filterCall(1)?.nextToken).toBeUndefined();
    expect(second.lines.map((l) => l.event)).toEqual(['progress', 'done']);

    // Nothing new: no lines, and the cursor still points after the last one.
    const third = await jobLogs.linesOf(search, second.nextCursor);
    expect(third).toMatchObject({ lines: [], more: false });
    expect(filterCall(2)?.startTime).toBe(SINCE_MS + 5000);
    expect(third.nextCursor).toBe(second.nextCursor);
  });

  it('skips lines of another execution and lines that are not the runner JSON lines', async () => {
    logs.on(FilterLogEventsCommand).resolvesOnce({
      events: [
        event('e1', 1000, { event: 'start' }, OTHER),
        event('e2', 1100, '{"time":"not a time","level":"info","event":"start"}'),
        event('e3', 1200, '{"truncated":'),
        event('e4', 1300, { event: 'start' }),
      ],
    });
    const page = await jobLogs.linesOf(search);
    expect(page.lines).toHaveLength(1);
    expect(page.lines[0]?.execution).toBe(EXECUTION);
  });

  it('cuts a search that keeps scanning at a few calls, and resumes it with its own token and start time', async () => {
    const scanning = { events: [], nextToken: 'scanning' };
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce(scanning)
      .resolvesOnce(scanning)
      .resolvesOnce(scanning)
      .resolvesOnce(scanning)
      .resolvesOnce(scanning)
      .resolvesOnce({ events: [event('e1', 1000, { event: 'start' })] });
    const page = await jobLogs.linesOf(search);
    expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(5);
    expect(page).toMatchObject({ lines: [], more: true });

    const next = await jobLogs.linesOf(search, page.nextCursor);
    expect(filterCall(5)).toMatchObject({ startTime: SINCE_MS - 60_000, nextToken: 'scanning' });
    expect(next).toMatchObject({ more: false, lines: [expect.objectContaining({ event: 'start' })] });
  });

  it('looks no further than a few minutes past the end of a finished job, but resumes a search with the parameters of its token', async () => {
    const until = '2026-03-01T12:10:00.000Z';
    const endTime = Date.parse(until) + 5 * 60_000;
    logs.on(FilterLogEventsCommand).resolves({ events: [event('e1', 1000, { event: 'start' })] });
    await jobLogs.linesOf({ ...search, until });
    expect(filterCall(0)).toMatchObject({ startTime: SINCE_MS - 60_000, endTime });

    // A search cut short while the job ran had no end: once the job has ended, its token is resumed without one.
    logs.reset();
    logs.on(FilterLogEventsCommand).resolves({ events: [], nextToken: 'scanning' });
    const whileRunning = await jobLogs.linesOf(search);
    expect(filterCall(0)).not.toHaveProperty('endTime');
    await jobLogs.linesOf({ ...search, until }, whileRunning.nextCursor);
    expect(filterCall(5)).toMatchObject({ nextToken: 'scanning', startTime: SINCE_MS - 60_000 });
    expect(filterCall(5)).not.toHaveProperty('endTime');

    // And one cut short after the end keeps that end.
    logs.reset();
    logs.on(FilterLogEventsCommand).resolves({ events: [], nextToken: 'scanning' });
    const afterEnd = await jobLogs.linesOf({ ...search, until });
    await jobLogs.linesOf({ ...search, until }, afterEnd.nextCursor);
    expect(filterCall(5)).toMatchObject({ nextToken: 'scanning', endTime });
  });

  it(`hands back at most ${MAX_LINES_PER_PAGE} lines a page and says there are more`, async () => {
    const many = Array.from({ length: MAX_LINES_PER_PAGE }, (_, i) => event(`e${i}`, i, { event: 'progress' }));
    logs.on(FilterLogEventsCommand).resolvesOnce({ events: many, nextToken: 'rest' });
    const page = await jobLogs.linesOf(search);
    expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(1);
    expect(filterCall(0)?.limit).toBe(MAX_LINES_PER_PAGE);
    expect(page.lines).toHaveLength(MAX_LINES_PER_PAGE);
    expect(page.more).toBe(true);
  });

  it('answers nothing and no cursor while the execution has logged nothing yet', async () => {
    logs.on(FilterLogEventsCommand).resolves({ events: [] });
    expect(await jobLogs.linesOf(search)).toEqual({ lines: [], more: false });
  });

  it('refuses a cursor it did not issue with a 400', async () => {
    logs.on(FilterLogEventsCommand).resolves({ events: [] });
    const foreign =
      (await fileJobLogs('/nonexistent').linesOf(search)).nextCursor ?? Buffer.from('{"n":3}').toString('base64url');
    for (const cursor of [foreign, 'not-base64-json', Buffer.from('{"t":-1,"i":[]}').toString('base64url')]) {
      const error = await jobLogs.linesOf(search, cursor).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).statusCode).toBe(400);
    }
    expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(0);
  });

  it('builds no filter pattern from something that is not an execution ARN', () => {
    expect(() => executionFilterPattern('arn" } || { $.level = "error')).toThrow(/not an execution ARN/);
    expect(executionFilterPattern(EXECUTION)).toBe(`{ $.execution = "${EXECUTION}" }`);
  });
});
