import { describe, expect, it } from 'vitest';
import type { RetentionCandidate } from '../../../functions/retention/gfs.ts';
import { manualBackupsToExpire } from '../../../functions/retention/manual.ts';
import type { BackupTrigger } from '../../../types/backup.ts';

const NOW = new Date('2026-05-01T12:00:00.000Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();
const backup = (id: string, trigger: BackupTrigger, days: number, extra: Partial<RetentionCandidate> = {}) => ({
  id,
  trigger,
  status: 'succeeded' as const,
  createdAt: daysAgo(days),
  ...extra,
});

describe('manual and API backups outside schedule retention', () => {
  const nightly = backup('nightly', 'schedule', 0);

  it('go when they are 30 days old, not a moment before', () => {
    const history = [
      nightly,
      backup('manual-31', 'manual', 31),
      backup('api-30', 'api', 30),
      backup('manual-29', 'manual', 29.99),
    ];
    expect(manualBackupsToExpire(history, 30, NOW).sort()).toEqual(['api-30', 'manual-31']);
  });

  it('follow the configured number of days', () => {
    expect(manualBackupsToExpire([nightly, backup('manual-10', 'manual', 10)], 7, NOW)).toEqual(['manual-10']);
    expect(manualBackupsToExpire([nightly, backup('manual-10', 'manual', 10)], 90, NOW)).toEqual([]);
  });

  it('never take a scheduled or safety backup, nor one that is not good', () => {
    const history = [
      nightly,
      backup('old-nightly', 'schedule', 300),
      backup('old-safety', 'safety', 300),
      backup('old-failed', 'manual', 300, { status: 'failed' }),
      backup('old-corrupt', 'manual', 300, { verification: { status: 'failed' } }),
      backup('old-trashed', 'manual', 300, { trashedAt: daysAgo(1) }),
    ];
    expect(manualBackupsToExpire(history, 30, NOW)).toEqual([]);
  });

  it('keep the source’s newest good backup however old, so a source backed up by hand is never left with none', () => {
    const history = [
      backup('newest-manual', 'manual', 40),
      backup('older-manual', 'api', 50),
      backup('newer-safety', 'safety', 1),
    ];
    expect(manualBackupsToExpire(history, 30, NOW)).toEqual(['older-manual']);
  });
});
