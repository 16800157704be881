import { useInfiniteQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import type { Restore } from '../../../types/restore.ts';
import { api } from '../api.ts';
import { Field } from '../components/Field.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { formatDuration, formatTime, shortId } from '../format.ts';
import { pollWhileActive, useDataSources } from '../queries.ts';
import { restoreTags, type RestoreTag } from '../rollback.ts';
import { CardLabel, CARD_CELL, CARD_ROW, CARD_THEAD } from '../components/CardTable.tsx';
import { LoadFailed } from '../components/LoadFailed.tsx';
import { SourceOptions } from '../components/SourceOptions.tsx';

const PAGE_SIZE = 25;

/**
 * Restore history, newest first, optionally into one target source (the one filter `GET /v1/restores` takes,
 * kept in the URL). Followed every 2 s while any listed restore is queued or running. Rows stack as labelled cards
 * below the md breakpoint.
 */
export function Restores() {
  const [params, setParams] = useSearchParams();
  const targetSourceId = params.get('targetSourceId') ?? '';
  const sources = useDataSources();
  const restores = useInfiniteQuery({
    queryKey: ['restores', { targetSourceId }],
    initialPageParam: '',
    queryFn: ({ pageParam }) =>
      api.listRestores({
        limit: PAGE_SIZE,
        targetSourceId: targetSourceId || undefined,
        cursor: pageParam || undefined,
      }),
    getNextPageParam: (last) => last.nextCursor,
    refetchInterval: (query) => pollWhileActive(query.state.data?.pages.flatMap((p) => p.items)),
  });
  const setTarget = (value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set('targetSourceId', value);
    else next.delete('targetSourceId');
    setParams(next);
  };
  const nameOf = (id: string) => sources.data?.items.find((s) => s.id === id)?.name ?? id;
  const items = restores.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">Restores</h1>
      <div className="grid gap-3 sm:grid-cols-3" role="search">
        <Field label="Target source">
          <select className="input" value={targetSourceId} onChange={(e) => setTarget(e.target.value)}>
            <option value="">All sources</option>
            <SourceOptions sources={sources.data?.items} />
          </select>
        </Field>
      </div>
      {restores.isPending ? (
        <p role="status">Loading restores…</p>
      ) : restores.isError ? (
        <LoadFailed what={`restores`} error={restores.error} />
      ) : items.length === 0 ? (
        <div className="card">
          No restores {targetSourceId ? 'into this source ' : ''}yet. Restore a backup from the Backups page.
        </div>
      ) : (
        <>
          <div className="card md:overflow-x-auto">
            <table className="table">
              <thead className={CARD_THEAD}>
                <tr>
                  <th>Requested</th>
                  <th>Backup</th>
                  <th>Target</th>
                  <th>Status</th>
                  <th>Started / finished</th>
                  <th className="text-right">Duration</th>
                  <th>Safety backup</th>
                </tr>
              </thead>
              <tbody>
                {items.map((r) => (
                  <tr key={r.id} className={CARD_ROW}>
                    <td className={CARD_CELL}>
                      <Link className="text-sky-700 underline dark:text-sky-400" to={`/restores/${r.id}`}>
                        {formatTime(r.createdAt)}
                      </Link>
                      <span className="block text-xs break-all text-slate-500" title={r.requestedBy}>
                        {r.requestedByName ?? r.requestedBy}
                      </span>
                    </td>
                    <td className={CARD_CELL}>
                      <CardLabel>Backup</CardLabel>
                      <Link
                        className="text-sky-700 underline dark:text-sky-400"
                        to={`/backups/${r.backupId}`}
                        title={`Backup ${r.backupId}`}
                      >
                        {nameOf(r.sourceId)}
                      </Link>
                      <code className="block text-xs text-slate-500">{shortId(r.backupId)}</code>
                    </td>
                    <td className={CARD_CELL}>
                      <CardLabel>Target</CardLabel>
                      {nameOf(r.targetSourceId)}
                      <span className="block text-xs break-all text-slate-500">{r.targetDatabase}</span>
                    </td>
                    <td className={CARD_CELL}>
                      <CardLabel>Status</CardLabel>
                      <StatusBadge status={r.status} />
                      <RestoreTagList restore={r} />
                      {r.error ? (
                        <span
                          className="block text-xs break-words text-red-700 md:max-w-xs md:truncate dark:text-red-400"
                          title={r.error}
                        >
                          {r.error}
                        </span>
                      ) : null}
                    </td>
                    <td className={`${CARD_CELL} tabular-nums`}>
                      <CardLabel>Started / finished</CardLabel>
                      {formatTime(r.startedAt)}
                      <span className="block text-xs text-slate-500">{formatTime(r.finishedAt)}</span>
                    </td>
                    <td className={`${CARD_CELL} tabular-nums md:text-right`}>
                      <CardLabel>Duration</CardLabel>
                      {formatDuration(r.durationMs)}
                    </td>
                    <td className={CARD_CELL}>
                      <CardLabel>Safety backup</CardLabel>
                      {r.safetyBackupId ? (
                        <Link
                          className="text-sky-700 underline dark:text-sky-400"
                          to={`/backups/${r.safetyBackupId}`}
                          title={`Safety backup of ${r.targetDatabase} taken before this restore`}
                        >
                          <code className="text-xs">{shortId(r.safetyBackupId)}</code>
                        </Link>
                      ) : r.safetyBackupKey ? (
                        <code className="text-xs break-all">{r.safetyBackupKey}</code>
                      ) : (
                        '—'
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {restores.hasNextPage ? (
            <button
              type="button"
              className="btn self-center"
              onClick={() => void restores.fetchNextPage()}
              disabled={restores.isFetchingNextPage}
            >
              {restores.isFetchingNextPage ? 'Loading…' : 'Load more'}
            </button>
          ) : null}
        </>
      )}
    </section>
  );
}

const TAG_TONES: Record<RestoreTag['tone'], string> = {
  info: 'bg-sky-100 text-sky-800 dark:bg-sky-900 dark:text-sky-100',
  good: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100',
  bad: 'bg-red-100 text-red-800 dark:bg-red-900 dark:text-red-100',
};

/** The restore's rollback tags (rollback, rolled back, automatic rollback's outcome), each with its explanation. */
function RestoreTagList({ restore }: { restore: Restore }) {
  return restoreTags(restore).map((tag) => (
    <span
      key={tag.label}
      title={tag.title}
      className={`mt-1 mr-1 inline-block rounded-full px-2 py-0.5 text-xs font-medium ${TAG_TONES[tag.tone]}`}
    >
      {tag.label}
      <span className="sr-only">: {tag.title}</span>
    </span>
  ));
}
