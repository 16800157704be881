import { describe, expect, it } from 'vitest';
import { CreateScheduleSchema } from '../../../types/schedule.ts';
import {
  scheduleBody,
  scheduleProblems,
  serverProblems,
  type ScheduleFormState,
} from '../../../web/src/scheduleForm.ts';

const STATE: ScheduleFormState = {
  sourceId: 'src-1',
  name: '',
  preset: { kind: 'weekly', days: [1, 3], hour: 3, minute: 15 },
  timeZone: 'Asia/Tokyo',
  retention: { daily: 7, weekly: 4, monthly: 6, keepLast: 0, includeManualBackups: false },
  verifyWhen: 'weekly',
};

describe('the schedule form', () => {
  it("builds the API's body from the builder: cron from the preset, a blank name left out, a name trimmed", () => {
    expect(scheduleBody(STATE)).toEqual({
      cron: '15 3 * * 1,3',
      timeZone: 'Asia/Tokyo',
      retention: { daily: 7, weekly: 4, monthly: 6, keepLast: 0, includeManualBackups: false },
      verify: { when: 'weekly', testRestore: false },
    });
    expect(scheduleBody({ ...STATE, name: '  nightly  ' }).name).toBe('nightly');
    expect(CreateScheduleSchema.safeParse(scheduleBody(STATE)).success).toBe(true);
    expect(scheduleProblems(STATE)).toEqual({});
  });

  it("refuses before sending, with the API's messages by field: an impossible cron, a negative count, no source", () => {
    const problems = scheduleProblems({
      ...STATE,
      sourceId: '',
      preset: { kind: 'raw', expression: '0 25 * * *' },
      retention: { ...STATE.retention, daily: -1 },
    });
    expect(Object.keys(problems).sort()).toEqual(['cron', 'retention.daily', 'sourceId']);
    expect(problems.sourceId).toBe('choose a data source');
    expect(problems.cron).toMatch(/hour/);
    expect(problems['retention.daily']).toMatch(/daily/);
  });

  it('sends keepLast and the manual-backup opt-in, and refuses a keepLast over 1000 by its field', () => {
    const opted = { ...STATE, retention: { ...STATE.retention, keepLast: 5, includeManualBackups: true } };
    expect(scheduleBody(opted).retention).toEqual({
      daily: 7,
      weekly: 4,
      monthly: 6,
      keepLast: 5,
      includeManualBackups: true,
    });
    expect(scheduleProblems({ ...STATE, retention: { ...STATE.retention, keepLast: 1001 } })).toEqual({
      'retention.keepLast': 'retention.keepLast must be between 0 and 1000',
    });
  });

  it("maps the API's 400 onto the form: the route's {id} is the source picker, body paths stay as they are", () => {
    expect(
      serverProblems({
        id: 'id must be 1-64 letters, digits, _ or -',
        timeZone: 'unknown time zone',
        'retention.weekly': 'too many',
      }),
    ).toEqual({
      sourceId: 'id must be 1-64 letters, digits, _ or -',
      timeZone: 'unknown time zone',
      'retention.weekly': 'too many',
    });
    expect(serverProblems(undefined)).toEqual({});
  });
});
