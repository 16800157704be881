import { RunnerError } from './errors.ts';
import { failure, loadJobText, parseJobText, runJob } from './runJob.ts';
import { stopOnSignals } from './stopSignals.ts';
import type { RunnerJob } from '../../../types/job.ts';

/**
 * ECS sends SIGKILL 30 s after SIGTERM by default. Cleanup after a stop takes well under a second; a job still
 * hanging after this (a stalled S3 request) is cut short so that the failure line is still printed and the option
 * file still removed (privateDir.ts removes it at exit).
 */
const STOP_GRACE_MS = 10_000;

/**
 * The runner command: `node runner.mjs <job.json | '{...}'>` or `KEEPSAKE_JOB='{...}' node runner.mjs`.
 * Progress and logs go to stderr as JSON lines (`start`, `spawn`, `progress` every ~2 s, then `done` or
 * `failed`); the result is one JSON line on stdout. Every log line names the Step Functions execution from
 * `KEEPSAKE_EXECUTION_ARN` when set, so a record's live log can be found by its execution (see
 * functions/shared/jobLogs.ts). Lines never hold the password: the job carries only a reference to it.
 * Exit codes: 0 done, 1 the job failed (or verify found corruption, or SIGTERM/SIGINT stopped it), 2 the job
 * description is invalid. A stopped job never reports success, even when it got to its end before it noticed.
 */
async function main(): Promise<number> {
  const execution = process.env.KEEPSAKE_EXECUTION_ARN || undefined;
  const log = (event: Record<string, unknown>): void => {
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), ...event, ...(execution && { execution }) })}\n`,
    );
  };
  let job: RunnerJob | undefined;
  let reported = false;
  const reportFailure = (error: RunnerError): void => {
    reported = true;
    const result = failure(error, job?.mode);
    log({ level: 'error', event: 'failed', error: result.error });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  };
  const stopped = stopOnSignals({
    graceMs: STOP_GRACE_MS,
    onDeadline: (reason) => {
      if (!reported) reportFailure(reason);
      process.exit(1);
    },
  });
  try {
    job = parseJobText(await loadJobText(process.argv.slice(2), process.env));
  } catch (error) {
    process.stdout.write(`${JSON.stringify(failure(error))}\n`);
    return 2;
  }
  log({ level: 'info', event: 'start', mode: job.mode });
  try {
    const result = await runJob(job, {
      onProgress: (progress) => log({ level: 'info', event: 'progress', ...progress }),
      onSpawn: (child, tool) => log({ level: 'info', event: 'spawn', tool, pid: child.pid }),
      signal: stopped,
    });
    if (stopped.aborted) throw stopped.reason;
    reported = true;
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (result.ok) {
      // The last line of a run that ended well: the result's summary (key, sizes, checksum), never a secret.
      const { ok: _ok, ...summary } = result;
      log({ level: 'info', event: 'done', ...summary });
    } else {
      // A verify that found corruption is a failed job too: its reason goes where failures are read back from.
      log({ level: 'error', event: 'failed', error: `${result.status}: ${result.reason ?? 'no reason given'}` });
    }
    return result.ok ? 0 : 1;
  } catch (error) {
    // After a stop the job's own error is only a consequence of it (a killed dump, an aborted stream).
    const cause = stopped.aborted ? stopped.reason : error;
    reportFailure(cause instanceof RunnerError ? cause : new RunnerError(`unexpected: ${String(cause)}`));
    return 1;
  }
}

process.exitCode = await main();
