import type { Restore } from '../../types/restore.ts';

/**
 * The way back from a restore, as its page offers it. A restore overwrites only after a safety backup of the target
 * succeeded (or with the target proven absent), so a restore with no safety backup changed nothing that existed.
 */
export type WayBack =
  /** Still queued or running: whether a safety backup is needed is not decided yet. */
  | { readonly kind: 'pending' }
  /** The safety backup can be restored over the target with Roll back. */
  | { readonly kind: 'rollBack'; readonly safetyBackupId: string }
  /** Someone rolled it back already: the rollback restore. */
  | { readonly kind: 'rolledBack'; readonly by: string }
  /** It failed and rolled itself back: the target holds its contents from before the restore again. */
  | { readonly kind: 'rolledBackAutomatically'; readonly safetyBackupId: string }
  /** A safety backup exists but Roll back is not offered (the restore was cancelled): it can still be restored. */
  | { readonly kind: 'keptOnly'; readonly safetyBackupId: string }
  /** Recorded before safety backups were backup records: only the object key is known. */
  | { readonly kind: 'legacyKey'; readonly key: string }
  /** No safety backup, so nothing of the target was overwritten: `reason` says why in a sentence. */
  | { readonly kind: 'nothingToRollBackTo'; readonly reason: string };

/** What the restore's page offers to undo it (see WayBack); the role check is the page's. */
export function wayBack(restore: Restore): WayBack {
  const db = restore.targetDatabase;
  if (restore.status === 'queued' || restore.status === 'running') return { kind: 'pending' };
  if (restore.rolledBackBy) return { kind: 'rolledBack', by: restore.rolledBackBy };
  const safetyBackupId = restore.safetyBackupId;
  if (safetyBackupId) {
    if (restore.autoRollback?.status === 'succeeded') return { kind: 'rolledBackAutomatically', safetyBackupId };
    return restore.status === 'cancelled' ? { kind: 'keptOnly', safetyBackupId } : { kind: 'rollBack', safetyBackupId };
  }
  if (restore.safetyBackupKey) return { kind: 'legacyKey', key: restore.safetyBackupKey };
  return {
    kind: 'nothingToRollBackTo',
    reason:
      restore.status === 'succeeded'
        ? `${db} did not exist before this restore, so no safety backup was needed and there is nothing to roll back to.`
        : `No safety backup was taken: ${db} did not exist, or the restore stopped before changing it. There is nothing to roll back to.`,
  };
}

/** A short word beside a restore in lists: what kind of restore it is and how its automatic rollback went. */
export interface RestoreTag {
  readonly label: string;
  readonly tone: 'info' | 'good' | 'bad';
  /** The longer explanation (a tooltip and the accessible description). */
  readonly title: string;
}

/** The tags of a restore in the restores list, in reading order. */
export function restoreTags(restore: Restore): RestoreTag[] {
  const tags: RestoreTag[] = [];
  if (restore.rollbackOf) {
    tags.push({ label: 'rollback', tone: 'info', title: `Rollback of restore ${restore.rollbackOf}` });
  }
  if (restore.autoRollback?.status === 'succeeded') {
    tags.push({
      label: 'rolled back automatically',
      tone: 'good',
      title: `The restore failed; ${restore.targetDatabase} was put back from its safety backup`,
    });
  } else if (restore.autoRollback?.status === 'failed') {
    tags.push({
      label: 'automatic rollback failed',
      tone: 'bad',
      title: `The restore failed and so did putting ${restore.targetDatabase} back${restore.autoRollback.error ? `: ${restore.autoRollback.error}` : ''}`,
    });
  }
  if (restore.rolledBackBy && restore.autoRollback?.status !== 'succeeded') {
    tags.push({ label: 'rolled back', tone: 'info', title: `Rolled back by restore ${restore.rolledBackBy}` });
  }
  return tags;
}
