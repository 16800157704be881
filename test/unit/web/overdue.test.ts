import { describe, expect, it } from 'vitest';
import type { Schedule } from '../../../types/schedule.ts';
import { isOverdue } from '../../../web/src/overdue.ts';

const NOW = new Date('2026-11-23T12:00:00Z'); // a Monday
const schedule = (cron: string, enabled = true, createdAt = '2026-11-01T00:00:00Z'): Schedule =>
  ({
    id: 's',
    sourceId: 'src',
    cron,
    timeZone: 'UTC',
    enabled,
    createdAt,
    updatedAt: createdAt,
    retention: { daily: 7, weekly: 4, monthly: 6 },
    verify: { when: 'never', testRestore: false },
    nextRuns: [],
  }) as unknown as Schedule;

describe('the dashboard calls a source overdue', () => {
  it('when its last success is older than twice its schedule interval', () => {
    expect(isOverdue('2026-11-22T02:00:00Z', [schedule('0 2 * * *')], NOW)).toBe(false);
    expect(isOverdue('2026-11-21T02:00:00Z', [schedule('0 2 * * *')], NOW)).toBe(true);
  });

  it('by the longest gap of the schedule, so a weekday-only one is not overdue on Monday', () => {
    expect(isOverdue('2026-11-20T02:00:00Z', [schedule('0 2 * * 1-5')], NOW)).toBe(false);
  });

  it('by the most frequent active schedule, ignoring paused ones', () => {
    expect(isOverdue('2026-11-23T08:00:00Z', [schedule('0 * * * *'), schedule('0 2 * * *')], NOW)).toBe(true);
    expect(isOverdue('2026-11-23T08:00:00Z', [schedule('0 * * * *', false), schedule('0 2 * * *')], NOW)).toBe(false);
  });

  it('from the schedule creation when it never succeeded, and never without an active schedule', () => {
    expect(isOverdue(undefined, [schedule('0 2 * * *', true, '2026-11-23T00:00:00Z')], NOW)).toBe(false);
    expect(isOverdue(undefined, [schedule('0 2 * * *', true, '2026-11-01T00:00:00Z')], NOW)).toBe(true);
    expect(isOverdue('2020-01-01T00:00:00Z', [], NOW)).toBe(false);
  });
});
