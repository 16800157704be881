import { skipToken, useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import type { LogLine } from '../../../types/jobLogs.ts';
import type { Restore } from '../../../types/restore.ts';
import { api } from '../api.ts';
import { describeProgress, progressOf } from '../jobProgress.ts';
import { jobLogKey } from './LogView.tsx';

/**
 * How far a running restore is: the share of the backup's stored bytes its runner has read, the pace and the time
 * left. It reads the lines the log view below fetches (its cache entry, `jobLogKey`, is only observed here, never
 * fetched a second time) and the backup's compressed size, which is what the runner's `bytesRead` counts.
 */
export function RestoreProgress({ restore }: { restore: Restore }) {
  const headingId = useId();
  const backup = useQuery({
    queryKey: ['backups', restore.backupId],
    queryFn: () => api.getBackup({ id: restore.backupId }),
  });
  const lines = useQuery<{ readonly lines: readonly LogLine[] }, Error, readonly LogLine[]>({
    queryKey: jobLogKey({ kind: 'Restore', id: restore.id }),
    queryFn: skipToken,
    select: (log) => log.lines,
  });
  const progress = progressOf(lines.data ?? [], backup.data?.compressedBytes);
  const shown = progress ? describeProgress(progress) : undefined;
  return (
    <section aria-labelledby={headingId} className="card flex flex-col gap-2">
      <h2 id={headingId} className="text-lg font-semibold">
        Progress
      </h2>
      {progress ? (
        <>
          <div
            role="progressbar"
            aria-label="Restore progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={progress.percent}
            aria-valuetext={shown}
            className="h-2 w-full overflow-hidden rounded-full bg-slate-200 dark:bg-slate-700"
          >
            <div className="h-full bg-sky-700 transition-[width]" style={{ width: `${progress.percent}%` }} />
          </div>
          <p className="text-sm tabular-nums">{shown}</p>
        </>
      ) : (
        <p className="text-sm">
          {restore.status === 'queued'
            ? 'Queued: the restore starts when the runner is up.'
            : 'Waiting for the runner’s first report on the backup it reads…'}
        </p>
      )}
    </section>
  );
}
