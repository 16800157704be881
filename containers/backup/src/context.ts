import type { ChildProcess } from 'node:child_process';
import type { ProgressListener } from './progress.ts';

/** What the caller of a job can observe and inject: progress, the child processes, the environment. */
export interface JobContext {
  readonly onProgress?: ProgressListener;
  /** Called with every long-running child (dump or restore client) right after it is spawned. */
  readonly onSpawn?: (child: ChildProcess, tool: string) => void;
  /** Called with the job's own log lines (`level`, `event`, …), such as which client tools it uses. */
  readonly onLog?: (event: Record<string, unknown>) => void;
  readonly progressIntervalMs?: number;
  /** Aborted when the job must stop (SIGTERM/SIGINT): it fails with the signal's reason and cleans up as any failure. */
  readonly signal?: AbortSignal;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Hands a job's log line to `ctx.onLog`, or without one writes it to stderr as a JSON line in the runner's own
 * shape (`time`, the event, `execution` from KEEPSAKE_EXECUTION_ARN), so that the job's log in AWS holds it.
 */
export function logEvent(ctx: JobContext, event: Record<string, unknown>): void {
  if (ctx.onLog) {
    ctx.onLog(event);
    return;
  }
  const execution = (ctx.env ?? process.env).KEEPSAKE_EXECUTION_ARN || undefined;
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), ...event, ...(execution && { execution }) })}\n`,
  );
}
