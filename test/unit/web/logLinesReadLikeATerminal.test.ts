import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../../types/jobLogs.ts';
import { describeLogLine } from '../../../web/src/logLines.ts';

const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:Backup:bk-1';
const at = (event: string, fields: Record<string, unknown> = {}): LogLine => ({
  time: '2026-03-01T12:00:01.250Z',
  level: 'info',
  event,
  execution: EXECUTION,
  ...fields,
});

describe('a runner log line in the console (TZ=UTC)', () => {
  it('shows progress as bytes read → written under its phase', () => {
    expect(
      describeLogLine(
        at('progress', {
          phase: 'dumping',
          bytesRead: 126_353_408,
          bytesWritten: 61_027_123,
          elapsedMs: 2000,
          done: false,
        }),
      ),
    ).toEqual({
      clock: '12:00:01',
      label: 'dumping',
      text: '120.5 MiB read → 58.2 MiB written',
      error: false,
    });
    // The last count is given whether the run then succeeds or fails: it must not read as an outcome.
    expect(
      describeLogLine(at('progress', { phase: 'restoring', bytesRead: 10, bytesWritten: 2048, done: true })).text,
    ).toBe('10 B read → 2.0 KiB written in all');
  });

  it('sums up how a run ended, and shows a failure in red with its reason', () => {
    const done = describeLogLine(
      at('done', {
        mode: 'backup',
        compressedBytes: 1024 * 1024,
        uncompressedBytes: 4 * 1024 * 1024,
        tables: 12,
        durationMs: 65_000,
        sha256: 'e'.repeat(64),
      }),
    );
    expect(done).toMatchObject({
      label: 'done',
      text: 'backup stored: 1.0 MiB (4.0 MiB of SQL), 12 tables in 1 min 5 s',
      error: false,
    });
    expect(
      describeLogLine(
        at('done', { mode: 'backup', compressedBytes: 10, uncompressedBytes: 40, tables: 1, durationMs: 104 }),
      ).text,
    ).toBe('backup stored: 10 B (40 B of SQL), 1 table in 104 ms');
    expect(describeLogLine(at('done', { mode: 'skipped', reason: 'database shop does not exist' })).text).toBe(
      'skipped: database shop does not exist',
    );
    const failed = describeLogLine(
      at('failed', { level: 'error', error: "mysqldump: Access denied for user 'keepsake'" }),
    );
    expect(failed).toMatchObject({
      label: 'failed',
      text: "mysqldump: Access denied for user 'keepsake'",
      error: true,
    });
  });

  it('names the start and spawned tools, and lists the fields of an event it does not know, without the execution', () => {
    expect(describeLogLine(at('start', { mode: 'restore' })).text).toBe('restore started');
    expect(describeLogLine(at('spawn', { tool: 'mysqldump', pid: 4242 })).text).toBe('mysqldump started (pid 4242)');
    expect(describeLogLine(at('retrying', { attempt: 2, reason: 'throttled' }))).toMatchObject({
      label: 'retrying',
      text: 'attempt=2 reason=throttled',
    });
  });
});
