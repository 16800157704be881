import { describe, expect, it } from 'vitest';
import type { Backup } from '../../../types/backup.ts';
import type { Restore } from '../../../types/restore.ts';
import { activeJobs } from '../../../web/src/activeJobs.ts';

const backup = (id: string, status: Backup['status'], createdAt: string, startedAt?: string): Backup => ({
  id,
  sourceId: `src-${id}`,
  database: 'shop',
  status,
  trigger: 'schedule',
  createdAt,
  ...(startedAt && { startedAt }),
});
const restore = (id: string, status: Restore['status'], createdAt: string): Restore => ({
  id,
  backupId: 'b',
  sourceId: 'src-a',
  targetSourceId: 'src-b',
  targetDatabase: 'shop_copy',
  status,
  requestedBy: 'local:root',
  createdAt,
});

describe('activeJobs (the dashboard\'s "Running now")', () => {
  it('keeps only queued and running backups and restores, the longest-running first, each linked to its detail', () => {
    const jobs = activeJobs(
      [
        backup('1', 'succeeded', '2026-11-23T01:00:00.000Z'),
        backup('2', 'running', '2026-11-23T02:00:00.000Z', '2026-11-23T02:00:05.000Z'),
        backup('3', 'queued', '2026-11-23T01:30:00.000Z'),
      ],
      [restore('r1', 'running', '2026-11-23T01:45:00.000Z'), restore('r2', 'failed', '2026-11-23T00:00:00.000Z')],
    );
    expect(jobs.map((j) => [j.kind, j.id, j.status, j.since, j.href])).toEqual([
      ['backup', '3', 'queued', '2026-11-23T01:30:00.000Z', '/backups/3'],
      ['restore', 'r1', 'running', '2026-11-23T01:45:00.000Z', '/restores/r1'],
      ['backup', '2', 'running', '2026-11-23T02:00:05.000Z', '/backups/2'],
    ]);
  });

  it('names the source a restore writes to, and lists a backup seen by two queries once', () => {
    const running = backup('2', 'running', '2026-11-23T02:00:00.000Z');
    const jobs = activeJobs([running, running], [restore('r1', 'queued', '2026-11-23T01:45:00.000Z')]);
    expect(jobs).toHaveLength(2);
    expect(jobs.find((j) => j.kind === 'restore')).toMatchObject({ sourceId: 'src-b', database: 'shop_copy' });
  });

  it('is empty when nothing is queued or running', () => {
    expect(
      activeJobs(
        [backup('1', 'failed', '2026-11-23T01:00:00.000Z')],
        [restore('r', 'succeeded', '2026-11-23T01:00:00.000Z')],
      ),
    ).toEqual([]);
  });
});
