import { readFile } from 'node:fs/promises';
import {
  RunnerJobSchema,
  type BackupResult,
  type FailureResult,
  type RestoreResult,
  type RunnerJob,
  type SkippedResult,
  type VerifyResult,
} from '../../../types/job.ts';
import { describeZodError } from '../../../types/zodMessages.ts';
import { runBackupOrSkip } from './backup.ts';
import type { JobContext } from './context.ts';
import { RunnerError, messageOf } from './errors.ts';
import { runRestore } from './restore.ts';
import { runVerify } from './verify.ts';

export type JobResult = BackupResult | SkippedResult | RestoreResult | VerifyResult;

/** Validates a job description; the error names every bad field. */
export function parseJob(input: unknown): RunnerJob {
  const parsed = RunnerJobSchema.safeParse(input);
  if (!parsed.success) throw new RunnerError(`invalid job: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/**
 * Reads the job from the first argument (a JSON file path, or inline JSON starting with `{`) or from the
 * `KEEPSAKE_JOB` environment variable (how ECS container overrides pass it).
 */
export async function loadJobText(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  const arg = argv[0];
  if (arg === undefined) {
    if (env.KEEPSAKE_JOB) return env.KEEPSAKE_JOB;
    throw new RunnerError('no job: pass a job file (runner.mjs job.json) or set KEEPSAKE_JOB');
  }
  if (arg.trimStart().startsWith('{')) return arg;
  return readFile(arg, 'utf8').catch((error: unknown) => {
    throw new RunnerError(`cannot read job file ${arg}: ${messageOf(error)}`);
  });
}

export function parseJobText(text: string): RunnerJob {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RunnerError(`invalid job: not JSON (${messageOf(error)})`);
  }
  return parseJob(json);
}

export function runJob(job: RunnerJob, ctx: JobContext = {}): Promise<JobResult> {
  switch (job.mode) {
    case 'backup':
      return runBackupOrSkip(job, ctx);
    case 'restore':
      return runRestore(job, ctx);
    case 'verify':
      return runVerify(job, ctx);
  }
}

export function failure(error: unknown, mode?: RunnerJob['mode']): FailureResult {
  return { ok: false, ...(mode && { mode }), error: messageOf(error) };
}
