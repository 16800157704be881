import { useInfiniteQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import type { Page } from '../../../types/api.ts';
import type { AuditEvent } from '../../../types/audit.ts';
import { api } from '../api.ts';
import { formatAge, formatTime } from '../format.ts';
import { useDataSources } from '../queries.ts';
import { LoadFailed } from '../components/LoadFailed.tsx';

const PAGE_SIZE = 25;

const LINK = 'text-sky-700 underline dark:text-sky-400';

/** The entity an event is about, linked to its page where it has one. */
function Target({ event, sourceName }: { event: AuditEvent; sourceName: (id: string) => string | undefined }) {
  const id = <code className="block min-w-40 text-xs wrap-anywhere text-slate-500">{event.targetId}</code>;
  switch (event.targetType) {
    case 'backup':
      return (
        <>
          <Link className={LINK} to={`/backups/${event.targetId}`}>
            backup
          </Link>
          {id}
        </>
      );
    case 'restore':
      return (
        <>
          <Link className={LINK} to={`/restores/${event.targetId}`}>
            restore
          </Link>
          {id}
        </>
      );
    case 'schedule':
      return (
        <>
          <Link className={LINK} to="/schedules">
            schedule
          </Link>
          {id}
        </>
      );
    case 'dataSource':
      return (
        <>
          data source {sourceName(event.targetId) ?? ''}
          {id}
        </>
      );
  }
}

/**
 * Every mutating call, newest first: who, what, on which entity, and the event's own secret-free summary.
 * `GET /v1/audit` takes no filters (only `limit` and `cursor`), so neither does this page: it pages through.
 */
export function Audit() {
  const sources = useDataSources();
  const events = useInfiniteQuery({
    queryKey: ['audit'],
    initialPageParam: '',
    queryFn: ({ pageParam }) => {
      const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (pageParam) query.set('cursor', pageParam);
      return api.get<Page<AuditEvent>>(`/v1/audit?${query}`);
    },
    getNextPageParam: (last) => last.nextCursor,
  });
  const sourceName = (id: string) => sources.data?.items.find((s) => s.id === id)?.name;
  const items = events.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">Audit log</h1>
      <p className="text-sm text-slate-600 dark:text-slate-400">Every change made through the API, by whom; downloads are recorded too.</p>
      {events.isPending ? (
        <p role="status">Loading the audit log…</p>
      ) : events.isError ? (
        <LoadFailed what={`the audit log`} error={events.error} />
      ) : items.length === 0 ? (
        <div className="card">Nothing recorded yet: events appear here once something is changed.</div>
      ) : (
        <>
          <div className="card overflow-x-auto">
            <table className="table">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Principal</th>
                  <th>Action</th>
                  <th>Target</th>
                  <th>Details</th>
                </tr>
              </thead>
              <tbody>
                {items.map((e) => (
                  <tr key={e.id}>
                    <td className="whitespace-nowrap tabular-nums">
                      {formatTime(e.at)}
                      <span className="block text-xs text-slate-500">{formatAge(e.at)}</span>
                    </td>
                    <td>
                      {/* An IAM ARN has no spaces: it may break anywhere, but the column stays readable. */}
                      <span className="block min-w-40 wrap-anywhere">{e.principal}</span>
                    </td>
                    <td>
                      <code className="text-xs">{e.action}</code>
                    </td>
                    <td>
                      <Target event={e} sourceName={sourceName} />
                    </td>
                    <td>
                      <span className="block min-w-48 wrap-anywhere">{e.summary ?? '—'}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {events.hasNextPage ? (
            <button type="button" className="btn self-center" onClick={() => void events.fetchNextPage()} disabled={events.isFetchingNextPage}>
              {events.isFetchingNextPage ? 'Loading…' : 'Load more'}
            </button>
          ) : null}
        </>
      )}
    </section>
  );
}
