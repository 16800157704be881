import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useLayoutEffect, useRef, useState } from 'react';
import type { LogLine, LogPage } from '../../../types/jobLogs.ts';
import { api, errorMessage } from '../api.ts';
import { describeLogLine } from '../logLines.ts';

/** Lines kept in the page: a six-hour backup logs ~11,000 progress lines; the oldest go first. */
const MAX_KEPT = 5000;
/** Pages read in one go when the API says more are waiting (catching up on a long log). */
const MAX_PAGES_PER_FETCH = 10;
/** CloudWatch Logs may take a few seconds to make the last lines searchable: keep polling this long after the end. */
const SETTLE_MS = 30_000;
const POLL_MS = 2000;

interface LogState {
  readonly lines: LogLine[];
  readonly dropped: number;
  readonly cursor?: string;
  readonly running: boolean;
}

const atBottom = (el: HTMLElement) => el.scrollHeight - el.scrollTop - el.clientHeight < 24;

/** Whose log: a backup's or a restore's, by id. */
export interface JobLog {
  readonly kind: 'Backup' | 'Restore';
  readonly id: string;
}

/** The cache entry of a job's log: fetched by the log view, only observed elsewhere (a restore's progress). */
export const jobLogKey = (job: JobLog) => ['job-logs', job.kind, job.id];

const readLog = (job: JobLog, cursor: string | undefined): Promise<LogPage> =>
  job.kind === 'Backup' ? api.getBackupLogs({ id: job.id, cursor }) : api.getRestoreLogs({ id: job.id, cursor });

/**
 * A job's live log as a terminal: each poll asks
 * only for the lines after the cursor it holds and appends them, every 2 s while the job runs (and a little after,
 * for the last lines to arrive). It keeps to the bottom as lines come in unless the reader has scrolled up.
 */
export function LogView({ job, finishedAt }: { job: JobLog; finishedAt?: string }) {
  const queryClient = useQueryClient();
  const queryKey = jobLogKey(job);
  const log = useQuery({
    queryKey,
    // Continues from what is cached: a refetch appends, and a cancelled one is simply done again from there.
    queryFn: async (): Promise<LogState> => {
      const previous = queryClient.getQueryData<LogState>(queryKey);
      let lines = previous?.lines ?? [];
      let dropped = previous?.dropped ?? 0;
      let cursor = previous?.cursor;
      let running = previous?.running ?? true;
      for (let pages = 0; pages < MAX_PAGES_PER_FETCH; pages++) {
        const page = await readLog(job, cursor);
        lines = lines.concat(page.lines);
        cursor = page.nextCursor ?? cursor;
        running = page.running;
        if (!page.more) break;
      }
      if (lines.length > MAX_KEPT) {
        dropped += lines.length - MAX_KEPT;
        lines = lines.slice(-MAX_KEPT);
      }
      return { lines, dropped, running, ...(cursor !== undefined && { cursor }) };
    },
    refetchInterval: (query) => {
      const state = query.state.data;
      if (!state || state.running) return POLL_MS;
      return finishedAt && Date.now() - Date.parse(finishedAt) < SETTLE_MS ? POLL_MS : false;
    },
  });

  const box = useRef<HTMLDivElement>(null);
  const [following, setFollowing] = useState(true);
  const count = (log.data?.lines.length ?? 0) + (log.data?.dropped ?? 0);
  useLayoutEffect(() => {
    if (following && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [count, following]);

  const lines = log.data?.lines ?? [];
  const running = log.data?.running ?? true;
  return (
    <section className="flex flex-col gap-2" aria-labelledby="job-log-title">
      <div className="flex items-center justify-between gap-2">
        <h2 id="job-log-title" className="text-lg font-semibold">
          Log
        </h2>
        {!following ? (
          <button
            type="button"
            className="btn"
            onClick={() => {
              setFollowing(true);
              if (box.current) box.current.scrollTop = box.current.scrollHeight;
            }}
          >
            Follow the latest lines
          </button>
        ) : null}
      </div>
      <div
        ref={box}
        role="log"
        aria-live="polite"
        aria-label="Job log"
        tabIndex={0}
        onScroll={(e) => setFollowing(atBottom(e.currentTarget))}
        className="max-h-96 min-h-32 overflow-auto rounded-lg border border-slate-800 bg-slate-950 p-3 font-mono text-xs leading-5 text-slate-200 focus-visible:outline-2 focus-visible:outline-sky-600"
      >
        {log.data && log.data.dropped > 0 ? (
          <p className="text-slate-400">… {log.data.dropped} earlier lines not shown</p>
        ) : null}
        {lines.map((line, i) => {
          const shown = describeLogLine(line);
          return (
            <p
              key={i + (log.data?.dropped ?? 0)}
              className={`whitespace-pre-wrap break-words ${shown.error ? 'text-red-400' : ''}`}
            >
              <span className="text-slate-400">{shown.clock}</span>
              {'  '}
              <span className={shown.error ? 'font-semibold' : 'text-sky-300'}>{shown.label}</span>
              {'  '}
              {shown.text}
            </p>
          );
        })}
        {log.isPending ? <p className="text-slate-400">Loading the log…</p> : null}
        {!log.isPending && lines.length === 0 ? (
          <p className="text-slate-400">
            {running ? 'Waiting for the runner to start…' : 'No log lines were recorded.'}
          </p>
        ) : null}
        {log.isError ? <p className="text-red-400">Could not read the log: {errorMessage(log.error)}</p> : null}
        {running && lines.length > 0 ? (
          <p aria-hidden="true" className="animate-pulse text-slate-400">
            ▍
          </p>
        ) : null}
      </div>
    </section>
  );
}
