import { describe, expect, it } from 'vitest';
import { safetyBackupsToExpire } from '../../../functions/retention/safety.ts';
import type { Backup } from '../../../types/backup.ts';
import type { Restore } from '../../../types/restore.ts';
import { SAFETY_BACKUP_KEEP_DAYS } from '../../../types/retention.ts';

const ENDED = '2026-05-01T10:00:00.000Z';
const SEVEN_DAYS_LATER = '2026-05-08T10:00:00.000Z';
const safety = (id: string, restoreId: string, extra: Partial<Backup> = {}) => ({
  id,
  trigger: 'safety' as const,
  restoreId,
  createdAt: '2026-05-01T09:00:00.000Z',
  finishedAt: '2026-05-01T09:01:00.000Z',
  ...extra,
});
const restores: Record<string, Pick<Restore, 'status' | 'finishedAt'>> = {
  done: { status: 'succeeded', finishedAt: ENDED },
  failed: { status: 'failed', finishedAt: ENDED },
  running: { status: 'running' },
};
const due = (backups: Parameters<typeof safetyBackupsToExpire>[0], at: string) =>
  safetyBackupsToExpire(backups, (id) => restores[id], new Date(at));

describe('safety backups are kept 7 days after their restore ended', () => {
  it('is 7 days', () => expect(SAFETY_BACKUP_KEEP_DAYS).toBe(7));

  it('keeps one until 7 days after its restore ended, and expires it from then on', () => {
    const backups = [safety('s1', 'done'), safety('s2', 'failed')];
    expect(due(backups, '2026-05-08T09:59:59.999Z')).toEqual([]);
    expect(due(backups, SEVEN_DAYS_LATER)).toEqual(['s1', 's2']);
  });

  it('counts from the end of the restore, not from the safety backup', () => {
    expect(
      due(
        [safety('s1', 'done', { createdAt: '2026-04-01T00:00:00.000Z', finishedAt: '2026-04-01T00:01:00.000Z' })],
        '2026-05-08T09:00:00.000Z',
      ),
    ).toEqual([]);
  });

  it('keeps one whose restore is still running, whatever its age', () => {
    expect(due([safety('s1', 'running')], '2027-01-01T00:00:00.000Z')).toEqual([]);
  });

  it('counts from its own end when its restore record is gone', () => {
    expect(due([safety('s1', 'gone')], '2026-05-08T09:00:59.999Z')).toEqual([]);
    expect(due([safety('s1', 'gone')], '2026-05-08T09:01:00.000Z')).toEqual(['s1']);
  });

  it('touches no other backup and none already in the trash', () => {
    const others = [
      { ...safety('b1', 'done'), trigger: 'schedule' as const },
      safety('s1', 'done', { trashedAt: ENDED }),
    ];
    expect(due(others, '2027-01-01T00:00:00.000Z')).toEqual([]);
  });
});
