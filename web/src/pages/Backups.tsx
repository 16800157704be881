import { useInfiniteQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { BackupStatusSchema, type BackupStatus } from '../../../types/backup.ts';
import { api } from '../api.ts';
import { BackupActions } from '../components/BackupActions.tsx';
import { BackupTable } from '../components/BackupTable.tsx';
import { Field } from '../components/Field.tsx';
import { pollBackups, useDataSources, useVerifyWatches } from '../queries.ts';
import { LoadFailed } from '../components/LoadFailed.tsx';
import { SourceOptions } from '../components/SourceOptions.tsx';

const PAGE_SIZE = 25;

/** Backup history, filterable by source, status and date (kept in the URL so a filtered view can be shared). */
export function Backups() {
  const [params, setParams] = useSearchParams();
  const filter = {
    sourceId: params.get('sourceId') ?? '',
    status: params.get('status') ?? '',
    from: params.get('from') ?? '',
  };
  const sources = useDataSources();
  const watches = useVerifyWatches();
  const backups = useInfiniteQuery({
    queryKey: ['backups', filter],
    initialPageParam: '',
    queryFn: ({ pageParam }) =>
      api.listBackups({
        limit: PAGE_SIZE,
        sourceId: filter.sourceId || undefined,
        // As the URL has it: the client checks it against the API's statuses and names it when it is none of them.
        status: (filter.status || undefined) as BackupStatus | undefined,
        from: filter.from ? new Date(`${filter.from}T00:00:00`).toISOString() : undefined,
        cursor: pageParam || undefined,
      }),
    getNextPageParam: (last) => last.nextCursor,
    // Follows running backups and verifications without a reload.
    refetchInterval: (query) =>
      pollBackups(
        query.state.data?.pages.flatMap((p) => p.items),
        watches,
      ),
  });
  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next);
  };
  const items = backups.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">Backups</h1>
      <div className="grid gap-3 sm:grid-cols-3" role="search">
        <Field label="Source">
          <select className="input" value={filter.sourceId} onChange={(e) => setFilter('sourceId', e.target.value)}>
            <option value="">All sources</option>
            <SourceOptions sources={sources.data?.items} />
          </select>
        </Field>
        <Field label="Status">
          <select className="input" value={filter.status} onChange={(e) => setFilter('status', e.target.value)}>
            <option value="">Any status</option>
            {BackupStatusSchema.options.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Since">
          <input
            className="input"
            type="date"
            value={filter.from}
            onChange={(e) => setFilter('from', e.target.value)}
          />
        </Field>
      </div>
      {backups.isPending ? (
        <p role="status">Loading backups…</p>
      ) : backups.isError ? (
        <LoadFailed what={`backups`} error={backups.error} />
      ) : items.length === 0 ? (
        <div className="card">No backups match. Back a data source up from the Data sources page.</div>
      ) : (
        <>
          <BackupTable
            backups={items}
            sources={sources.data?.items ?? []}
            actions={(b) => <BackupActions backup={b} />}
          />
          {backups.hasNextPage ? (
            <button
              type="button"
              className="btn self-center"
              onClick={() => void backups.fetchNextPage()}
              disabled={backups.isFetchingNextPage}
            >
              {backups.isFetchingNextPage ? 'Loading…' : 'Load more'}
            </button>
          ) : null}
        </>
      )}
    </section>
  );
}
