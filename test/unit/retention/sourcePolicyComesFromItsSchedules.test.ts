import { describe, expect, it } from 'vitest';
import {
  defaultRetentionFromEnv,
  manualBackupKeepDaysFromEnv,
  trashGraceDaysFromEnv,
} from '../../../functions/retention/env.ts';
import { gfsReason, policyOf } from '../../../functions/retention/retentionService.ts';
import type { Retention } from '../../../types/schedule.ts';

const schedule = (id: string, createdAt: string, timeZone: string, retention: Partial<Retention>) => ({
  id,
  createdAt,
  timeZone,
  retention: { daily: 0, weekly: 0, monthly: 0, keepLast: 0, includeManualBackups: false, ...retention },
});
const FALLBACK: Retention = { daily: 3, weekly: 2, monthly: 1, keepLast: 0, includeManualBackups: false };

describe('the policy of a source', () => {
  it('takes each count’s maximum over its schedules and the time zone of the oldest one', () => {
    const schedules = [
      schedule('hourly', '2026-02-01T00:00:00.000Z', 'America/New_York', { daily: 14, weekly: 0, monthly: 2 }),
      schedule('nightly', '2026-01-01T00:00:00.000Z', 'Europe/Berlin', { daily: 7, weekly: 4, monthly: 6 }),
      schedule('weekly', '2026-03-01T00:00:00.000Z', 'Asia/Tokyo', { daily: 0, weekly: 8, monthly: 1 }),
    ];
    expect(policyOf(schedules, FALLBACK)).toEqual({
      retention: { daily: 14, weekly: 8, monthly: 6, keepLast: 0, includeManualBackups: false },
      timeZone: 'Europe/Berlin',
    });
  });

  it('keeps the largest keepLast and takes manual backups into GFS when any schedule opts in', () => {
    const schedules = [
      schedule('nightly', '2026-01-01T00:00:00.000Z', 'UTC', { daily: 7, keepLast: 3 }),
      schedule('hourly', '2026-02-01T00:00:00.000Z', 'UTC', { keepLast: 10, includeManualBackups: true }),
    ];
    expect(policyOf(schedules, FALLBACK).retention).toEqual({
      daily: 7,
      weekly: 0,
      monthly: 0,
      keepLast: 10,
      includeManualBackups: true,
    });
    expect(policyOf(schedules.slice(0, 1), FALLBACK).retention.includeManualBackups).toBe(false);
  });

  it('says in words why GFS let a backup go', () => {
    expect(gfsReason({ retention: { ...FALLBACK, daily: 7, weekly: 4, monthly: 6 }, timeZone: 'Europe/Berlin' })).toBe(
      'GFS: not among the newest 7 daily, 4 weekly or 6 monthly backups (days in Europe/Berlin)',
    );
    expect(
      gfsReason({ retention: { ...FALLBACK, daily: 1, weekly: 0, monthly: 0, keepLast: 3 }, timeZone: 'UTC' }),
    ).toBe('GFS: not among the 3 latest backups nor the newest 1 daily (days in UTC)');
    expect(gfsReason({ retention: { ...FALLBACK, daily: 0, weekly: 0, monthly: 0 }, timeZone: 'UTC' })).toBe(
      'GFS: every count is 0, so only the newest backup is kept',
    );
  });

  it('falls back to the default policy in UTC for a source without schedules', () => {
    expect(policyOf([], FALLBACK)).toEqual({ retention: FALLBACK, timeZone: 'UTC' });
  });
});

describe('retention settings from the environment', () => {
  it('DEFAULT_RETENTION: absent → 7/4/6; counts left out take their defaults; nonsense fails loudly', () => {
    const defaults = { daily: 7, weekly: 4, monthly: 6, keepLast: 0, includeManualBackups: false };
    expect(defaultRetentionFromEnv({})).toEqual(defaults);
    expect(defaultRetentionFromEnv({ DEFAULT_RETENTION: '{"daily":30,"keepLast":5}' })).toEqual({
      ...defaults,
      daily: 30,
      keepLast: 5,
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

  it('MANUAL_BACKUP_KEEP_DAYS: absent → 30; whole days from 1; nonsense fails loudly', () => {
    expect(manualBackupKeepDaysFromEnv({})).toBe(30);
    expect(manualBackupKeepDaysFromEnv({ MANUAL_BACKUP_KEEP_DAYS: '90' })).toBe(90);
    expect(() => manualBackupKeepDaysFromEnv({ MANUAL_BACKUP_KEEP_DAYS: 'a month' })).toThrow(
      /MANUAL_BACKUP_KEEP_DAYS must be a number of days, got a month/,
    );
    expect(() => manualBackupKeepDaysFromEnv({ MANUAL_BACKUP_KEEP_DAYS: '0' })).toThrow(/between 1 and 3650/);
  });
});
