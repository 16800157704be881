import type { Backup } from '../../types/backup.ts';
import type { Restore } from '../../types/restore.ts';
import { SAFETY_BACKUP_KEEP_DAYS } from '../../types/retention.ts';

const DAY_MS = 86_400_000;

/**
 * The safety backups (trigger `safety`) whose time is up: their restore ended (succeeded, failed or cancelled)
 * at least `SAFETY_BACKUP_KEEP_DAYS` before `now`. One whose restore is still queued or running is kept; one whose
 * restore record is gone counts from its own end. Others (not `safety`, already in the trash) are not its to touch.
 * Pure: `restoreOf` is the restore each one names, as read just before.
 */
export function safetyBackupsToExpire(
  backups: readonly Pick<Backup, 'id' | 'trigger' | 'restoreId' | 'finishedAt' | 'createdAt' | 'trashedAt'>[],
  restoreOf: (restoreId: string) => Pick<Restore, 'status' | 'finishedAt'> | undefined,
  now: Date,
): string[] {
  const cutoff = now.getTime() - SAFETY_BACKUP_KEEP_DAYS * DAY_MS;
  return backups
    .filter((b) => {
      if (b.trigger !== 'safety' || b.trashedAt !== undefined) return false;
      const restore = b.restoreId === undefined ? undefined : restoreOf(b.restoreId);
      if (restore && (restore.status === 'queued' || restore.status === 'running')) return false;
      const endedAt = Date.parse((restore ? restore.finishedAt : b.finishedAt) ?? b.createdAt);
      return !Number.isNaN(endedAt) && endedAt <= cutoff;
    })
    .map((b) => b.id);
}
