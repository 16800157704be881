import { RunnerError } from './errors.ts';
import { failure, loadJobText, parseJobText, runJob } from './runJob.ts';
import type { RunnerJob } from '../../../types/job.ts';

/**
 * The runner command: `node runner.mjs <job.json | '{...}'>` or `KEEPSAKE_JOB='{...}' node runner.mjs`.
 * Progress and logs go to stderr as JSON lines; the result is one JSON line on stdout.
 * Exit codes: 0 done, 1 the job failed (or verify found corruption), 2 the job description is invalid.
 */
async function main(): Promise<number> {
  const log = (event: Record<string, unknown>): void => {
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
  };
  let job: RunnerJob;
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
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    // A verify that found corruption is a failed job too: its reason goes where failures are read back from.
    if (!result.ok) log({ level: 'error', event: 'failed', error: `${result.status}: ${result.reason ?? 'no reason given'}` });
    return result.ok ? 0 : 1;
  } catch (error) {
    const result = failure(error instanceof RunnerError ? error : new RunnerError(`unexpected: ${String(error)}`), job.mode);
    log({ level: 'error', event: 'failed', error: result.error });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 1;
  }
}

process.exitCode = await main();
