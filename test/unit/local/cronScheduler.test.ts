import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  firesWithin,
  startCronScheduler,
  type CronEntry,
  type CronScheduler,
} from '../../../scripts/local/cronScheduler.ts';

const MINUTE = 60_000;

const entry = (cron: string, timeZone = 'UTC', id = cron): CronEntry => ({ id, cron, timeZone });
const utc = (iso: string): Date => new Date(iso);
const iso = (date: Date | undefined): string | undefined => date?.toISOString();

/** The fire times the scheduler's ticks (a minute apart, just past the minute) would see between two instants. */
function firesTickingEveryMinute(cronEntry: CronEntry, from: Date, to: Date): string[] {
  const fired: string[] = [];
  for (let tick = from.getTime(); tick < to.getTime(); tick += MINUTE) {
    const at = firesWithin(cronEntry, new Date(tick + 250), new Date(tick + MINUTE + 250));
    if (at) fired.push(at.toISOString());
  }
  return fired;
}

describe('when a cron entry fires within a window', () => {
  const everyMinute = entry('* * * * *');

  it('fires an every-minute cron at the minute boundary inside the window', () => {
    expect(iso(firesWithin(everyMinute, utc('2026-01-15T10:00:30Z'), utc('2026-01-15T10:01:30Z')))).toBe(
      '2026-01-15T10:01:00.000Z',
    );
  });

  it('excludes the start of the window and includes its end', () => {
    // A run at `from` belongs to the previous window; the next one is at `to`.
    expect(iso(firesWithin(everyMinute, utc('2026-01-15T10:00:00Z'), utc('2026-01-15T10:01:00Z')))).toBe(
      '2026-01-15T10:01:00.000Z',
    );
    expect(firesWithin(everyMinute, utc('2026-01-15T10:00:00Z'), utc('2026-01-15T10:00:59.999Z'))).toBeUndefined();
    expect(firesWithin(everyMinute, utc('2026-01-15T10:01:00Z'), utc('2026-01-15T10:01:59.999Z'))).toBeUndefined();
  });

  it('runs a daily Europe/Berlin cron at its local time: 01:00Z in winter (CET), 00:00Z in summer (CEST)', () => {
    const daily = entry('0 2 * * *', 'Europe/Berlin');
    expect(iso(firesWithin(daily, utc('2026-01-15T00:59:00Z'), utc('2026-01-15T01:00:00Z')))).toBe(
      '2026-01-15T01:00:00.000Z',
    );
    expect(iso(firesWithin(daily, utc('2026-07-14T23:59:00Z'), utc('2026-07-15T00:00:00Z')))).toBe(
      '2026-07-15T00:00:00.000Z',
    );
    // 02:00 UTC is not 02:00 in Berlin.
    expect(firesWithin(daily, utc('2026-01-15T01:59:00Z'), utc('2026-01-15T02:00:00Z'))).toBeUndefined();
  });

  it('returns undefined for a window without a run', () => {
    const daily = entry('0 2 * * *', 'Europe/Berlin');
    expect(firesWithin(daily, utc('2026-01-15T01:00:00Z'), utc('2026-01-16T00:59:59.999Z'))).toBeUndefined();
  });

  it('skips a local time that does not exist on the spring-forward day (Europe/Berlin, 2026-03-29)', () => {
    const halfPastTwo = entry('30 2 * * *', 'Europe/Berlin');
    // The whole local day: 00:00 CET = 23:00Z the day before, 24:00 CEST = 22:00Z.
    expect(firesWithin(halfPastTwo, utc('2026-03-28T23:00:00Z'), utc('2026-03-29T22:00:00Z'))).toBeUndefined();
    expect(firesTickingEveryMinute(halfPastTwo, utc('2026-03-28T23:00:00Z'), utc('2026-03-29T22:00:00Z'))).toEqual([]);
    // Not moved to 03:30 CEST: the next run is the following day's 02:30 CEST.
    expect(iso(firesWithin(halfPastTwo, utc('2026-03-28T23:00:00Z'), utc('2026-03-30T22:00:00Z')))).toBe(
      '2026-03-30T00:30:00.000Z',
    );
    expect(firesTickingEveryMinute(halfPastTwo, utc('2026-03-27T23:00:00Z'), utc('2026-03-30T22:00:00Z'))).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
  });

  it('runs a repeated local time once on the fall-back day (Europe/Berlin, 2026-10-25)', () => {
    const halfPastTwo = entry('30 2 * * *', 'Europe/Berlin');
    // The whole local day: 00:00 CEST = 22:00Z the day before, 24:00 CET = 23:00Z. 02:30 happens at 00:30Z and 01:30Z.
    expect(iso(firesWithin(halfPastTwo, utc('2026-10-24T22:00:00Z'), utc('2026-10-25T23:00:00Z')))).toBe(
      '2026-10-25T00:30:00.000Z',
    );
    expect(firesWithin(halfPastTwo, utc('2026-10-25T00:30:00Z'), utc('2026-10-25T23:00:00Z'))).toBeUndefined();
    expect(firesTickingEveryMinute(halfPastTwo, utc('2026-10-24T22:00:00Z'), utc('2026-10-25T23:00:00Z'))).toEqual([
      '2026-10-25T00:30:00.000Z',
    ]);
  });

  it('reads the same cron in each entry’s own time zone, half-hour offsets included', () => {
    const from = utc('2026-01-14T12:00:00Z');
    const to = utc('2026-01-15T12:00:00Z');
    const newYork = firesWithin(entry('0 2 * * *', 'America/New_York'), from, to);
    const kolkata = firesWithin(entry('0 2 * * *', 'Asia/Kolkata'), from, to);
    expect(iso(newYork)).toBe('2026-01-15T07:00:00.000Z');
    expect(iso(kolkata)).toBe('2026-01-14T20:30:00.000Z');
    expect(newYork?.getTime()).not.toBe(kolkata?.getTime());
  });
});

describe('the local cron scheduler', () => {
  let scheduler: CronScheduler | undefined;
  let fired: { id: string; at: string }[];
  let errors: unknown[];

  const record = async (cronEntry: CronEntry, at: Date): Promise<void> => {
    fired.push({ id: cronEntry.id, at: at.toISOString() });
  };

  beforeEach(() => {
    vi.useFakeTimers();
    fired = [];
    errors = [];
    scheduler = undefined;
  });

  afterEach(async () => {
    await scheduler?.stop();
    vi.useRealTimers();
  });

  const start = (options: {
    entries: () => Promise<readonly CronEntry[]>;
    fire?: (cronEntry: CronEntry, at: Date) => Promise<void>;
  }): CronScheduler => {
    scheduler = startCronScheduler({
      entries: options.entries,
      fire: options.fire ?? record,
      onError: (error) => errors.push(error),
      now: () => new Date(),
    });
    return scheduler;
  };

  it('fires an every-minute entry once per minute, at the minute boundary', async () => {
    vi.setSystemTime(utc('2026-01-15T10:00:10Z'));
    start({ entries: async () => [entry('* * * * *', 'UTC', 'every')] });

    await vi.advanceTimersByTimeAsync(49_000); // 10:00:59
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(3 * MINUTE); // 10:03:59
    expect(fired).toEqual([
      { id: 'every', at: '2026-01-15T10:01:00.000Z' },
      { id: 'every', at: '2026-01-15T10:02:00.000Z' },
      { id: 'every', at: '2026-01-15T10:03:00.000Z' },
    ]);
    expect(errors).toEqual([]);
  });

  it('re-reads the entries on every tick: an added entry fires from the next minute, a removed one stops', async () => {
    vi.setSystemTime(utc('2026-01-15T10:00:10Z'));
    const list: CronEntry[] = [entry('* * * * *', 'UTC', 'a')];
    const entries = vi.fn(async () => [...list]);
    start({ entries });

    await vi.advanceTimersByTimeAsync(MINUTE); // 10:01:10
    expect(fired).toEqual([{ id: 'a', at: '2026-01-15T10:01:00.000Z' }]);

    list.push(entry('* * * * *', 'UTC', 'b'));
    await vi.advanceTimersByTimeAsync(MINUTE); // 10:02:10
    expect(fired.slice(1)).toEqual([
      { id: 'a', at: '2026-01-15T10:02:00.000Z' },
      { id: 'b', at: '2026-01-15T10:02:00.000Z' },
    ]);

    list.splice(0, 1);
    await vi.advanceTimersByTimeAsync(MINUTE); // 10:03:10
    expect(fired.slice(3)).toEqual([{ id: 'b', at: '2026-01-15T10:03:00.000Z' }]);
    expect(entries).toHaveBeenCalledTimes(3);
  });

  it('does not catch up on runs missed before it started', async () => {
    vi.setSystemTime(utc('2026-01-15T10:00:30Z'));
    start({ entries: async () => [entry('0 10 * * *', 'UTC', 'missed'), entry('5 10 * * *', 'UTC', 'later')] });

    await vi.advanceTimersByTimeAsync(5 * MINUTE); // 10:05:30
    expect(fired).toEqual([{ id: 'later', at: '2026-01-15T10:05:00.000Z' }]);
  });

  it('reports a failing fire to onError and still fires the next minute', async () => {
    vi.setSystemTime(utc('2026-01-15T10:00:10Z'));
    const boom = new Error('start failed');
    let calls = 0;
    start({
      entries: async () => [entry('* * * * *', 'UTC', 'flaky')],
      fire: async (cronEntry, at) => {
        calls += 1;
        if (calls === 1) throw boom;
        await record(cronEntry, at);
      },
    });

    await vi.advanceTimersByTimeAsync(MINUTE); // 10:01:10
    expect(errors).toEqual([boom]);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(MINUTE); // 10:02:10
    expect(fired).toEqual([{ id: 'flaky', at: '2026-01-15T10:02:00.000Z' }]);
    expect(errors).toEqual([boom]);
  });

  it('fires the other entries of a tick when one entry’s fire fails', async () => {
    vi.setSystemTime(utc('2026-01-15T10:00:10Z'));
    const boom = new Error('this one fails');
    start({
      entries: async () => [entry('* * * * *', 'UTC', 'bad'), entry('* * * * *', 'UTC', 'good')],
      fire: async (cronEntry, at) => {
        if (cronEntry.id === 'bad') throw boom;
        await record(cronEntry, at);
      },
    });

    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(fired).toEqual([{ id: 'good', at: '2026-01-15T10:01:00.000Z' }]);
    expect(errors).toEqual([boom]);
  });

  it('reports a failing read of the entries to onError and keeps ticking', async () => {
    vi.setSystemTime(utc('2026-01-15T10:00:10Z'));
    const unreachable = new Error('table unreachable');
    let reads = 0;
    start({
      entries: async () => {
        reads += 1;
        if (reads === 1) throw unreachable;
        return [entry('* * * * *', 'UTC', 'every')];
      },
    });

    await vi.advanceTimersByTimeAsync(MINUTE); // 10:01:10
    expect(errors).toEqual([unreachable]);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(2 * MINUTE); // 10:03:10
    expect(fired.map((f) => f.at)).toEqual(
      expect.arrayContaining(['2026-01-15T10:02:00.000Z', '2026-01-15T10:03:00.000Z']),
    );
    expect(reads).toBe(3);
    expect(errors).toEqual([unreachable]);
  });

  it('fires nothing more once stopped', async () => {
    vi.setSystemTime(utc('2026-01-15T10:00:10Z'));
    const entries = vi.fn(async () => [entry('* * * * *', 'UTC', 'every')]);
    const running = start({ entries });

    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(fired).toHaveLength(1);
    await running.stop();
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    expect(fired).toHaveLength(1);
    expect(entries).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits for a fire under way before stop resolves, and schedules no tick after it', async () => {
    vi.setSystemTime(utc('2026-01-15T10:00:10Z'));
    const events: string[] = [];
    let finish: () => void = () => undefined;
    const running = start({
      entries: async () => [entry('* * * * *', 'UTC', 'slow')],
      fire: async () => {
        events.push('fire started');
        await new Promise<void>((resolve) => (finish = resolve));
        events.push('fire finished');
      },
    });

    await vi.advanceTimersByTimeAsync(MINUTE); // the 10:01 fire is under way
    expect(events).toEqual(['fire started']);

    let stopped = false;
    const stopping = running.stop().then(() => {
      stopped = true;
      events.push('stopped');
    });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(stopped).toBe(false);

    finish();
    await stopping;
    expect(events).toEqual(['fire started', 'fire finished', 'stopped']);

    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    expect(events).toEqual(['fire started', 'fire finished', 'stopped']);
    expect(errors).toEqual([]);
  });
});
