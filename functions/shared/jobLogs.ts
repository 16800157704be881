import { FilterLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { LogLineSchema, type LogLine, type LogPage } from '../../types/jobLogs.ts';
import { requireEnv } from './env.ts';
import { Invalid } from './errors.ts';

/** Lines one call hands back at most; a page cut here says `more`, and the next call continues. */
export const MAX_LINES_PER_PAGE = 1000;

/** Where a search starts when no cursor is given: the job's start (or creation) less a minute of clock skew. */
export interface LogSearch {
  readonly executionArn: string;
  /** ISO time; lines logged before it are not looked for. */
  readonly since: string;
  /** ISO time the job ended, once it has: lines are not looked for much beyond it (CloudWatch scans less). */
  readonly until?: string;
}

export interface LogLines {
  readonly lines: LogLine[];
  /** The position after the last line read; absent while nothing was read. */
  readonly nextCursor?: string;
  /** Lines beyond this page are available now. */
  readonly more: boolean;
}

/**
 * The runner's log lines of one Step Functions execution, oldest first: every runner task the execution started
 * (a restore's safety backup, then its restore) logs each line with `execution` (containers/backup/src/main.ts).
 * Lines that are not the runner's JSON (a Node warning) or name another execution are skipped.
 */
export interface JobLogs {
  linesOf(search: LogSearch, cursor?: string): Promise<LogLines>;
}

/** A runner JSON line of `executionArn`, or undefined for anything else. */
export function parseLogLine(text: string, executionArn: string): LogLine | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = LogLineSchema.safeParse(json);
  return parsed.success && parsed.data.execution === executionArn ? parsed.data : undefined;
}

/** Cursors are base64url JSON checked by a schema on the way back in: a foreign or tampered one is a 400. */
function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decode<T>(schema: z.ZodType<T>, cursor: string): T {
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through
  }
  throw new Invalid('cursor is not one this API issued', { cursor: 'is not one this API issued' });
}

// ---- CloudWatch Logs -----------------------------------------------------------------------------------------

/** Events at one millisecond are a handful (start and spawn); more than this would be read twice, never lost. */
const MAX_IDS_AT_LAST = 20;

/**
 * Position in CloudWatch: `t` the timestamp of the last event read and `i` the ids of the events read at `t` (a
 * new search starts at `t` and skips those); while a search is cut short, `k` its nextToken and `s`/`e` its
 * startTime/endTime (a token is only valid with the parameters it was issued for).
 */
const CloudWatchCursorSchema = z
  .object({
    t: z.number().int().nonnegative(),
    i: z.array(z.string()).max(MAX_IDS_AT_LAST),
    s: z.number().int().nonnegative().optional(),
    e: z.number().int().nonnegative().optional(),
    k: z.string().optional(),
  })
  .strict();
type CloudWatchCursor = z.infer<typeof CloudWatchCursorSchema>;

/** FilterLogEvents calls one page may make: a search can return empty pages while it scans. */
const MAX_CALLS_PER_PAGE = 5;
const SKEW_MS = 60_000;
/** A job's record ends after its runner does, except a cancelled one: its runner is stopped within seconds. */
const AFTER_END_MS = 5 * 60_000;

/** The JSON filter pattern matching the lines of one execution (an execution ARN never holds `"`, `*` or `\`). */
export function executionFilterPattern(executionArn: string): string {
  if (/["*\\]/.test(executionArn)) throw new Error(`not an execution ARN: ${executionArn}`);
  return `{ $.execution = "${executionArn}" }`;
}

/**
 * CloudWatch Logs: FilterLogEvents on the runner's log group, matching the execution with a JSON filter pattern
 * (all of the runner's streams at once: a task's stream is named by an ECS task id no record knows). Events come
 * sorted by timestamp, so a cursor is the last timestamp read (and the ids read at it); a search cut short by the
 * page size or by empty scanning pages goes on with its own nextToken.
 */
export function cloudWatchJobLogs(client: CloudWatchLogsClient, logGroupName: string): JobLogs {
  return {
    async linesOf(search, cursor) {
      const filterPattern = executionFilterPattern(search.executionArn);
      const position: CloudWatchCursor = cursor
        ? decode(CloudWatchCursorSchema, cursor)
        : { t: Math.max(0, Date.parse(search.since) - SKEW_MS), i: [] };
      let { t: last, i: seenAtLast } = position;
      const continuing = position.k !== undefined;
      const startTime = continuing ? (position.s ?? position.t) : position.t;
      const endTime = continuing
        ? position.e
        : search.until === undefined
          ? undefined
          : Date.parse(search.until) + AFTER_END_MS;
      const lines: LogLine[] = [];
      let nextToken = position.k;
      let read = false;
      for (let calls = 0; calls < MAX_CALLS_PER_PAGE && lines.length < MAX_LINES_PER_PAGE; calls++) {
        const out = await client.send(
          new FilterLogEventsCommand({
            logGroupName,
            filterPattern,
            startTime,
            ...(endTime !== undefined && { endTime }),
            limit: MAX_LINES_PER_PAGE - lines.length,
            ...(nextToken !== undefined && { nextToken }),
          }),
        );
        for (const event of out.events ?? []) {
          const { timestamp, eventId } = event;
          if (timestamp === undefined || eventId === undefined) continue;
          if (timestamp < last || (timestamp === last && seenAtLast.includes(eventId))) continue;
          if (timestamp > last) {
            last = timestamp;
            seenAtLast = [];
          }
          seenAtLast.push(eventId);
          read = true;
          const line = parseLogLine(event.message ?? '', search.executionArn);
          if (line) lines.push(line);
        }
        nextToken = out.nextToken;
        if (nextToken === undefined) break;
      }
      const more = nextToken !== undefined;
      const next: CloudWatchCursor = {
        t: last,
        i: seenAtLast.slice(-MAX_IDS_AT_LAST),
        ...(more && { s: startTime, k: nextToken, ...(endTime !== undefined && { e: endTime }) }),
      };
      return { lines, more, ...((read || more || cursor !== undefined) && { nextCursor: encode(next) }) };
    },
  };
}

// ---- local files -----------------------------------------------------------------------------------------------

/** Which runner tasks of local mode belong to an execution: `{dir}/executions/{sha256(arn)}.tasks`, one task id a line. */
export const executionIndexPath = (dir: string, executionArn: string): string =>
  join(dir, 'executions', `${createHash('sha256').update(executionArn).digest('hex')}.tasks`);

/** Local mode's runner records a task of an execution before it starts it (see scripts/local/orchestration.ts). */
export async function recordExecutionTask(dir: string, executionArn: string, taskId: string): Promise<void> {
  if (!TASK_ID.test(taskId)) throw new Error(`not a task id: ${taskId}`);
  await mkdir(join(dir, 'executions'), { recursive: true });
  await appendFile(executionIndexPath(dir, executionArn), `${taskId}\n`);
}

const TASK_ID = /^[0-9a-f]{32}$/;
const FileCursorSchema = z.object({ n: z.number().int().nonnegative() }).strict();

/**
 * The complete lines of each task's log in order. A task's unfinished last line is left for later, unless a later
 * task exists (then the earlier one has ended and its last line is all there will be).
 */
async function taskLines(dir: string, taskIds: readonly string[]): Promise<string[]> {
  const all: string[] = [];
  for (const [index, taskId] of taskIds.entries()) {
    const text = await readFile(join(dir, `${taskId}.log`), 'utf8').catch(() => '');
    const lines = text.split('\n');
    // After the last '\n' comes '' (complete) or an unfinished line.
    const last = lines.pop() ?? '';
    if (last !== '' && index < taskIds.length - 1) lines.push(last);
    all.push(...lines);
  }
  return all;
}

/**
 * Local mode and tests: the runner's stderr is in `{dir}/{taskId}.log` and the execution's tasks are listed by
 * `recordExecutionTask`. The cursor counts the lines read across the execution's tasks, in order.
 */
export function fileJobLogs(dir: string): JobLogs {
  return {
    async linesOf(search, cursor) {
      const from = cursor ? decode(FileCursorSchema, cursor).n : 0;
      const index = await readFile(executionIndexPath(dir, search.executionArn), 'utf8').catch(() => '');
      const taskIds = index.split('\n').filter((id) => TASK_ID.test(id));
      const all = await taskLines(dir, taskIds);
      const lines: LogLine[] = [];
      let n = from;
      for (; n < all.length && lines.length < MAX_LINES_PER_PAGE; n++) {
        const line = parseLogLine(all[n] ?? '', search.executionArn);
        if (line) lines.push(line);
      }
      return { lines, more: n < all.length, ...(n > 0 && { nextCursor: encode({ n }) }) };
    },
  };
}

/** `RUNNER_LOG_DIR` selects local files; otherwise `RUNNER_LOG_GROUP` in CloudWatch Logs (read once, at load). */
export function jobLogsFromEnv(client: CloudWatchLogsClient, env: NodeJS.ProcessEnv = process.env): JobLogs {
  if (env.RUNNER_LOG_DIR) return fileJobLogs(env.RUNNER_LOG_DIR);
  return cloudWatchJobLogs(client, requireEnv('RUNNER_LOG_GROUP', env));
}

/**
 * A log page of a job record: the lines of its execution (none while it has none yet: a queued backup's execution
 * has not begun), and whether the job is still queued or running.
 */
export async function logPageOf(
  logs: JobLogs,
  search: LogSearch | undefined,
  running: boolean,
  cursor?: string,
): Promise<LogPage> {
  if (!search) return { lines: [], more: false, running, ...(cursor !== undefined && { nextCursor: cursor }) };
  return { ...(await logs.linesOf(search, cursor)), running };
}
