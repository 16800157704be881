import { Link } from 'react-router';
import type { Backup } from '../../../types/backup.ts';
import { shortId } from '../format.ts';

/**
 * Who asked for a backup. A safety backup names the restore it was taken before (its way back), linked; `compact`
 * shortens the restore's id for table cells.
 */
export function BackupTrigger({ backup, compact = false }: { backup: Backup; compact?: boolean }) {
  if (backup.trigger !== 'safety') return <>{backup.trigger}</>;
  const { restoreId } = backup;
  return (
    <>
      Safety backup before{' '}
      {restoreId ? (
        <Link
          className="text-sky-700 underline dark:text-sky-400"
          to={`/restores/${encodeURIComponent(restoreId)}`}
          title={compact ? `Restore ${restoreId}` : undefined}
        >
          restore {compact ? shortId(restoreId) : restoreId}
        </Link>
      ) : (
        'a restore'
      )}
    </>
  );
}
