import { describe, expect, it } from 'vitest';
import { CronError, cronProblem, parseCron } from '../../../types/cron.ts';

describe('parsing a cron expression', () => {
  it('reads each field into the values it allows', () => {
    const cron = parseCron('*/15 9-17 1,15 JAN-MAR mon-fri');
    expect(cron.minute.values).toEqual([0, 15, 30, 45]);
    expect(cron.hour.values).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect(cron.dayOfMonth.values).toEqual([1, 15]);
    expect(cron.month.values).toEqual([1, 2, 3]);
    expect(cron.dayOfWeek.values).toEqual([1, 2, 3, 4, 5]);
  });

  it('supports ranges with steps, a/n to the end of the field, and lists mixing them', () => {
    expect(parseCron('10-30/10 * * * *').minute.values).toEqual([10, 20, 30]);
    expect(parseCron('50/5 * * * *').minute.values).toEqual([50, 55]);
    expect(parseCron('0 0/8 * * *').hour.values).toEqual([0, 8, 16]);
    expect(parseCron('1,5-7,*/20 * * * *').minute.values).toEqual([0, 1, 5, 6, 7, 20, 40]);
  });

  it('treats day-of-week 0 and 7 as Sunday, and ranges ending at 7 as ending on Sunday', () => {
    expect(parseCron('0 0 * * 7').dayOfWeek.values).toEqual([0]);
    expect(parseCron('0 0 * * 0,7').dayOfWeek.values).toEqual([0]);
    expect(parseCron('0 0 * * 5-7').dayOfWeek.values).toEqual([0, 5, 6]);
    expect(parseCron('0 0 * * SUN,SAT').dayOfWeek.values).toEqual([0, 6]);
  });

  it('accepts extra whitespace and keeps one canonical spelling', () => {
    expect(parseCron('  0   2 *  * *  ').expression).toBe('0 2 * * *');
  });

  it('marks fields that start with * (they do not take part in the day-of-month OR day-of-week rule)', () => {
    const cron = parseCron('0 0 */2 * 1');
    expect(cron.dayOfMonth.star).toBe(true);
    expect(cron.dayOfWeek.star).toBe(false);
  });

  it('throws CronError, whose message is the one cronProblem returns', () => {
    expect(() => parseCron('61 * * * *')).toThrow(CronError);
    expect(cronProblem('61 * * * *')).toBe('minute: 61 is out of range 0-59');
    expect(cronProblem('0 2 * * *')).toBeUndefined();
  });

  it.each([
    [
      '0 0 * * * *',
      'cron must have 5 fields (minute hour day-of-month month day-of-week), got 6 (seconds and year fields are not supported)',
    ],
    ['0 0 * *', 'cron must have 5 fields (minute hour day-of-month month day-of-week), got 4'],
    ['', 'cron must have 5 fields (minute hour day-of-month month day-of-week), got 0'],
    ['@daily', 'cron must have 5 fields (minute hour day-of-month month day-of-week), got 1'],
    ['60 * * * *', 'minute: 60 is out of range 0-59'],
    ['* 24 * * *', 'hour: 24 is out of range 0-23'],
    ['* * 0 * *', 'day-of-month: 0 is out of range 1-31'],
    ['* * 32 * *', 'day-of-month: 32 is out of range 1-31'],
    ['* * * 0 *', 'month: 0 is out of range 1-12 or JAN-DEC'],
    ['* * * 13 *', 'month: 13 is out of range 1-12 or JAN-DEC'],
    ['* * * * 8', 'day-of-week: 8 is out of range 0-7 or SUN-SAT'],
    ['* * * FOO *', 'month: "FOO" is not a number or a name (1-12 or JAN-DEC)'],
    ['* * * * SUNDAY', 'day-of-week: "SUNDAY" is not a number or a name (0-7 or SUN-SAT)'],
    ['x * * * *', 'minute: "x" is not a number (0-59)'],
    ['-5 * * * *', 'minute: "-5" is not a range like 1-5'],
    ['1-2-3 * * * *', 'minute: "1-2-3" is not a range like 1-5'],
    ['30-10 * * * *', 'minute: range 30-10 runs backwards; write the low end first'],
    ['*/0 * * * *', 'minute: step "0" in "*/0" must be a whole number of at least 1'],
    ['*/x * * * *', 'minute: step "x" in "*/x" must be a whole number of at least 1'],
    ['*/5/2 * * * *', 'minute: "*/5/2" has more than one /'],
    ['/5 * * * *', 'minute: "/5" needs a value or * before the /'],
    ['1,,2 * * * *', 'minute: "1,,2" has an empty list item'],
    ['0 0 ? * MON', 'day-of-month: "?" is not standard cron; use *'],
    ['0 0 31 2 *', 'cron never runs: day-of-month 31 does not occur in month 2'],
    ['0 0 30 2 *', 'cron never runs: day-of-month 30 does not occur in month 2'],
    ['0 0 31 4,6,9,11 *', 'cron never runs: day-of-month 31 does not occur in month 4,6,9,11'],
    ['0 0 30,31 FEB *', 'cron never runs: day-of-month 30,31 does not occur in month FEB'],
  ])('%j is refused: %s', (expression, message) => {
    expect(cronProblem(expression)).toBe(message);
  });

  it('accepts dates that exist only in some years or only through the day-of-week', () => {
    expect(cronProblem('0 0 29 2 *')).toBeUndefined();
    expect(cronProblem('0 0 31 2 MON')).toBeUndefined();
    expect(cronProblem('0 0 30,31 1-2 *')).toBeUndefined();
  });
});
