import { describe, expect, it } from 'vitest';
import { CreateScheduleSchema, UpdateScheduleSchema, type Schedule } from '../../../types/schedule.ts';
import {
  formState,
  scheduleBody,
  scheduleChanges,
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

  it('refuses a weekly schedule with no day ticked by the days, and says nothing else about its cron', () => {
    expect(scheduleProblems({ ...STATE, preset: { kind: 'weekly', days: [], hour: 3, minute: 15 } })).toEqual({
      days: 'tick at least one day of the week',
    });
    expect(scheduleProblems({ ...STATE, preset: { kind: 'daily', hour: NaN, minute: NaN } })).toEqual({
      time: 'choose a time of day (HH:MM)',
    });
    expect(scheduleProblems({ ...STATE, retention: { ...STATE.retention, weekly: NaN } })['retention.weekly']).toMatch(
      /weekly must be a number/,
    );
  });
});

describe('editing a schedule', () => {
  const SCHEDULE: Schedule = {
    id: 'sch-1',
    sourceId: 'src-1',
    name: 'nightly',
    cron: '15 3 * * 1,3',
    timeZone: 'Asia/Tokyo',
    enabled: true,
    retention: { daily: 7, weekly: 4, monthly: 6, keepLast: 3, includeManualBackups: true },
    verify: { when: 'afterEachBackup', testRestore: true },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    nextRuns: [],
  };

  it('opens on the builder and fields the schedule was made with, and sends nothing when nothing changed', () => {
    const state = formState(SCHEDULE);
    expect(state).toEqual({
      sourceId: 'src-1',
      name: 'nightly',
      preset: { kind: 'weekly', days: [1, 3], hour: 3, minute: 15 },
      timeZone: 'Asia/Tokyo',
      retention: { daily: 7, weekly: 4, monthly: 6, keepLast: 3, includeManualBackups: true },
      verifyWhen: 'afterEachBackup',
    });
    expect(scheduleChanges(SCHEDULE, state)).toEqual({});
    expect(formState({ ...SCHEDULE, name: undefined, cron: '*/5 * * * *' })).toMatchObject({
      name: '',
      preset: { kind: 'raw', expression: '*/5 * * * *' },
    });
  });

  it('sends only what changed: the new time and zone, one retention count, a blanked name as null', () => {
    const state = formState(SCHEDULE);
    const changes = scheduleChanges(SCHEDULE, {
      ...state,
      name: '  ',
      preset: { kind: 'weekly', days: [1, 3], hour: 2, minute: 0 },
      timeZone: 'Europe/Berlin',
      retention: { ...state.retention, weekly: 8 },
    });
    expect(changes).toEqual({ name: null, cron: '0 2 * * 1,3', timeZone: 'Europe/Berlin', retention: { weekly: 8 } });
    expect(UpdateScheduleSchema.safeParse(changes).success).toBe(true);
    expect(scheduleChanges(SCHEDULE, { ...state, verifyWhen: 'never' })).toEqual({ verify: { when: 'never' } });
    expect(scheduleChanges({ ...SCHEDULE, name: undefined }, { ...state, name: 'weekdays' })).toEqual({
      name: 'weekdays',
    });
  });
});
