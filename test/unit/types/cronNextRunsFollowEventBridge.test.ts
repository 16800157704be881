import { describe, expect, it } from 'vitest';
import { nextRuns } from '../../../types/cron.ts';

const runs = (cron: string, timeZone: string, after: string, count = 3) =>
  nextRuns(cron, timeZone, new Date(after), count).map((run) => run.toISOString());

describe('next run times', () => {
  it('are strictly after the given instant, in UTC for a UTC schedule', () => {
    expect(runs('0 2 * * *', 'UTC', '2025-06-01T02:00:00Z')).toEqual([
      '2025-06-02T02:00:00.000Z',
      '2025-06-03T02:00:00.000Z',
      '2025-06-04T02:00:00.000Z',
    ]);
    expect(runs('0 2 * * *', 'UTC', '2025-06-01T01:59:59.999Z', 1)).toEqual(['2025-06-01T02:00:00.000Z']);
    expect(runs('*/20 * * * *', 'UTC', '2025-06-01T10:05:30Z')).toEqual([
      '2025-06-01T10:20:00.000Z',
      '2025-06-01T10:40:00.000Z',
      '2025-06-01T11:00:00.000Z',
    ]);
  });

  it('read the wall clock of the time zone (Tokyo is UTC+9, no DST)', () => {
    expect(runs('30 8 * * *', 'Asia/Tokyo', '2025-06-01T00:00:00Z', 2)).toEqual([
      '2025-06-01T23:30:00.000Z',
      '2025-06-02T23:30:00.000Z',
    ]);
  });

  it('roll over month and year ends, and skip months without the day', () => {
    expect(runs('0 0 31 * *', 'UTC', '2025-01-01T00:00:00Z', 4)).toEqual([
      '2025-01-31T00:00:00.000Z',
      '2025-03-31T00:00:00.000Z',
      '2025-05-31T00:00:00.000Z',
      '2025-07-31T00:00:00.000Z',
    ]);
    expect(runs('59 23 31 12 *', 'UTC', '2025-12-31T23:59:00Z', 1)).toEqual(['2026-12-31T23:59:00.000Z']);
    expect(runs('0 0 1 * *', 'Europe/Berlin', '2025-12-15T00:00:00Z', 2)).toEqual([
      '2025-12-31T23:00:00.000Z',
      '2026-01-31T23:00:00.000Z',
    ]);
  });

  it('land on February 29 in leap years only (2100 is not one)', () => {
    expect(runs('0 0 29 2 *', 'UTC', '2025-01-01T00:00:00Z')).toEqual([
      '2028-02-29T00:00:00.000Z',
      '2032-02-29T00:00:00.000Z',
      '2036-02-29T00:00:00.000Z',
    ]);
    expect(runs('0 0 29 2 *', 'UTC', '2096-03-01T00:00:00Z', 1)).toEqual(['2104-02-29T00:00:00.000Z']);
  });

  it('match day-of-month OR day-of-week when both are restricted (the 13th, and every Friday)', () => {
    expect(runs('0 0 13 * 5', 'UTC', '2025-01-01T00:00:00Z', 5)).toEqual([
      '2025-01-03T00:00:00.000Z',
      '2025-01-10T00:00:00.000Z',
      '2025-01-13T00:00:00.000Z',
      '2025-01-17T00:00:00.000Z',
      '2025-01-24T00:00:00.000Z',
    ]);
  });

  it('match day-of-month AND day-of-week when one of them starts with * (odd days that are Mondays)', () => {
    expect(runs('0 0 */2 * MON', 'UTC', '2025-01-01T00:00:00Z', 3)).toEqual([
      '2025-01-13T00:00:00.000Z',
      '2025-01-27T00:00:00.000Z',
      '2025-02-03T00:00:00.000Z',
    ]);
    // `*` in day-of-month leaves day-of-week alone: every Sunday.
    expect(runs('0 12 * * 0', 'UTC', '2025-01-01T00:00:00Z', 2)).toEqual([
      '2025-01-05T12:00:00.000Z',
      '2025-01-12T12:00:00.000Z',
    ]);
  });

  it('run every day of the range for a day-of-week range (Mon-Fri skips the weekend)', () => {
    expect(runs('0 9 * * 1-5', 'UTC', '2025-01-03T10:00:00Z', 2)).toEqual([
      '2025-01-06T09:00:00.000Z',
      '2025-01-07T09:00:00.000Z',
    ]);
  });

  it('are empty when asked for none', () => {
    expect(runs('* * * * *', 'UTC', '2025-01-01T00:00:00Z', 0)).toEqual([]);
  });
});

describe('next run times across daylight saving changes (EventBridge Scheduler: a skipped local time does not run, a repeated one runs once)', () => {
  describe('Europe/Berlin', () => {
    // 2025-03-30: 02:00 CET jumps to 03:00 CEST. 2025-10-26: 03:00 CEST falls back to 02:00 CET.
    it('spring forward: a daily 02:30 run is skipped on the day 02:30 does not exist', () => {
      expect(runs('30 2 * * *', 'Europe/Berlin', '2025-03-28T12:00:00Z')).toEqual([
        '2025-03-29T01:30:00.000Z', // 02:30 CET
        '2025-03-31T00:30:00.000Z', // 02:30 CEST; nothing on the 30th
        '2025-04-01T00:30:00.000Z',
      ]);
    });

    it('spring forward: an hourly schedule has no 02:00 run and keeps the others', () => {
      expect(runs('0 * * * *', 'Europe/Berlin', '2025-03-29T23:30:00Z', 3)).toEqual([
        '2025-03-30T00:00:00.000Z', // 01:00 CET
        '2025-03-30T01:00:00.000Z', // 03:00 CEST
        '2025-03-30T02:00:00.000Z', // 04:00 CEST
      ]);
    });

    it('spring forward: runs next to the gap keep their local time', () => {
      expect(runs('59 1 * * *', 'Europe/Berlin', '2025-03-29T12:00:00Z', 2)).toEqual([
        '2025-03-30T00:59:00.000Z',
        '2025-03-30T23:59:00.000Z',
      ]);
      expect(runs('0 3 * * *', 'Europe/Berlin', '2025-03-29T12:00:00Z', 2)).toEqual([
        '2025-03-30T01:00:00.000Z',
        '2025-03-31T01:00:00.000Z',
      ]);
    });

    it('fall back: a daily 02:30 run happens once, at the first (summer time) 02:30', () => {
      expect(runs('30 2 * * *', 'Europe/Berlin', '2025-10-24T12:00:00Z')).toEqual([
        '2025-10-25T00:30:00.000Z', // 02:30 CEST
        '2025-10-26T00:30:00.000Z', // 02:30 CEST; not again at 01:30Z (02:30 CET)
        '2025-10-27T01:30:00.000Z', // 02:30 CET
      ]);
    });

    it('fall back: an hourly schedule runs 02:00 once and goes on at 03:00 CET', () => {
      expect(runs('0 * * * *', 'Europe/Berlin', '2025-10-25T23:30:00Z', 3)).toEqual([
        '2025-10-26T00:00:00.000Z', // 02:00 CEST
        '2025-10-26T02:00:00.000Z', // 03:00 CET; 02:00 CET (01:00Z) is not repeated
        '2025-10-26T03:00:00.000Z',
      ]);
    });

    it('fall back: asked during the repeated hour, the next run is after it', () => {
      // 01:10Z is 02:10 CET, the second 02:10; 02:30 CET already ran as 02:30 CEST.
      expect(runs('30 2 * * *', 'Europe/Berlin', '2025-10-26T01:10:00Z', 1)).toEqual(['2025-10-27T01:30:00.000Z']);
    });
  });

  describe('America/New_York', () => {
    // 2025-03-09: 02:00 EST jumps to 03:00 EDT. 2025-11-02: 02:00 EDT falls back to 01:00 EST.
    it('spring forward: a daily 02:30 run is skipped on March 9', () => {
      expect(runs('30 2 * * *', 'America/New_York', '2025-03-07T12:00:00Z')).toEqual([
        '2025-03-08T07:30:00.000Z', // 02:30 EST
        '2025-03-10T06:30:00.000Z', // 02:30 EDT
        '2025-03-11T06:30:00.000Z',
      ]);
    });

    it('fall back: a daily 01:30 run happens once, at 01:30 EDT', () => {
      expect(runs('30 1 * * *', 'America/New_York', '2025-11-01T12:00:00Z')).toEqual([
        '2025-11-02T05:30:00.000Z', // 01:30 EDT; not again at 06:30Z (01:30 EST)
        '2025-11-03T06:30:00.000Z', // 01:30 EST
        '2025-11-04T06:30:00.000Z',
      ]);
    });

    it('fall back: a half-hourly schedule skips the repeated hour', () => {
      expect(runs('*/30 * * * *', 'America/New_York', '2025-11-02T04:10:00Z', 5)).toEqual([
        '2025-11-02T04:30:00.000Z', // 00:30 EDT
        '2025-11-02T05:00:00.000Z', // 01:00 EDT
        '2025-11-02T05:30:00.000Z', // 01:30 EDT
        '2025-11-02T07:00:00.000Z', // 02:00 EST
        '2025-11-02T07:30:00.000Z',
      ]);
    });
  });
});
