import type { ChildProcess } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import { RunnerError } from './errors.ts';

/** ECS StopTask (and local mode's stop of an execution) sends SIGTERM; a terminal sends SIGINT. */
const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export interface StopOptions {
  /** How long the job gets to clean up after a signal before `onDeadline` runs. */
  readonly graceMs: number;
  /** Runs when the job has not ended `graceMs` after the signal; it is expected to report and exit. */
  readonly onDeadline: (reason: RunnerError) => void;
}

/**
 * Makes SIGTERM and SIGINT stop the runner cleanly, and returns the signal that says it was asked to. The runner is
 * PID 1 of its container, where the kernel drops any signal without a handler: without one, ECS's SIGTERM does
 * nothing and its SIGKILL 30 s later leaves the password option file and the uploaded parts behind.
 * On a signal every child process (dump, client, igzip, stdbuf) is killed at once and any started later is killed
 * as it spawns, so no tool runs on after a stop; the returned signal aborts with a RunnerError naming the signal,
 * so the job fails and unwinds its own cleanup (multipart upload aborted, option file removed).
 */
export function stopOnSignals(options: StopOptions): AbortSignal {
  const controller = new AbortController();
  const children = new Set<ChildProcess>();
  const kill = (child: ChildProcess): void => {
    if (child.pid === undefined) child.once('spawn', () => child.kill('SIGKILL'));
    else child.kill('SIGKILL');
  };
  // Published for every ChildProcess this process creates, wherever in the runner it is spawned.
  subscribe('child_process', (message) => {
    const child = (message as { process: ChildProcess }).process;
    if (controller.signal.aborted) {
      kill(child);
      return;
    }
    children.add(child);
    child.once('exit', () => children.delete(child));
    child.once('error', () => children.delete(child));
  });
  const stop = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) return;
    const reason = new RunnerError(`stopped by ${signal}: the task was asked to stop before the job finished`);
    controller.abort(reason);
    for (const child of children) kill(child);
    setTimeout(() => options.onDeadline(reason), options.graceMs).unref();
  };
  // Kept after the first signal: a second one must not fall back to the default action and skip the cleanup.
  for (const signal of STOP_SIGNALS) process.on(signal, stop);
  return controller.signal;
}
