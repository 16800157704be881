import { describe, expect, it } from 'vitest';
import { defaultRetentionFromEnv, trashGraceDaysFromEnv } from '../../../functions/retention/env.ts';
import { policyOf } from '../../../functions/retention/retentionService.ts';
import type { Retention } from '../../../types/schedule.ts';

const schedule = (id: string, createdAt: string, timeZone: string, retention: Retention) => ({
  id,
  createdAt,
  timeZone,
  retention,
});
const FALLBACK: Retention = { daily: 3, weekly: 2, monthly: 1 };

describe('the policy of a source', () => {
  it('takes each count’s maximum over its schedules and the time zone of the oldest one', () => {
    const schedules = [
      schedule('hourly', '2026-02-01T00:00:00.000Z', 'America/New_York', { daily: 14, weekly: 0, monthly: 2 }),
      schedule('nightly', '2026-01-01T00:00:00.000Z', 'Europe/Berlin', { daily: 7, weekly: 4, monthly: 6 }),
      schedule('weekly', '2026-03-01T00:00:00.000Z', 'Asia/Tokyo', { daily: 0, weekly: 8, monthly: 1 }),
    ];
    expect(policyOf(schedules, FALLBACK)).toEqual({
      retention: { daily: 14, weekly: 8, monthly: 6 },
      timeZone: 'Europe/Berlin',
    });
  });

  it('falls back to the default policy in UTC for a source without schedules', () => {
    expect(policyOf([], FALLBACK)).toEqual({ retention: FALLBACK, timeZone: 'UTC' });
  });
});

describe('retention settings from the environment', () => {
  it('DEFAULT_RETENTION: absent → 7/4/6; counts left out take their defaults; nonsense fails loudly', () => {
    expect(defaultRetentionFromEnv({})).toEqual({ daily: 7, weekly: 4, monthly: 6 });
    expect(defaultRetentionFromEnv({ DEFAULT_RETENTION: '{"daily":30}' })).toEqual({
      daily: 30,
      weekly: 4,
      monthly: 6,
    });
    expect(() => defaultRetentionFromEnv({ DEFAULT_RETENTION: 'daily=7' })).toThrow(/DEFAULT_RETENTION must be JSON/);
    expect(() => defaultRetentionFromEnv({ DEFAULT_RETENTION: '{"daily":-1}' })).toThrow(
      /retention.daily must be between 0 and 366/,
    );
    expect(() => defaultRetentionFromEnv({ DEFAULT_RETENTION: '{"yearly":1}' })).toThrow(
      /DEFAULT_RETENTION is invalid/,
    );
  });

  it('TRASH_GRACE_DAYS: absent → 7; whole days from 0; nonsense fails loudly', () => {
    expect(trashGraceDaysFromEnv({})).toBe(7);
    expect(trashGraceDaysFromEnv({ TRASH_GRACE_DAYS: '0' })).toBe(0);
    expect(trashGraceDaysFromEnv({ TRASH_GRACE_DAYS: '30' })).toBe(30);
    expect(() => trashGraceDaysFromEnv({ TRASH_GRACE_DAYS: 'a week' })).toThrow(
      /TRASH_GRACE_DAYS must be a number of days/,
    );
    expect(() => trashGraceDaysFromEnv({ TRASH_GRACE_DAYS: '1.5' })).toThrow(/TRASH_GRACE_DAYS must be a whole number/);
    expect(() => trashGraceDaysFromEnv({ TRASH_GRACE_DAYS: '-1' })).toThrow(/between 0 and 3650/);
  });
});
