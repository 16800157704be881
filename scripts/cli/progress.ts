import { duration, size } from './format.ts';

/** Where progress goes: stderr, whose `isTTY` decides whether anything is drawn at all. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(chunk: string): unknown;
}

/** What a job has done so far. `bytes` and `total` are absent where nothing is counted or the end is not known. */
export interface ProgressSnapshot {
  readonly label: string;
  readonly bytes?: number;
  readonly total?: number;
  readonly elapsedMs: number;
}

/**
 * One line for a snapshot: `restoring  12.0 MiB / 40.0 MiB  30%  2.0 MiB/s  ETA 14 s  6 s`. The rate is the average
 * since the start (steady enough to read, honest about stalls); the percentage and ETA only where the total is known.
 */
export function progressLine({ label, bytes, total, elapsedMs }: ProgressSnapshot): string {
  const parts = [label];
  if (bytes !== undefined) {
    const known = total !== undefined && total > 0;
    parts.push(known ? `${size(bytes)} / ${size(total)}` : size(bytes));
    if (known) parts.push(`${Math.min(100, Math.floor((bytes / total) * 100))}%`);
    const rate = elapsedMs >= 1000 ? bytes / (elapsedMs / 1000) : undefined;
    if (rate !== undefined && rate > 0) {
      parts.push(`${size(Math.round(rate))}/s`);
      if (known && bytes < total) parts.push(`ETA ${duration(((total - bytes) / rate) * 1000)}`);
    }
  }
  parts.push(duration(elapsedMs));
  return parts.join('  ');
}

export interface ProgressMeter {
  /** Whether anything is drawn: callers skip the requests progress needs when not. */
  readonly active: boolean;
  /** Draws the snapshot over the previous one. */
  show(snapshot: ProgressSnapshot): void;
  /** Wipes the line, so what follows on the terminal (the result, an error) starts clean. */
  clear(): void;
}

const SILENT: ProgressMeter = { active: false, show: () => undefined, clear: () => undefined };

/**
 * A progress line redrawn in place (`\r`, erase to the end of the line) on a terminal. Silent with `--quiet` and
 * when `stream` is not a terminal: a log file or a pipe gets only results and errors, never carriage returns.
 */
export function progressMeter(stream: ProgressStream, quiet: boolean): ProgressMeter {
  if (quiet || !stream.isTTY) return SILENT;
  let drawn = false;
  return {
    active: true,
    show(snapshot) {
      // A terminal that does not say its width (0) is taken as 80 columns.
      const width = Math.max(20, (stream.columns || 80) - 1);
      stream.write(`\r${progressLine(snapshot).slice(0, width)}\x1b[K`);
      drawn = true;
    },
    clear() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
