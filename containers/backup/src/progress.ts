import type { ProgressPhase } from '../../../types/jobLogs.ts';

/** A snapshot of a running job, reported every few seconds and once at the end (the console's live log). */
export interface Progress {
  readonly phase: ProgressPhase;
  /** Bytes taken in: SQL from the dump, or stored bytes read from S3. */
  readonly bytesRead: number;
  /** Bytes given out: compressed bytes for a backup, SQL fed to the server for a restore. */
  readonly bytesWritten: number;
  readonly elapsedMs: number;
  readonly done: boolean;
}

export type ProgressListener = (progress: Progress) => void;

export interface ProgressReport {
  /** Reports at once (a phase change), besides the regular interval. */
  readonly now: () => void;
  /** Stops the interval and reports once more with `done: true`. */
  readonly stop: () => void;
}

/** Calls `listener` every `intervalMs` with `sample()` until stopped, then once more with `done: true`. */
export function reportProgress(
  listener: ProgressListener | undefined,
  intervalMs: number,
  sample: () => Omit<Progress, 'elapsedMs' | 'done'>,
): ProgressReport {
  const started = Date.now();
  const emit = (done: boolean): void => listener?.({ ...sample(), elapsedMs: Date.now() - started, done });
  const timer = setInterval(() => emit(false), intervalMs);
  timer.unref();
  return {
    now: () => emit(false),
    stop: () => {
      clearInterval(timer);
      emit(true);
    },
  };
}
