import { describe, expect, it } from 'vitest';
import { describeCron, fromCron, preview, toCron, type CronPreset } from '../../../web/src/cronBuilder.ts';

describe('the console cron builder', () => {
  const presets: [CronPreset, string][] = [
    [{ kind: 'hourly', minute: 15 }, '15 * * * *'],
    [{ kind: 'daily', hour: 2, minute: 30 }, '30 2 * * *'],
    [{ kind: 'weekly', days: [5, 1, 3], hour: 23, minute: 0 }, '0 23 * * 1,3,5'],
    [{ kind: 'monthly', day: 1, hour: 4, minute: 5 }, '5 4 1 * *'],
  ];

  it.each(presets)('turns %o into %s and reads it back to the same preset', (preset, cron) => {
    expect(toCron(preset)).toBe(cron);
    expect(fromCron(cron)).toEqual(preset.kind === 'weekly' ? { ...preset, days: [...preset.days].sort() } : preset);
  });

  it('keeps anything the presets cannot say as raw cron', () => {
    for (const cron of [
      '*/15 * * * *',
      '0 9-17 * * 1-5',
      '0 0 1 1 *',
      '0 2 1 * 1',
      '0 24 * * *',
      '61 * * * *',
      'nonsense',
    ]) {
      expect(fromCron(cron)).toEqual({ kind: 'raw', expression: cron });
    }
    expect(toCron({ kind: 'raw', expression: '  */5 * * * *  ' })).toBe('*/5 * * * *');
  });

  it('describes schedules in words', () => {
    expect(describeCron('5 * * * *')).toBe('hourly at :05');
    expect(describeCron('30 2 * * *')).toBe('daily at 02:30');
    expect(describeCron('0 23 * * 1,3,5')).toBe('weekly on Mon, Wed, Fri at 23:00');
    expect(describeCron('0 4 15 * *')).toBe('monthly on day 15 at 04:00');
    expect(describeCron('*/10 * * * *')).toBe('cron */10 * * * *');
  });

  it('previews the next three runs in the chosen time zone', () => {
    const now = new Date('2026-11-23T10:00:00Z');
    const berlin = preview('30 2 * * *', 'Europe/Berlin', now);
    expect(berlin).toEqual({ runs: expect.any(Array) });
    if (!('runs' in berlin)) throw new Error('expected runs');
    expect(berlin.runs).toHaveLength(3);
    expect(berlin.runs[0]).toMatch(/Tue, 24 Nov 2026, 02:30 CET/);
    expect(berlin.runs[2]).toMatch(/Thu, 26 Nov 2026, 02:30 CET/);
    const kolkata = preview('0 9 * * 1', 'Asia/Kolkata', now);
    if (!('runs' in kolkata)) throw new Error('expected runs');
    expect(kolkata.runs[0]).toMatch(/Mon, 30 Nov 2026, 09:00 GMT\+5:30/);
  });

  it('shows the problem instead of runs for a bad or never-running expression', () => {
    expect(preview('0 25 * * *', 'UTC')).toEqual({ problem: expect.stringMatching(/hour/) });
    expect(preview('0 0 31 2 *', 'UTC')).toEqual({ problem: expect.stringMatching(/never/) });
  });
});
