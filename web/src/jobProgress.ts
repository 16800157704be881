import type { LogLine } from '../../types/jobLogs.ts';
import { formatBytes, formatDuration } from './format.ts';

/** How far a runner is through the bytes it has to read, and how long the rest should take at its recent pace. */
export interface JobProgress {
  readonly bytesRead: number;
  readonly totalBytes: number;
  /** Whole percent read, 100 only once every byte is: a restore at 99.6 % is not done. */
  readonly percent: number;
  /** Over the last RATE_WINDOW_MS of reports (from the start while there is only one). */
  readonly bytesPerSecond: number | undefined;
  readonly remainingMs: number | undefined;
  /** The runner's last report (it sends one with `done` whether the run then succeeds or fails). */
  readonly done: boolean;
}

/** Long enough to smooth out the 2 s reports, short enough to follow a restore that slows down on big indexes. */
const RATE_WINDOW_MS = 30_000;

interface Sample {
  readonly bytesRead: number;
  readonly elapsedMs: number;
  readonly done: boolean;
}

const sampleOf = (line: LogLine, phase: string): Sample | undefined =>
  line.event === 'progress' &&
  line.phase === phase &&
  typeof line.bytesRead === 'number' &&
  typeof line.elapsedMs === 'number'
    ? { bytesRead: line.bytesRead, elapsedMs: line.elapsedMs, done: line.done === true }
    : undefined;

/**
 * The progress a job's log reports in `phase` against `totalBytes`, the bytes that phase reads in all. Compare like
 * with like: a restore's `bytesRead` counts the stored (compressed) object read from S3, so its total is the
 * backup's `compressedBytes`. Undefined while nothing was reported or the total is not known.
 */
export function progressOf(
  lines: readonly LogLine[],
  totalBytes: number | undefined,
  phase = 'restoring',
): JobProgress | undefined {
  if (!totalBytes || totalBytes <= 0) return undefined;
  const samples = lines.flatMap((line) => sampleOf(line, phase) ?? []);
  const last = samples.at(-1);
  if (!last) return undefined;
  // The oldest report inside the window; the phase's start (nothing read at 0 ms) while there is only the last one.
  const from = samples.find((s) => s !== last && s.elapsedMs >= last.elapsedMs - RATE_WINDOW_MS) ?? {
    bytesRead: 0,
    elapsedMs: 0,
  };
  const seconds = (last.elapsedMs - from.elapsedMs) / 1000;
  const bytesPerSecond = seconds > 0 ? (last.bytesRead - from.bytesRead) / seconds : undefined;
  const left = Math.max(0, totalBytes - last.bytesRead);
  return {
    bytesRead: last.bytesRead,
    totalBytes,
    percent: left === 0 ? 100 : Math.min(99, Math.floor((last.bytesRead / totalBytes) * 100)),
    bytesPerSecond,
    remainingMs: left === 0 ? 0 : bytesPerSecond ? Math.round((left / bytesPerSecond) * 1000) : undefined,
    done: last.done,
  };
}

/** "31% · 12.3 MiB of 40.0 MiB · 4.1 MiB/s · about 7 s left", the way the restore page states it. */
export function describeProgress(progress: JobProgress): string {
  const parts = [`${progress.percent}%`, `${formatBytes(progress.bytesRead)} of ${formatBytes(progress.totalBytes)}`];
  if (progress.bytesPerSecond !== undefined) parts.push(`${formatBytes(Math.round(progress.bytesPerSecond))}/s`);
  if (progress.done) parts.push('all read');
  else if (progress.remainingMs === 0) parts.push('all read, the server is finishing');
  else if (progress.remainingMs !== undefined)
    parts.push(`about ${formatDuration(Math.max(1000, progress.remainingMs))} left`);
  else parts.push('time left not known yet');
  return parts.join(' · ');
}
