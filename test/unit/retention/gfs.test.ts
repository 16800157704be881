import { describe, expect, it } from 'vitest';
import { selectRetained, type RetentionCandidate } from '../../../functions/retention/gfs.ts';
import type { BackupStatus } from '../../../types/backup.ts';
import type { Retention } from '../../../types/schedule.ts';

/**
 * Every expected set below is written out by hand from a calendar (weekdays, ISO weeks and UTC offsets are in
 * the comments), never computed by the code under test.
 */

const succeeded = (id: string, at: string, extra: Partial<RetentionCandidate> = {}): RetentionCandidate => ({
  id,
  status: 'succeeded',
  createdAt: at,
  ...extra,
});
const withStatus =
  (status: BackupStatus) =>
  (id: string, at: string): RetentionCandidate => ({ id, status, createdAt: at });
const NONE: Retention = { daily: 0, weekly: 0, monthly: 0, keepLast: 0, includeManualBackups: false };
const only = (counts: Partial<Retention>): Retention => ({ ...NONE, ...counts });

/** The plan as sets (order is checked separately), so a failure shows which ids differ. */
function plan(backups: RetentionCandidate[], policy: Retention, timeZone = 'UTC') {
  const result = selectRetained(backups, policy, timeZone);
  return { keep: result.keep.map((b) => b.id).sort(), expire: [...result.expire].sort(), raw: result };
}
const sorted = (...ids: string[]) => [...ids].sort();

describe('month boundaries', () => {
  // 2024 is a leap year. ISO weeks: Jan 29 – Feb 4 is W05, Feb 26 – Mar 3 is W09.
  const leap = [
    succeeded('jan30', '2024-01-30T12:00:00.000Z'),
    succeeded('jan31', '2024-01-31T12:00:00.000Z'),
    succeeded('feb01', '2024-02-01T12:00:00.000Z'),
    succeeded('feb28', '2024-02-28T12:00:00.000Z'),
    succeeded('feb29', '2024-02-29T12:00:00.000Z'),
    succeeded('mar01', '2024-03-01T12:00:00.000Z'),
  ];

  it('keeps the newest backup of each of the last N months: the 31st and the leap day, not the 1st before them', () => {
    const { keep, expire } = plan(leap, only({ monthly: 3 }));
    expect(keep).toEqual(sorted('mar01', 'feb29', 'jan31'));
    expect(expire).toEqual(sorted('feb28', 'feb01', 'jan30'));
  });

  it('gives every kept backup all the rules that keep it, the rules overlapping', () => {
    // daily 2: Mar 1, Feb 29. weekly 2: W09 → Mar 1, W05 → Feb 1 (Feb 28/29 are W09 too). monthly 3: Mar 1, Feb 29, Jan 31.
    const { raw } = plan(leap, only({ daily: 2, weekly: 2, monthly: 3 }));
    expect(raw.keep).toEqual([
      { id: 'mar01', reasons: ['newest', 'daily', 'weekly', 'monthly'] },
      { id: 'feb29', reasons: ['daily', 'monthly'] },
      { id: 'feb01', reasons: ['weekly'] },
      { id: 'jan31', reasons: ['monthly'] },
    ]);
    expect(raw.expire).toEqual(['feb28', 'jan30']);
  });

  it('treats Feb 28 → Mar 1 of a common year as consecutive days and different months', () => {
    const backups = [
      succeeded('feb27', '2023-02-27T23:30:00.000Z'),
      succeeded('feb28', '2023-02-28T23:30:00.000Z'),
      succeeded('mar01', '2023-03-01T00:30:00.000Z'),
    ];
    expect(plan(backups, only({ daily: 2 })).keep).toEqual(sorted('mar01', 'feb28'));
    expect(plan(backups, only({ monthly: 2 })).keep).toEqual(sorted('mar01', 'feb28'));
  });

  it('puts a backup in the month of the time zone’s calendar, not UTC’s', () => {
    const backups = [
      succeeded('feb28', '2024-02-28T15:00:00.000Z'), // New York Feb 28 10:00
      succeeded('lateFeb29', '2024-03-01T03:00:00.000Z'), // New York Feb 29 22:00 (EST, UTC-5); UTC Mar 1
      succeeded('mar01', '2024-03-01T15:00:00.000Z'), // New York Mar 1 10:00
    ];
    const newYork = plan(backups, only({ monthly: 2 }), 'America/New_York');
    expect(newYork.keep).toEqual(sorted('mar01', 'lateFeb29'));
    expect(newYork.expire).toEqual(['feb28']);
    const utc = plan(backups, only({ monthly: 2 }), 'UTC');
    expect(utc.keep).toEqual(sorted('mar01', 'feb28'));
    expect(utc.expire).toEqual(['lateFeb29']);
  });
});

describe('DST changes in the schedule’s zone', () => {
  it('Europe/Berlin spring forward (2024-03-31 02:00 CET → 03:00 CEST): the 23-hour day is one day', () => {
    const backups = [
      succeeded('mar30last', '2024-03-30T22:59:00.000Z'), // Mar 30 23:59 CET
      succeeded('mar31first', '2024-03-30T23:00:00.000Z'), // Mar 31 00:00 CET
      succeeded('mar31beforeJump', '2024-03-31T00:59:00.000Z'), // Mar 31 01:59 CET
      succeeded('mar31afterJump', '2024-03-31T01:00:00.000Z'), // Mar 31 03:00 CEST
      succeeded('mar31last', '2024-03-31T21:59:00.000Z'), // Mar 31 23:59 CEST
      succeeded('apr01first', '2024-03-31T22:00:00.000Z'), // Apr 1 00:00 CEST
    ];
    const { keep, expire } = plan(backups, only({ daily: 3 }), 'Europe/Berlin');
    expect(keep).toEqual(sorted('apr01first', 'mar31last', 'mar30last'));
    expect(expire).toEqual(sorted('mar31afterJump', 'mar31beforeJump', 'mar31first'));
    // …and Apr 1 00:00 CEST is April there, while UTC still says March 31.
    expect(plan(backups, only({ monthly: 2 }), 'Europe/Berlin').keep).toEqual(sorted('apr01first', 'mar31last'));
    expect(plan(backups, only({ monthly: 2 }), 'UTC').keep).toEqual(['apr01first']);
  });

  it('Europe/Berlin fall back (2024-10-27 03:00 CEST → 02:00 CET): the 25-hour day is one day, the second 02:30 is the newer', () => {
    const backups = [
      succeeded('oct26last', '2024-10-26T21:59:00.000Z'), // Oct 26 23:59 CEST
      succeeded('oct27first', '2024-10-26T22:00:00.000Z'), // Oct 27 00:00 CEST
      succeeded('firstTwoThirty', '2024-10-27T00:30:00.000Z'), // Oct 27 02:30 CEST
      succeeded('secondTwoThirty', '2024-10-27T01:30:00.000Z'), // Oct 27 02:30 CET
      succeeded('oct27last', '2024-10-27T22:59:00.000Z'), // Oct 27 23:59 CET
      succeeded('oct28first', '2024-10-27T23:00:00.000Z'), // Oct 28 00:00 CET
    ];
    const whole = plan(backups, only({ daily: 3 }), 'Europe/Berlin');
    expect(whole.keep).toEqual(sorted('oct28first', 'oct27last', 'oct26last'));
    expect(whole.expire).toEqual(sorted('secondTwoThirty', 'firstTwoThirty', 'oct27first'));

    const upToTheRepeatedHour = plan(backups.slice(0, 4), only({ daily: 2 }), 'Europe/Berlin');
    expect(upToTheRepeatedHour.keep).toEqual(sorted('secondTwoThirty', 'oct26last'));
    expect(upToTheRepeatedHour.expire).toEqual(sorted('firstTwoThirty', 'oct27first'));
  });

  it('America/New_York spring forward (2024-03-10 02:00 EST → 03:00 EDT): nightly 23:30 runs stay on their own days', () => {
    const backups = [
      succeeded('mar09night', '2024-03-10T04:30:00.000Z'), // Mar 9 23:30 EST (UTC-5)
      succeeded('mar10early', '2024-03-10T05:30:00.000Z'), // Mar 10 00:30 EST
      succeeded('mar10evening', '2024-03-11T00:30:00.000Z'), // Mar 10 20:30 EDT (UTC-4); UTC Mar 11
      succeeded('mar10night', '2024-03-11T03:30:00.000Z'), // Mar 10 23:30 EDT
      succeeded('mar11night', '2024-03-12T03:30:00.000Z'), // Mar 11 23:30 EDT
    ];
    const newYork = plan(backups, only({ daily: 3 }), 'America/New_York');
    expect(newYork.keep).toEqual(sorted('mar11night', 'mar10night', 'mar09night'));
    expect(newYork.expire).toEqual(sorted('mar10evening', 'mar10early'));
    // UTC days: Mar 12 (mar11night), Mar 11 (newest mar10night), Mar 10 (newest mar10early).
    expect(plan(backups, only({ daily: 3 }), 'UTC').keep).toEqual(sorted('mar11night', 'mar10night', 'mar10early'));
  });

  it('America/New_York fall back (2024-11-03 02:00 EDT → 01:00 EST): days and ISO weeks follow the local clock', () => {
    const backups = [
      succeeded('nov02last', '2024-11-03T03:59:00.000Z'), // Sat Nov 2 23:59 EDT
      succeeded('nov03first', '2024-11-03T04:00:00.000Z'), // Sun Nov 3 00:00 EDT
      succeeded('firstOneThirty', '2024-11-03T05:30:00.000Z'), // Nov 3 01:30 EDT
      succeeded('secondOneThirty', '2024-11-03T06:30:00.000Z'), // Nov 3 01:30 EST
      succeeded('nov03last', '2024-11-04T04:59:00.000Z'), // Sun Nov 3 23:59 EST; UTC Mon Nov 4
      succeeded('nov04first', '2024-11-04T05:00:00.000Z'), // Mon Nov 4 00:00 EST
    ];
    const days = plan(backups, only({ daily: 3 }), 'America/New_York');
    expect(days.keep).toEqual(sorted('nov04first', 'nov03last', 'nov02last'));
    expect(days.expire).toEqual(sorted('secondOneThirty', 'firstOneThirty', 'nov03first'));
    // ISO weeks: W45 starts Mon Nov 4 (nov04first); W44 ends Sun Nov 3 (newest: nov03last).
    expect(plan(backups, only({ weekly: 2 }), 'America/New_York').keep).toEqual(sorted('nov04first', 'nov03last'));
    // In UTC nov03last is Monday already, so W44's newest is the second 01:30.
    expect(plan(backups, only({ weekly: 2 }), 'UTC').keep).toEqual(sorted('nov04first', 'secondOneThirty'));
  });
});

describe('gaps in history', () => {
  // Daily backups May 1–10 and May 20–25, 2024 (nothing May 11–19). May 1 is a Wednesday; ISO weeks:
  // W18 Apr 29 – May 5, W19 May 6–12, W20 May 13–19 (empty), W21 May 20–26.
  const days = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 21, 22, 23, 24, 25];
  const backups = days.map((d) => succeeded(`may${d}`, `2024-05-${String(d).padStart(2, '0')}T02:00:00.000Z`));

  it('counts days and weeks that have a backup, reaching back over the gap instead of losing old backups', () => {
    const { keep, expire } = plan(backups, only({ daily: 7, weekly: 4 }));
    // daily 7: May 25–20 and May 10. weekly 4: W21 → May 25, W19 → May 10, W18 → May 5; there is no 4th week.
    expect(keep).toEqual(sorted('may25', 'may24', 'may23', 'may22', 'may21', 'may20', 'may10', 'may5'));
    expect(expire).toEqual(sorted('may1', 'may2', 'may3', 'may4', 'may6', 'may7', 'may8', 'may9'));
  });

  it('does not care in which order the backups are given, and lists both sides newest first', () => {
    const { raw } = plan([...backups].reverse(), only({ daily: 7, weekly: 4 }));
    expect(raw.keep.map((b) => b.id)).toEqual(['may25', 'may24', 'may23', 'may22', 'may21', 'may20', 'may10', 'may5']);
    expect(raw.expire).toEqual(['may9', 'may8', 'may7', 'may6', 'may4', 'may3', 'may2', 'may1']);
  });
});

describe('what retention never touches', () => {
  const failed = withStatus('failed');

  it('expires nothing of an all-failed history', () => {
    const backups = [
      failed('f1', '2024-06-01T02:00:00.000Z'),
      failed('f2', '2024-06-02T02:00:00.000Z'),
      withStatus('cancelled')('c1', '2024-06-03T02:00:00.000Z'),
    ];
    expect(selectRetained(backups, only({ daily: 1 }), 'UTC')).toEqual({ keep: [], expire: [] });
  });

  it('never expires queued or running backups, and failed ones neither count as a day nor as the newest', () => {
    const backups = [
      succeeded('jun01', '2024-06-01T02:00:00.000Z'),
      succeeded('jun02', '2024-06-02T02:00:00.000Z'),
      failed('jun03failed', '2024-06-03T02:00:00.000Z'),
      withStatus('running')('jun03running', '2024-06-03T03:00:00.000Z'),
      withStatus('queued')('jun03queued', '2024-06-03T04:00:00.000Z'),
    ];
    const { raw } = plan(backups, only({ daily: 1 }));
    expect(raw).toEqual({ keep: [{ id: 'jun02', reasons: ['newest', 'daily'] }], expire: ['jun01'] });
  });

  it('leaves backups already in the trash out of both lists and out of the counting', () => {
    const backups = [
      succeeded('jun01', '2024-06-01T02:00:00.000Z'),
      succeeded('jun02', '2024-06-02T02:00:00.000Z'),
      succeeded('jun03trashed', '2024-06-03T02:00:00.000Z', { trashedAt: '2024-06-03T09:00:00.000Z' }),
    ];
    const { keep, expire } = plan(backups, only({ daily: 1 }));
    expect(keep).toEqual(['jun02']);
    expect(expire).toEqual(['jun01']);
  });

  it('always keeps the newest succeeded backup, even with every count 0', () => {
    const backups = [
      succeeded('a', '2024-06-01T02:00:00.000Z'),
      succeeded('b', '2024-06-02T02:00:00.000Z'),
      succeeded('c', '2024-06-03T02:00:00.000Z'),
    ];
    expect(selectRetained(backups, only({}), 'UTC')).toEqual({
      keep: [{ id: 'c', reasons: ['newest'] }],
      expire: ['b', 'a'],
    });
  });

  it('keeps nothing and expires nothing when there is nothing', () => {
    expect(selectRetained([], only({ daily: 7 }), 'Europe/Berlin')).toEqual({ keep: [], expire: [] });
  });
});

describe('only good backups count: verified, unverified, corrupt and missing', () => {
  const verified = (id: string, at: string) => succeeded(id, at, { verification: { status: 'verified' } });
  const corrupt = (id: string, at: string) => succeeded(id, at, { verification: { status: 'failed' } });
  const missing = (id: string, at: string) => succeeded(id, at, { objectMissingAt: '2024-06-09T03:30:00.000Z' });

  it('daily=1 with a corrupt newest backup keeps the last good one, and leaves the corrupt one alone', () => {
    const backups = [
      succeeded('jun01', '2024-06-01T02:00:00.000Z'),
      succeeded('jun02', '2024-06-02T02:00:00.000Z'),
      corrupt('jun03corrupt', '2024-06-03T02:00:00.000Z'),
    ];
    expect(selectRetained(backups, only({ daily: 1 }), 'UTC')).toEqual({
      keep: [{ id: 'jun02', reasons: ['newest', 'daily'] }],
      expire: ['jun01'],
    });
  });

  it('a day whose newest backup is corrupt is represented by its newest good one', () => {
    const backups = [
      succeeded('jun01', '2024-06-01T02:00:00.000Z'),
      succeeded('jun02early', '2024-06-02T02:00:00.000Z'),
      corrupt('jun02late', '2024-06-02T20:00:00.000Z'),
      succeeded('jun03', '2024-06-03T02:00:00.000Z'),
    ];
    const { raw } = plan(backups, only({ daily: 2 }));
    expect(raw).toEqual({
      keep: [
        { id: 'jun03', reasons: ['newest', 'daily'] },
        { id: 'jun02early', reasons: ['daily'] },
      ],
      expire: ['jun01'],
    });
  });

  it('always keeps the newest verified backup, even behind newer unverified ones and with every count 0', () => {
    const backups = [
      verified('jun01', '2024-06-01T02:00:00.000Z'),
      verified('jun02', '2024-06-02T02:00:00.000Z'),
      succeeded('jun03', '2024-06-03T02:00:00.000Z'),
      succeeded('jun04', '2024-06-04T02:00:00.000Z'),
    ];
    expect(selectRetained(backups, only({}), 'UTC')).toEqual({
      keep: [
        { id: 'jun04', reasons: ['newest'] },
        { id: 'jun02', reasons: ['lastVerified'] },
      ],
      expire: ['jun03', 'jun01'],
    });
  });

  it('gives the newest backup both reasons when it is also the newest verified one', () => {
    const backups = [succeeded('jun01', '2024-06-01T02:00:00.000Z'), verified('jun02', '2024-06-02T02:00:00.000Z')];
    expect(selectRetained(backups, only({ daily: 1 }), 'UTC')).toEqual({
      keep: [{ id: 'jun02', reasons: ['newest', 'lastVerified', 'daily'] }],
      expire: ['jun01'],
    });
  });

  it('counts unverified backups as good: with none verified, the newest succeeded one is kept', () => {
    const backups = [succeeded('jun01', '2024-06-01T02:00:00.000Z'), succeeded('jun02', '2024-06-02T02:00:00.000Z')];
    expect(selectRetained(backups, only({}), 'UTC')).toEqual({
      keep: [{ id: 'jun02', reasons: ['newest'] }],
      expire: ['jun01'],
    });
  });

  it('never counts a backup whose object is missing: not as the newest, the last verified, nor for any period', () => {
    const backups = [
      verified('may31', '2024-05-31T02:00:00.000Z'), // W22, May
      succeeded('jun01', '2024-06-01T02:00:00.000Z'), // W22, June
      missing('jun02', '2024-06-02T02:00:00.000Z'), // W22 (Sunday), June
      succeeded('jun03', '2024-06-03T02:00:00.000Z'), // W23, June
      { ...verified('jun04', '2024-06-04T02:00:00.000Z'), objectMissingAt: '2024-06-09T03:30:00.000Z' }, // W23, June
    ];
    // daily 2: Jun 3, Jun 1. weekly 2: W23 → Jun 3, W22 → Jun 1. monthly 2: June → Jun 3, May → May 31.
    const { raw } = plan(backups, only({ daily: 2, weekly: 2, monthly: 2 }));
    expect(raw).toEqual({
      keep: [
        { id: 'jun03', reasons: ['newest', 'daily', 'weekly', 'monthly'] },
        { id: 'jun01', reasons: ['daily', 'weekly'] },
        { id: 'may31', reasons: ['lastVerified', 'monthly'] },
      ],
      expire: [],
    });
  });

  it('expires nothing of a history with no good backup', () => {
    const backups = [corrupt('jun01', '2024-06-01T02:00:00.000Z'), missing('jun02', '2024-06-02T02:00:00.000Z')];
    expect(selectRetained(backups, only({ daily: 1 }), 'UTC')).toEqual({ keep: [], expire: [] });
  });
});

describe('several backups in one day', () => {
  it('keeps only the day’s newest', () => {
    const backups = [
      succeeded('jun01', '2024-06-01T23:00:00.000Z'),
      succeeded('jun02morning', '2024-06-02T06:00:00.000Z'),
      succeeded('jun02noon', '2024-06-02T12:00:00.000Z'),
      succeeded('jun02night', '2024-06-02T23:59:59.999Z'),
    ];
    const { keep, expire } = plan(backups, only({ daily: 2, weekly: 2, monthly: 2 }));
    expect(keep).toEqual(sorted('jun02night', 'jun01'));
    expect(expire).toEqual(sorted('jun02noon', 'jun02morning'));
  });

  it('takes startedAt as the moment when there is one, and orders equal moments by id', () => {
    const backups = [
      // Queued at 23:50 on Jun 1, started after midnight: it is a Jun 2 backup.
      succeeded('queuedLate', '2024-06-01T23:50:00.000Z', { startedAt: '2024-06-02T00:10:00.000Z' }),
      succeeded('jun01', '2024-06-01T20:00:00.000Z'),
      succeeded('tie-a', '2024-06-03T02:00:00.000Z'),
      succeeded('tie-b', '2024-06-03T02:00:00.000Z'),
    ];
    const { keep, expire } = plan(backups, only({ daily: 3 }));
    expect(keep).toEqual(sorted('tie-b', 'queuedLate', 'jun01'));
    expect(expire).toEqual(['tie-a']);
  });
});

describe('ISO weeks across a year boundary', () => {
  it('Mon 2020-12-28 – Sun 2021-01-03 is one week (2020-W53), and 2021-W01 starts Mon Jan 4', () => {
    const backups = [
      succeeded('sun27', '2020-12-27T12:00:00.000Z'), // 2020-W52
      succeeded('thu31', '2020-12-31T12:00:00.000Z'), // 2020-W53
      succeeded('fri01', '2021-01-01T12:00:00.000Z'), // 2020-W53
      succeeded('sun03', '2021-01-03T12:00:00.000Z'), // 2020-W53
      succeeded('mon04', '2021-01-04T12:00:00.000Z'), // 2021-W01
    ];
    const { keep, expire } = plan(backups, only({ weekly: 3 }));
    expect(keep).toEqual(sorted('mon04', 'sun03', 'sun27'));
    expect(expire).toEqual(sorted('fri01', 'thu31'));
  });

  it('Tue 2024-12-31 already belongs to 2025-W01, with Thu 2025-01-02', () => {
    const backups = [
      succeeded('sun29', '2024-12-29T12:00:00.000Z'), // 2024-W52
      succeeded('tue31', '2024-12-31T12:00:00.000Z'), // 2025-W01
      succeeded('thu02', '2025-01-02T12:00:00.000Z'), // 2025-W01
    ];
    const { keep, expire } = plan(backups, only({ weekly: 2 }));
    expect(keep).toEqual(sorted('thu02', 'sun29'));
    expect(expire).toEqual(['tue31']);
    // Months do split there: December's newest is the 31st.
    expect(plan(backups, only({ monthly: 2 })).keep).toEqual(sorted('thu02', 'tue31'));
  });

  it('the week of a New Year’s Eve backup follows the zone: 23:30 in New York is already Jan 1 in UTC', () => {
    // Sun 2023-12-31 is the last day of 2023-W52; Mon 2024-01-01 starts 2024-W01.
    const backups = [
      succeeded('sat30', '2023-12-30T17:00:00.000Z'), // Sat Dec 30 12:00 EST
      succeeded('nye', '2024-01-01T04:30:00.000Z'), // Sun Dec 31 23:30 EST; UTC Mon Jan 1
      succeeded('jan01', '2024-01-01T17:00:00.000Z'), // Mon Jan 1 12:00 EST
    ];
    expect(plan(backups, only({ weekly: 2 }), 'America/New_York').keep).toEqual(sorted('jan01', 'nye'));
    expect(plan(backups, only({ weekly: 2 }), 'UTC').keep).toEqual(sorted('jan01', 'sat30'));
  });
});

describe('bad input', () => {
  it('refuses an unknown time zone rather than guessing', () => {
    expect(() =>
      selectRetained([succeeded('a', '2024-06-01T02:00:00.000Z')], only({ daily: 1 }), 'Mars/Olympus_Mons'),
    ).toThrow(RangeError);
  });
});

describe('safety backups', () => {
  // Restores' safety backups (trigger safety) have their own retention: GFS neither keeps nor expires them.
  const history = [
    succeeded('mon', '2026-05-04T02:00:00.000Z', { trigger: 'schedule' }),
    succeeded('tue', '2026-05-05T02:00:00.000Z', { trigger: 'schedule' }),
    succeeded('tue-safety', '2026-05-05T14:00:00.000Z', { trigger: 'safety' }),
    succeeded('wed-safety', '2026-05-06T09:00:00.000Z', { trigger: 'safety', verification: { status: 'verified' } }),
  ];

  it('leaves them out of the GFS set: not the newest, not a day, not the last verified, and never expired by it', () => {
    const { keep, expire, raw } = plan(history, only({ daily: 1 }));
    expect(keep).toEqual(['tue']);
    expect(raw.keep).toEqual([{ id: 'tue', reasons: ['newest', 'daily'] }]);
    expect(expire).toEqual(['mon']);
  });

  it('keeps nothing but the schedule backups when every count is 0', () => {
    expect(plan(history, only({})).keep).toEqual(['tue']);
  });
});

describe('keepLast', () => {
  // Four backups on one UTC day, an hour apart: daily 1 keeps only the newest of the day.
  const sameDay = ['09', '10', '11', '12'].map((h) => succeeded(`h${h}`, `2026-03-10T${h}:00:00.000Z`));

  it('keeps the newest N good backups besides GFS, each saying `last`', () => {
    const { keep, expire, raw } = plan(sameDay, only({ daily: 1, keepLast: 3 }));
    expect(keep).toEqual(sorted('h12', 'h11', 'h10'));
    expect(expire).toEqual(['h09']);
    expect(raw.keep).toEqual([
      { id: 'h12', reasons: ['newest', 'last', 'daily'] },
      { id: 'h11', reasons: ['last'] },
      { id: 'h10', reasons: ['last'] },
    ]);
  });

  it('counts good backups only: a failed or corrupt one is not one of the last N', () => {
    const backups = [
      ...sameDay,
      withStatus('failed')('failed13', '2026-03-10T13:00:00.000Z'),
      succeeded('corrupt14', '2026-03-10T14:00:00.000Z', { verification: { status: 'failed' } }),
    ];
    expect(plan(backups, only({ keepLast: 2 })).keep).toEqual(sorted('h12', 'h11'));
  });

  it('keeps everything there is when N exceeds the history', () => {
    expect(plan(sameDay, only({ keepLast: 1000 })).expire).toEqual([]);
  });
});

describe('manual and API backups', () => {
  // The story: "Back up now", then the nightly run 8 s later, with daily 1.
  const manual = succeeded('manual', '2026-03-10T02:00:00.000Z', { trigger: 'manual' });
  const api = succeeded('api', '2026-03-10T01:00:00.000Z', { trigger: 'api' });
  const nightly = succeeded('nightly', '2026-03-10T02:00:08.000Z', { trigger: 'schedule' });
  const earlier = succeeded('earlier', '2026-03-09T02:00:00.000Z', { trigger: 'schedule' });

  it('are left out of GFS: neither kept nor expired, nor counted for a day', () => {
    expect(plan([manual, api, nightly, earlier], only({ daily: 1 }))).toMatchObject({
      keep: ['nightly'],
      expire: ['earlier'],
    });
  });

  it('are thinned out with the scheduled ones when the schedule opts in', () => {
    const { keep, expire } = plan([manual, api, nightly, earlier], only({ daily: 1, includeManualBackups: true }));
    expect(keep).toEqual(['nightly']);
    expect(expire).toEqual(sorted('manual', 'api', 'earlier'));
  });
});
