import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { fieldErrors } from '../../../types/zodMessages.ts';
import {
  CreateScheduleSchema,
  DEFAULT_RETENTION,
  TimeZoneSchema,
  UpdateScheduleSchema,
} from '../../../types/schedule.ts';

const errorsOf = (schema: z.ZodType, body: unknown): Record<string, string> => {
  const parsed = schema.safeParse(body);
  if (parsed.success) throw new Error(`expected ${JSON.stringify(body)} to be refused`);
  return fieldErrors(parsed.error);
};

describe('the create-schedule body', () => {
  it('fills in enabled, the GFS retention defaults (7 daily, 4 weekly, 6 monthly, manual backups apart) and no verification', () => {
    const retention = { daily: 7, weekly: 4, monthly: 6, keepLast: 0, includeManualBackups: false };
    expect(CreateScheduleSchema.parse({ cron: '0 2 * * *', timeZone: 'Europe/Berlin' })).toEqual({
      cron: '0 2 * * *',
      timeZone: 'Europe/Berlin',
      enabled: true,
      retention,
      verify: { when: 'never', testRestore: false },
    });
    expect(DEFAULT_RETENTION).toEqual(retention);
  });

  it('takes keepLast and includeManualBackups', () => {
    expect(
      CreateScheduleSchema.parse({
        cron: '0 2 * * *',
        timeZone: 'UTC',
        retention: { keepLast: 1000, includeManualBackups: true },
      }).retention,
    ).toEqual({ daily: 7, weekly: 4, monthly: 6, keepLast: 1000, includeManualBackups: true });
  });

  it('takes a verification policy and names what is wrong with one', () => {
    expect(
      CreateScheduleSchema.parse({ cron: '0 2 * * *', timeZone: 'UTC', verify: { when: 'weekly' } }).verify,
    ).toEqual({ when: 'weekly', testRestore: false });
    const bad = CreateScheduleSchema.safeParse({
      cron: '0 2 * * *',
      timeZone: 'UTC',
      verify: { when: 'daily', testRestore: 'yes' },
    });
    expect(bad.success).toBe(false);
    expect(bad.error && fieldErrors(bad.error)).toEqual({
      'verify.when': 'verify.when must be never, afterEachBackup or weekly',
      'verify.testRestore': 'verify.testRestore must be true or false',
    });
  });

  it('fills in the retention counts not sent', () => {
    expect(
      CreateScheduleSchema.parse({ cron: '0 2 * * *', timeZone: 'UTC', retention: { daily: 14 } }).retention,
    ).toEqual({ daily: 14, weekly: 4, monthly: 6, keepLast: 0, includeManualBackups: false });
  });

  it('keeps one spelling of the cron expression', () => {
    expect(CreateScheduleSchema.parse({ cron: ' 0  2 * * * ', timeZone: 'UTC' }).cron).toBe('0 2 * * *');
  });

  it.each([
    [undefined, { '(root)': 'a JSON body is required' }],
    [[], { '(root)': 'body must be a JSON object' }],
    [{}, { cron: 'cron is required', timeZone: 'timeZone is required' }],
    [
      { cron: 5, timeZone: 1 },
      { cron: 'cron must be a string', timeZone: 'timeZone must be a string' },
    ],
    [{ cron: '', timeZone: 'UTC' }, { cron: 'cron is required' }],
    [
      { cron: '0 0 * * * *', timeZone: 'UTC' },
      {
        cron: 'cron must have 5 fields (minute hour day-of-month month day-of-week), got 6 (seconds and year fields are not supported)',
      },
    ],
    [{ cron: '0 0 31 2 *', timeZone: 'UTC' }, { cron: 'cron never runs: day-of-month 31 does not occur in month 2' }],
    [{ cron: '0 0 1 * MON', timeZone: 'UTC' }, { cron: expect.stringMatching(/^EventBridge Scheduler cannot run on/) }],
    [
      { cron: '0 2 * * *', timeZone: 'Mars/Olympus_Mons' },
      { timeZone: 'timeZone must be an IANA time zone name such as Europe/Berlin, America/New_York or UTC' },
    ],
    [{ cron: '0 2 * * *', timeZone: 'UTC', enabled: 'yes' }, { enabled: 'enabled must be true or false' }],
    [{ cron: '0 2 * * *', timeZone: 'UTC', name: '' }, { name: 'name must not be empty' }],
    [
      { cron: '0 2 * * *', timeZone: 'UTC', retention: 7 },
      { retention: 'retention must be an object like {"daily": 7, "weekly": 4, "monthly": 6}' },
    ],
    [
      { cron: '0 2 * * *', timeZone: 'UTC', retention: { daily: -1, weekly: 1.5, monthly: 'six' } },
      {
        'retention.daily': 'retention.daily must be between 0 and 366',
        'retention.weekly': 'retention.weekly must be a whole number',
        'retention.monthly': 'retention.monthly must be a number',
      },
    ],
    [{ cron: '0 2 * * *', timeZone: 'UTC', retention: { yearly: 1 } }, { 'retention.yearly': 'is not a known field' }],
    [
      { cron: '0 2 * * *', timeZone: 'UTC', retention: { keepLast: 1001, includeManualBackups: 'yes' } },
      {
        'retention.keepLast': 'retention.keepLast must be between 0 and 1000',
        'retention.includeManualBackups': 'retention.includeManualBackups must be true or false',
      },
    ],
    [
      { cron: '0 2 * * *', timeZone: 'UTC', retention: { keepLast: -1 } },
      { 'retention.keepLast': 'retention.keepLast must be between 0 and 1000' },
    ],
    [
      { cron: '0 2 * * *', timeZone: 'UTC', retention: { keepLast: 2.5 } },
      { 'retention.keepLast': 'retention.keepLast must be a whole number' },
    ],
    [{ cron: '0 2 * * *', timeZone: 'UTC', sourceId: 'x' }, { sourceId: 'is not a known field' }],
  ])('refuses %j with %j', (body, fields) => {
    expect(errorsOf(CreateScheduleSchema, body)).toEqual(fields);
  });
});

describe('the update-schedule body', () => {
  it('has no defaults: only what is sent changes', () => {
    expect(UpdateScheduleSchema.parse({ retention: { weekly: 8 } })).toEqual({ retention: { weekly: 8 } });
    expect(UpdateScheduleSchema.parse({ retention: { keepLast: 3, includeManualBackups: true } })).toEqual({
      retention: { keepLast: 3, includeManualBackups: true },
    });
    expect(UpdateScheduleSchema.parse({ cron: '15 3 * * SUN' })).toEqual({ cron: '15 3 * * SUN' });
  });

  it.each([
    [undefined, { '(root)': 'a JSON body is required' }],
    [{}, { '(root)': 'send at least one field to change' }],
    [{ cron: '0 0 30 2 *' }, { cron: 'cron never runs: day-of-month 30 does not occur in month 2' }],
    [
      { timeZone: 'Berlin' },
      { timeZone: 'timeZone must be an IANA time zone name such as Europe/Berlin, America/New_York or UTC' },
    ],
    [{ enabled: false }, { enabled: 'is not a known field' }],
    [{ retention: { keepLast: 5000 } }, { 'retention.keepLast': 'retention.keepLast must be between 0 and 1000' }],
  ])('refuses %j with %j', (body, fields) => {
    expect(errorsOf(UpdateScheduleSchema, body)).toEqual(fields);
  });
});

describe('time zones', () => {
  it('accept IANA names the runtime knows, and UTC', () => {
    for (const zone of [
      'UTC',
      'Europe/Berlin',
      'America/New_York',
      'Asia/Calcutta',
      'Australia/Lord_Howe',
      'America/Argentina/Buenos_Aires',
    ])
      expect(TimeZoneSchema.safeParse(zone).success).toBe(true);
  });

  it('accept the current IANA names of zones the runtime lists under older ones (Node 20 lists Asia/Calcutta, Europe/Kiev)', () => {
    for (const zone of ['Asia/Kolkata', 'Europe/Kyiv', 'Etc/UTC', 'Etc/GMT+5'])
      expect(TimeZoneSchema.safeParse(zone).success).toBe(true);
  });

  it('refuse abbreviations, offsets, wrong case and made-up names', () => {
    for (const zone of ['CET', 'PST', 'GMT', '+02:00', 'Europe/Atlantis', 'europe/berlin', 'Europe/Berlin ', ''])
      expect(TimeZoneSchema.safeParse(zone).success).toBe(false);
  });
});
