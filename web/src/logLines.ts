import type { LogLine } from '../../types/jobLogs.ts';
import { formatBytes, formatDuration } from './format.ts';

/** A runner log line as the log view shows it: a clock time, a short label and what happened, in words. */
export interface ShownLine {
  readonly clock: string;
  readonly label: string;
  readonly text: string;
  readonly error: boolean;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `HH:MM:SS` in the viewer's time zone: a terminal's clock, the date is on the page already. */
export function clockOf(iso: string): string {
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

const number = (line: LogLine, key: string): number | undefined =>
  typeof line[key] === 'number' ? (line[key] as number) : undefined;
const text = (line: LogLine, key: string): string | undefined =>
  typeof line[key] === 'string' ? (line[key] as string) : undefined;

const SHOWN_ELSEWHERE = new Set(['time', 'level', 'event', 'execution']);

/** Fields a line carries beyond the common ones, as `key=value` (for events this view does not know). */
function fieldsOf(line: LogLine): string {
  return Object.entries(line)
    .filter(([key, value]) => !SHOWN_ELSEWHERE.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}

function doneText(line: LogLine): string {
  const duration = formatDuration(number(line, 'durationMs'));
  switch (line.mode) {
    case 'backup': {
      const tables = number(line, 'tables');
      return `backup stored: ${formatBytes(number(line, 'compressedBytes'))} (${formatBytes(number(line, 'uncompressedBytes'))} of SQL), ${tables ?? '?'} ${tables === 1 ? 'table' : 'tables'} in ${duration}`;
    }
    case 'skipped':
      return `skipped: ${text(line, 'reason') ?? 'nothing to do'}`;
    case 'restore':
      return `restored into ${text(line, 'targetDatabase') ?? 'the target'}: ${formatBytes(number(line, 'uncompressedBytes'))} of SQL in ${duration}`;
    case 'verify':
      return `verified: ${text(line, 'status') ?? '?'}, ${formatBytes(number(line, 'compressedBytes'))} read in ${duration}`;
    default:
      return fieldsOf(line);
  }
}

/** What a person reads from one line: progress as bytes read → written, a run's end summed up, errors as they are. */
export function describeLogLine(line: LogLine): ShownLine {
  const clock = clockOf(line.time);
  const error = line.level === 'error';
  switch (line.event) {
    case 'progress':
      return {
        clock,
        label: line.phase ?? 'progress',
        text: `${formatBytes(line.bytesRead)} read → ${formatBytes(line.bytesWritten)} written${line.done ? ' in all' : ''}`,
        error,
      };
    case 'start':
      return { clock, label: 'start', text: `${line.mode ?? 'job'} started`, error };
    case 'spawn':
      return {
        clock,
        label: 'spawn',
        text: `${line.tool ?? 'a process'} started${number(line, 'pid') !== undefined ? ` (pid ${number(line, 'pid')})` : ''}`,
        error,
      };
    case 'done':
      return { clock, label: 'done', text: doneText(line), error };
    case 'failed':
      return { clock, label: 'failed', text: line.error ?? fieldsOf(line), error: true };
    default:
      return { clock, label: line.event, text: fieldsOf(line), error };
  }
}
