import { useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { Page } from '../../../types/api.ts';
import type { ListedAuditEvent } from '../../../types/apiAudit.ts';
import { AuditTargetTypeSchema, type AuditEvent, type AuditTargetType } from '../../../types/audit.ts';
import { api } from '../api.ts';
import { Field } from '../components/Field.tsx';
import { formatAge, formatTime } from '../format.ts';
import { emailInPrincipalFilter } from '../principalFilter.ts';
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

const TARGET_LABELS: Record<AuditTargetType, string> = {
  dataSource: 'Data source',
  schedule: 'Schedule',
  backup: 'Backup',
  restore: 'Restore',
};

/** The filters as the URL keeps them: days (local, as the table shows times) and the API's own names. */
const FILTER_KEYS = ['from', 'to', 'principal', 'targetType', 'targetId'] as const;
type Filter = Record<(typeof FILTER_KEYS)[number], string>;

function filterOf(params: URLSearchParams): Filter {
  return Object.fromEntries(FILTER_KEYS.map((key) => [key, params.get(key) ?? ''])) as Filter;
}

/** `GET /v1/audit` query for a filter: a local day from its first to its last millisecond. */
function auditQuery(filter: Filter, cursor: string): URLSearchParams {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (filter.from) query.set('from', new Date(`${filter.from}T00:00:00`).toISOString());
  if (filter.to) query.set('to', new Date(`${filter.to}T23:59:59.999`).toISOString());
  for (const key of ['principal', 'targetType', 'targetId'] as const) if (filter[key]) query.set(key, filter[key]);
  if (cursor) query.set('cursor', cursor);
  return query;
}

/**
 * The filter form: edits stay in the form until applied, then live in the URL (shareable, back/forward). The
 * principal filter matches recorded principals only: an e-mail address typed there gets an explanation, and the
 * principal the listed events show under that address when they show one.
 */
function FilterBar({
  applied,
  onApply,
  listed,
}: {
  applied: Filter;
  onApply: (filter: Filter) => void;
  listed: readonly ListedAuditEvent[];
}) {
  const [draft, setDraft] = useState(applied);
  const set = (key: keyof Filter) => (e: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [key]: e.target.value }));
  const filtered = FILTER_KEYS.some((key) => applied[key]);
  const email = emailInPrincipalFilter(draft.principal, listed);
  const emailsPrincipal = email?.principal;
  // An id means nothing without its kind of entity: the API would refuse it.
  const submit = (next: Filter) => onApply(next.targetType ? next : { ...next, targetId: '' });
  return (
    <form
      role="search"
      aria-label="Filter the audit log"
      className="card grid gap-3 sm:grid-cols-2 lg:grid-cols-[repeat(5,minmax(0,1fr))_auto]"
      onSubmit={(e) => {
        e.preventDefault();
        submit(draft);
      }}
    >
      <Field label="From">
        <input className="input" type="date" value={draft.from} max={draft.to || undefined} onChange={set('from')} />
      </Field>
      <Field label="To">
        <input className="input" type="date" value={draft.to} min={draft.from || undefined} onChange={set('to')} />
      </Field>
      <Field label="Principal">
        <input
          className="input"
          type="text"
          value={draft.principal}
          onChange={set('principal')}
          placeholder="Anyone"
          spellCheck={false}
        />
      </Field>
      <Field label="Target type">
        <select className="input" value={draft.targetType} onChange={set('targetType')}>
          <option value="">Any target</option>
          {AuditTargetTypeSchema.options.map((type) => (
            <option key={type} value={type}>
              {TARGET_LABELS[type]}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Target id" hint={draft.targetType ? undefined : 'Pick a target type first'}>
        <input
          className="input"
          type="text"
          value={draft.targetId}
          onChange={set('targetId')}
          disabled={!draft.targetType}
          spellCheck={false}
        />
      </Field>
      <div className="flex items-end gap-2">
        <button type="submit" className="btn btn-primary">
          Filter
        </button>
        {filtered ? (
          <button
            type="button"
            className="btn"
            onClick={() => onApply(Object.fromEntries(FILTER_KEYS.map((key) => [key, ''])) as Filter)}
          >
            Clear
          </button>
        ) : null}
      </div>
      {email ? (
        <p role="status" className="col-span-full text-sm text-amber-800 dark:text-amber-300">
          The principal filter takes a principal (such as cognito:… or an IAM ARN), not an e-mail address.{' '}
          {emailsPrincipal ? (
            <button
              type="button"
              className={`${LINK} cursor-pointer`}
              onClick={() => submit({ ...draft, principal: emailsPrincipal })}
            >
              Show the events of {draft.principal.trim()}
            </button>
          ) : (
            'Click a person in the list to show only their events.'
          )}
        </p>
      ) : null}
    </form>
  );
}

/**
 * Every mutating call, newest first: who, what, on which entity, and the event's own secret-free summary;
 * filtered by date, principal and target (kept in the URL, like the Backups page), a page at a time.
 */
export function Audit() {
  const [params, setParams] = useSearchParams();
  const filter = filterOf(params);
  const filtered = FILTER_KEYS.some((key) => filter[key]);
  const sources = useDataSources();
  const events = useInfiniteQuery({
    queryKey: ['audit', filter],
    initialPageParam: '',
    queryFn: ({ pageParam }) => api.get<Page<ListedAuditEvent>>(`/v1/audit?${auditQuery(filter, pageParam)}`),
    getNextPageParam: (last) => last.nextCursor,
  });
  // A principal with a target type is filtered after reading: a page may hold no match while older ones do.
  const lastPage = events.data?.pages.at(-1);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = events;
  useEffect(() => {
    if (lastPage?.items.length === 0 && hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [lastPage, hasNextPage, isFetchingNextPage, fetchNextPage]);
  const apply = (next: Filter) => {
    const query = new URLSearchParams(params);
    for (const key of FILTER_KEYS) {
      if (next[key]) query.set(key, next[key]);
      else query.delete(key);
    }
    setParams(query);
  };
  const sourceName = (id: string) => sources.data?.items.find((s) => s.id === id)?.name;
  const items = events.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">Audit log</h1>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Every change made through the API, by whom; downloads are recorded too.
      </p>
      <FilterBar key={params.toString()} applied={filter} onApply={apply} listed={items} />
      {events.isPending ? (
        <p role="status">Loading the audit log…</p>
      ) : events.isError ? (
        <LoadFailed what={`the audit log`} error={events.error} />
      ) : items.length === 0 && hasNextPage ? (
        <p role="status">Looking further back…</p>
      ) : items.length === 0 ? (
        <div className="card">
          {filtered
            ? 'No events match these filters.'
            : 'Nothing recorded yet: events appear here once something is changed.'}
        </div>
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
                      <button
                        type="button"
                        className={`${LINK} block min-w-40 cursor-pointer text-left wrap-anywhere`}
                        title={`Show only the events of ${e.principal}`}
                        onClick={() => apply({ ...filter, principal: e.principal })}
                      >
                        {e.principalName ?? e.principal}
                      </button>
                      {e.principalName ? (
                        <span className="block text-xs wrap-anywhere text-slate-500">{e.principal}</span>
                      ) : null}
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
          {hasNextPage ? (
            <button
              type="button"
              className="btn self-center"
              onClick={() => void fetchNextPage()}
              disabled={isFetchingNextPage}
            >
              {isFetchingNextPage ? 'Loading…' : 'Load more'}
            </button>
          ) : null}
        </>
      )}
    </section>
  );
}
