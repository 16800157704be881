import { describe, expect, it } from 'vitest';
import { CronError, scheduleCronProblem, toEventBridgeCron } from '../../../types/cron.ts';

describe('converting to an EventBridge Scheduler expression', () => {
  it.each([
    ['0 2 * * *', 'cron(0 2 * * ? *)'],
    ['*/15 * * * *', 'cron(0/15 * * * ? *)'],
    ['5,20,35,50 */6 * * *', 'cron(5/15 0/6 * * ? *)'],
    ['0 9 * * MON-FRI', 'cron(0 9 ? * 2-6 *)'],
    ['0 9 * * 1-5', 'cron(0 9 ? * 2-6 *)'],
    ['0 0 * * 0', 'cron(0 0 ? * 1 *)'],
    ['0 0 * * 7', 'cron(0 0 ? * 1 *)'],
    ['0 0 * * 6,0', 'cron(0 0 ? * 1,7 *)'],
    ['0 0 * * */2', 'cron(0 0 ? * 1,3,5,7 *)'],
    ['0 3 1 * *', 'cron(0 3 1 * ? *)'],
    ['0 3 1,15 * *', 'cron(0 3 1,15 * ? *)'],
    ['0 3 */7 * *', 'cron(0 3 1/7 * ? *)'],
    ['0 3 1 */3 *', 'cron(0 3 1 1/3 ? *)'],
    ['0 0 29 2 *', 'cron(0 0 29 2 ? *)'],
    ['1,2,3,5 0 * JAN,FEB,DEC *', 'cron(1-3,5 0 * 1-2,12 ? *)'],
    ['0 0-23 * * *', 'cron(0 * * * ? *)'],
    ['10,40 * * * *', 'cron(10,40 * * * ? *)'],
  ])('%s becomes %s', (cron, expression) => {
    expect(toEventBridgeCron(cron)).toBe(expression);
  });

  it('uses * and ? when either day field matching every day makes every day match (standard OR)', () => {
    expect(toEventBridgeCron('0 0 1-31 * MON')).toBe('cron(0 0 * * ? *)');
    expect(toEventBridgeCron('0 0 15 * 0-6')).toBe('cron(0 0 * * ? *)');
  });

  it('keeps the restricting field when the other starts with * (AND)', () => {
    expect(toEventBridgeCron('0 0 1-31 * */2')).toBe('cron(0 0 ? * 1,3,5,7 *)');
  });

  it('refuses day-of-month OR day-of-week, which EventBridge cannot express', () => {
    expect(() => toEventBridgeCron('0 0 1 * MON')).toThrow(CronError);
    expect(scheduleCronProblem('0 0 1 * MON')).toBe(
      'EventBridge Scheduler cannot run on "day-of-month 1 or day-of-week MON": restrict only one of them and put * in the other (or create two schedules)',
    );
  });

  it('refuses both day fields restricted under AND, which EventBridge cannot express either', () => {
    expect(scheduleCronProblem('0 0 */2 * */2')).toBe(
      'EventBridge Scheduler cannot restrict both day-of-month (*/2) and day-of-week (*/2): put * in one of them',
    );
  });

  it("stays within Scheduler's 256 characters even for the longest lists (pairs of values with gaps)", () => {
    const pairs = (min: number, max: number) => {
      const parts: string[] = [];
      for (let v = min; v <= max; v += 3) parts.push(v + 1 <= max ? `${v}-${v + 1}` : `${v}`);
      return parts.join(',');
    };
    const expression = toEventBridgeCron(`${pairs(0, 59)} ${pairs(0, 23)} ${pairs(1, 31)} ${pairs(1, 12)} *`);
    expect(expression).toBe(`cron(${pairs(0, 59)} ${pairs(0, 23)} ${pairs(1, 31)} ${pairs(1, 12)} ? *)`);
    expect(expression.length).toBeLessThanOrEqual(256);
  });

  it('passes the parser messages through', () => {
    expect(scheduleCronProblem('0 0 * * * *')).toMatch(/^cron must have 5 fields/);
    expect(scheduleCronProblem('0 0 31 2 *')).toBe('cron never runs: day-of-month 31 does not occur in month 2');
    expect(scheduleCronProblem('0 2 * * *')).toBeUndefined();
  });
});
