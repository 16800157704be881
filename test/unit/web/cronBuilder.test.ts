import { describe, expect, it } from 'vitest';
import {
  describeCron,
  formatRun,
  fromCron,
  presetProblems,
  preview,
  runTimes,
  timeOf,
  toCron,
  withTime,
  type CronPreset,
} from '../../../web/src/cronBuilder.ts';

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

  it("previews the next three runs in the schedule's zone, labelled with it, the viewer's clock beside when it differs", () => {
    const now = new Date('2026-11-23T10:00:00Z');
    const daily = { kind: 'daily', hour: 2, minute: 30 } as const;
    expect(preview(daily, 'Europe/Berlin', 'America/New_York', now)).toEqual({
      runs: [
        { inZone: 'Tue 24 Nov 02:30 Europe/Berlin', local: 'Mon 23 Nov 20:30 America/New_York' },
        { inZone: 'Wed 25 Nov 02:30 Europe/Berlin', local: 'Tue 24 Nov 20:30 America/New_York' },
        { inZone: 'Thu 26 Nov 02:30 Europe/Berlin', local: 'Wed 25 Nov 20:30 America/New_York' },
      ],
    });
    // Viewed from the same zone, or one whose clock reads the same: once.
    expect(preview(daily, 'Europe/Berlin', 'Europe/Berlin', now)).toEqual({
      runs: expect.arrayContaining([{ inZone: 'Tue 24 Nov 02:30 Europe/Berlin' }]),
    });
    expect(runTimes(new Date('2026-11-24T01:30:00Z'), 'Europe/Berlin', 'Europe/Paris', now)).toEqual({
      inZone: 'Tue 24 Nov 02:30 Europe/Berlin',
    });
    const kolkata = preview({ kind: 'weekly', days: [1], hour: 9, minute: 0 }, 'Asia/Kolkata', 'UTC', now);
    expect(kolkata).toMatchObject({
      runs: expect.arrayContaining([{ inZone: 'Mon 30 Nov 09:00 Asia/Kolkata', local: 'Mon 30 Nov 03:30 UTC' }]),
    });
  });

  it('labels a run with its year only when it is not this year in that zone', () => {
    const now = new Date('2026-12-30T12:00:00Z');
    expect(formatRun(new Date('2026-12-31T23:30:00Z'), 'UTC', now)).toBe('Thu 31 Dec 23:30 UTC');
    expect(formatRun(new Date('2026-12-31T23:30:00Z'), 'Asia/Tokyo', now)).toBe('Fri 1 Jan 2027 08:30 Asia/Tokyo');
    expect(formatRun(new Date('2026-12-31T00:05:00Z'), 'UTC', now)).toBe('Thu 31 Dec 00:05 UTC');
  });

  it('shows the problem instead of runs for a bad or never-running expression', () => {
    expect(preview({ kind: 'raw', expression: '0 25 * * *' }, 'UTC', 'UTC')).toEqual({
      problem: expect.stringMatching(/hour/),
    });
    expect(preview({ kind: 'raw', expression: '0 0 31 2 *' }, 'UTC', 'UTC')).toEqual({
      problem: expect.stringMatching(/never/),
    });
  });

  it('refuses a weekly schedule with no day ticked instead of running it every day', () => {
    const noDay = { kind: 'weekly', days: [], hour: 2, minute: 0 } as const;
    expect(presetProblems(noDay)).toEqual({ days: 'tick at least one day of the week' });
    expect(preview(noDay, 'UTC', 'UTC')).toEqual({ problem: 'tick at least one day of the week' });
    expect(toCron(noDay)).not.toBe('0 2 * * *');
  });

  it('names the control at fault in every mode, a cleared input included', () => {
    const cases: [CronPreset, Record<string, string>][] = [
      [{ kind: 'hourly', minute: 15 }, {}],
      [{ kind: 'hourly', minute: NaN }, { minute: 'minute past the hour must be a whole number from 0 to 59' }],
      [{ kind: 'hourly', minute: 60 }, { minute: 'minute past the hour must be a whole number from 0 to 59' }],
      [{ kind: 'daily', hour: 2, minute: 0 }, {}],
      [withTime({ kind: 'daily', hour: 2, minute: 0 }, ''), { time: 'choose a time of day (HH:MM)' }],
      [{ kind: 'weekly', days: [0, 6], hour: 23, minute: 59 }, {}],
      [
        { kind: 'weekly', days: [], hour: NaN, minute: NaN },
        { days: 'tick at least one day of the week', time: 'choose a time of day (HH:MM)' },
      ],
      [{ kind: 'monthly', day: 31, hour: 4, minute: 0 }, {}],
      [
        { kind: 'monthly', day: 0, hour: 4, minute: 0 },
        { day: 'day of the month must be a whole number from 1 to 31' },
      ],
      [
        { kind: 'monthly', day: 1.5, hour: 4, minute: 0 },
        { day: 'day of the month must be a whole number from 1 to 31' },
      ],
      [
        { kind: 'monthly', day: NaN, hour: 4, minute: 0 },
        { day: 'day of the month must be a whole number from 1 to 31' },
      ],
      [{ kind: 'raw', expression: '*/5 * * * *' }, {}],
      [{ kind: 'raw', expression: '' }, { cron: 'cron is required' }],
    ];
    for (const [preset, problems] of cases) expect(presetProblems(preset), JSON.stringify(preset)).toEqual(problems);
  });

  it('reads and writes the time input: HH:MM both ways, a cleared input as no time', () => {
    const daily = withTime({ kind: 'daily', hour: 2, minute: 0 }, '07:45');
    expect(daily).toEqual({ kind: 'daily', hour: 7, minute: 45 });
    expect(timeOf(daily)).toBe('07:45');
    expect(timeOf(withTime(daily, ''))).toBe('');
    expect(withTime({ kind: 'hourly', minute: 5 }, '07:45')).toEqual({ kind: 'hourly', minute: 5 });
  });
});
