import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../../types/jobLogs.ts';
import { describeProgress, progressOf } from '../../../web/src/jobProgress.ts';
import { jobTitle } from '../../../web/src/format.ts';

const MiB = 1024 * 1024;
const line = (event: string, fields: Record<string, unknown> = {}): LogLine => ({
  time: '2026-03-01T12:00:00.000Z',
  level: 'info',
  event,
  ...fields,
});
const restoring = (bytesRead: number, elapsedMs: number, done = false) =>
  line('progress', { phase: 'restoring', bytesRead, bytesWritten: bytesRead * 4, elapsedMs, done });

describe("a restore's progress on its page", () => {
  it('is the bytes read against the stored size, at the pace of the last 30 s, with the time left', () => {
    const lines = [
      line('start', { mode: 'restore' }),
      restoring(2 * MiB, 2000),
      restoring(4 * MiB, 8000),
      restoring(10 * MiB, 34_000),
      restoring(13 * MiB, 36_000),
    ];
    const progress = progressOf(lines, 40 * MiB);
    // From 4 MiB at 8 s (the oldest report of the last 30 s) to 13 MiB at 36 s: 9 MiB in 28 s; 27 MiB to go.
    expect(progress).toEqual({
      bytesRead: 13 * MiB,
      totalBytes: 40 * MiB,
      percent: 32,
      bytesPerSecond: (9 * MiB) / 28,
      remainingMs: 84_000,
      done: false,
    });
    expect(describeProgress(progress!)).toBe('32% · 13.0 MiB of 40.0 MiB · 329.1 KiB/s · about 1 min 24 s left');
  });

  it('takes the pace from the start while only one report came, and waits for a report and a total', () => {
    expect(progressOf([restoring(1 * MiB, 2000)], 4 * MiB)).toMatchObject({ percent: 25, remainingMs: 6000 });
    expect(progressOf([line('start', { mode: 'restore' })], 4 * MiB)).toBeUndefined();
    expect(progressOf([restoring(1 * MiB, 2000)], undefined)).toBeUndefined();
    // A backup's own progress lines (another phase) are not the restore's.
    expect(progressOf([line('progress', { phase: 'dumping', bytesRead: 5, elapsedMs: 1 })], 10)).toBeUndefined();
    expect(describeProgress(progressOf([restoring(0, 0)], 10)!)).toBe('0% · 0 B of 10 B · time left not known yet');
  });

  it('says 100% only when every byte is read, and that the server is finishing until the last report', () => {
    expect(progressOf([restoring(999, 2000)], 1000)?.percent).toBe(99);
    const read = progressOf([restoring(1000, 2000)], 1000)!;
    expect(describeProgress(read)).toBe('100% · 1000 B of 1000 B · 500 B/s · all read, the server is finishing');
    expect(describeProgress(progressOf([restoring(1000, 2000), restoring(1000, 2500, true)], 1000)!)).toBe(
      '100% · 1000 B of 1000 B · 0 B/s · all read',
    );
  });
});

describe("a backup's or restore's page title (TZ=UTC)", () => {
  it('is source · database · local time', () => {
    expect(jobTitle('demo (local MariaDB)', 'keepsake_demo', '2026-03-01T12:00:00.000Z')).toBe(
      `demo (local MariaDB) · keepsake_demo · ${new Date('2026-03-01T12:00:00.000Z').toLocaleString()}`,
    );
  });
});
