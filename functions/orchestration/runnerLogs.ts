import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireEnv } from '../shared/env.ts';
import { tracer } from '../shared/tracer.ts';

/** Where a runner task's log lines can be read back, to put its last error into the backup's record. */
export interface RunnerLogs {
  /** The runner's error messages, oldest first (at most `limit`), or none if its log cannot be read. */
  lastErrors(taskArn: string, limit?: number): Promise<string[]>;
}

/** The task id is the last segment of its ARN (`arn:aws:ecs:…:task/cluster/ID`); the runner's stream ends with it. */
export const taskIdOf = (taskArn: string): string => taskArn.slice(taskArn.lastIndexOf('/') + 1);

/** The `error` of each JSON line the runner logged at level error (see containers/backup/src/main.ts). */
export function errorsIn(lines: readonly string[], limit: number): string[] {
  const errors: string[] = [];
  for (const line of lines) {
    try {
      const event = JSON.parse(line) as { level?: unknown; error?: unknown };
      if (event.level === 'error' && typeof event.error === 'string') errors.push(event.error);
    } catch {
      // Not one of the runner's JSON lines (e.g. a Node warning): not an error report.
    }
  }
  return [...new Set(errors)].slice(-limit);
}

/**
 * CloudWatch Logs: the runner's awslogs stream is `{prefix}/{container}/{taskId}`. Reading is best effort: a
 * missing stream or a throttled call must not turn "failed because X" into "failed to record the failure".
 */
export function cloudWatchRunnerLogs(
  client: CloudWatchLogsClient,
  logGroupName: string,
  streamPrefix: string,
): RunnerLogs {
  return {
    async lastErrors(taskArn, limit = 3) {
      try {
        const out = await client.send(
          new GetLogEventsCommand({
            logGroupName,
            logStreamName: `${streamPrefix}/${taskIdOf(taskArn)}`,
            startFromHead: false,
            limit: 200,
          }),
        );
        return errorsIn(
          (out.events ?? []).map((e) => e.message ?? ''),
          limit,
        );
      } catch {
        return [];
      }
    },
  };
}

/** Local mode and tests: the runner's stderr is kept in `{dir}/{taskId}.log`. */
export function fileRunnerLogs(dir: string): RunnerLogs {
  return {
    async lastErrors(taskArn, limit = 3) {
      const text = await readFile(join(dir, `${taskIdOf(taskArn)}.log`), 'utf8').catch(() => '');
      return errorsIn(text.split('\n'), limit);
    },
  };
}

/** `RUNNER_LOG_DIR` selects the local files; otherwise `RUNNER_LOG_GROUP` + `RUNNER_LOG_STREAM_PREFIX` in AWS. */
export function runnerLogsFromEnv(env: NodeJS.ProcessEnv = process.env): RunnerLogs {
  if (env.RUNNER_LOG_DIR) return fileRunnerLogs(env.RUNNER_LOG_DIR);
  return cloudWatchRunnerLogs(
    tracer.captureAWSv3Client(new CloudWatchLogsClient({})),
    requireEnv('RUNNER_LOG_GROUP', env),
    requireEnv('RUNNER_LOG_STREAM_PREFIX', env),
  );
}
