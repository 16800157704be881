import { useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { ListAuditQuery, ListedAuditEvent } from '../../../types/apiAudit.ts';
import { AuditTargetTypeSchema, type AuditTargetType } from '../../../types/audit.ts';
import { api } from '../api.ts';
import { ENTITY_NOUNS, entityName, principalLabel, refOf, summaryText } from '../auditText.ts';
import { CardLabel, CARD_CELL, CARD_ROW, CARD_THEAD } from '../components/CardTable.tsx';
import { Field } from '../components/Field.tsx';
import { formatAge, formatTime, shortId } from '../format.ts';
import { LoadFailed } from '../components/LoadFailed.tsx';

const PAGE_SIZE = 25;

const LINK = 'text-sky-700 underline dark:text-sky-400';

/** Where an entity's page is; data sources and schedules are listed on their pages. */
const PAGES: Record<AuditTargetType, (id: string) => string> = {
  dataSource: () => '/data-sources',
  schedule: () => '/schedules',
  backup: (id) => `/backups/${id}`,
  restore: (id) => `/restores/${id}`,
};

/**
 * The entity an event is about, by name (see `entityName`), linked while it exists, its id cut short beneath; the
 * whole id is in the title, so the record stays exact. A deleted one's name already carries its short id.
 */
function Target({ event }: { event: ListedAuditEvent }) {
  const name = entityName(event.refs, event.targetType, event.targetId);
  const exists = refOf(event.refs, event.targetType, event.targetId) !== undefined;
  return (
    <>
      <span className="block text-xs text-slate-600 dark:text-slate-300">{ENTITY_NOUNS[event.targetType]}</span>
      {exists ? (
        <>
          <Link className={`${LINK} wrap-anywhere`} to={PAGES[event.targetType](event.targetId)}>
            {name}
          </Link>
          <code className="block text-xs text-slate-500" title={event.targetId}>
            {shortId(event.targetId)}
          </code>
        </>
      ) : (
        <span className="wrap-anywhere" title={event.targetId}>
          {name}
        </span>
      )}
    </>
  );
}

const TARGET_LABELS: Record<AuditTargetType, string> = {
  dataSource: 'Data source',
  schedule: 'Schedule',
  backup: 'Backup',
  restore: 'Restore',
};

/**
 * The filters as the URL keeps them: days (local, as the table shows times) and the API's own names. `principal` is
 * exact, set by clicking a person; `principalContains` is what was typed.
 */
const FILTER_KEYS = ['from', 'to', 'principal', 'principalContains', 'targetType', 'targetId'] as const;
type Filter = Record<(typeof FILTER_KEYS)[number], string>;

function filterOf(params: URLSearchParams): Filter {
  return Object.fromEntries(FILTER_KEYS.map((key) => [key, params.get(key) ?? ''])) as Filter;
}

/** `GET /v1/audit` query for a filter: a local day from its first to its last millisecond. */
function auditQuery(filter: Filter, cursor: string): ListAuditQuery {
  return {
    limit: PAGE_SIZE,
    from: filter.from ? new Date(`${filter.from}T00:00:00`).toISOString() : undefined,
    to: filter.to ? new Date(`${filter.to}T23:59:59.999`).toISOString() : undefined,
    principal: filter.principal || undefined,
    principalContains: filter.principalContains || undefined,
    // As the URL has it: the client checks it against the API's types and names it when it is none of them.
    targetType: (filter.targetType || undefined) as AuditTargetType | undefined,
    targetId: filter.targetId || undefined,
    cursor: cursor || undefined,
  };
}

/**
 * The filter form: edits stay in the form until applied, then live in the URL (shareable, back/forward). The
 * principal field finds any part of a principal or of a person's e-mail address, in any case; it shows the exact
 * principal a click on a person chose until it is edited.
 */
function FilterBar({ applied, onApply }: { applied: Filter; onApply: (filter: Filter) => void }) {
  const [draft, setDraft] = useState(applied);
  const set = (key: keyof Filter) => (e: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [key]: e.target.value }));
  const filtered = FILTER_KEYS.some((key) => applied[key]);
  // An id means nothing without its kind of entity: the API would refuse it.
  const submit = (next: Filter) => onApply(next.targetType ? next : { ...next, targetId: '' });
  return (
    <form
      role="search"
      aria-label="Filter the audit log"
      className="card grid gap-3 sm:grid-cols-2 lg:grid-cols-[repeat(5,minmax(0,1fr))_auto]"
      onSubmit={(e) => {
        e.preventDefault();
        submit({ ...draft, principalContains: draft.principalContains.trim() });
      }}
    >
      <Field label="From">
        <input className="input" type="date" value={draft.from} max={draft.to || undefined} onChange={set('from')} />
      </Field>
      <Field label="To">
        <input className="input" type="date" value={draft.to} min={draft.from || undefined} onChange={set('to')} />
      </Field>
      <Field label="Principal or e-mail" hint="Any part of it, in any case">
        <input
          className="input"
          type="text"
          value={draft.principal || draft.principalContains}
          onChange={(e) => setDraft((d) => ({ ...d, principal: '', principalContains: e.target.value }))}
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
    </form>
  );
}

/** Who did it: a person's e-mail or "Retention" over the recorded principal, a click showing only theirs. */
function Principal({ event, onPick }: { event: ListedAuditEvent; onPick: () => void }) {
  const label = principalLabel(event);
  return (
    <>
      {/* An IAM ARN has no spaces: it may break anywhere, but the column stays readable. */}
      <button
        type="button"
        className={`${LINK} block cursor-pointer text-left wrap-anywhere`}
        title={`Show only the events of ${event.principal}`}
        onClick={onPick}
      >
        {label ?? event.principal}
      </button>
      {label ? <span className="block text-xs wrap-anywhere text-slate-500">{event.principal}</span> : null}
    </>
  );
}

/**
 * Every mutating call, newest first: who, what, on which entity, and the event's own secret-free summary, with
 * entities named as they are now and schedules' times in words (the recorded text in the summary's title);
 * filtered by date, principal and target (kept in the URL, like the Backups page), a page at a time. Below the md
 * breakpoint the rows stack as cards, so a phone never scrolls sideways.
 */
export function Audit() {
  const [params, setParams] = useSearchParams();
  const filter = filterOf(params);
  const filtered = FILTER_KEYS.some((key) => filter[key]);
  const events = useInfiniteQuery({
    queryKey: ['audit', filter],
    initialPageParam: '',
    queryFn: ({ pageParam }) => api.listAudit(auditQuery(filter, pageParam)),
    getNextPageParam: (last) => last.nextCursor,
  });
  // A filter the API matches after reading (a part of a principal; a principal with a target type) may answer a
  // page without matches while older events hold some: look further until one comes or the log ends.
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
  const items = events.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">Audit log</h1>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Every change made through the API, by whom; downloads are recorded too.
      </p>
      <FilterBar key={params.toString()} applied={filter} onApply={apply} />
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
          <div className="card md:overflow-x-auto">
            <table className="table">
              <thead className={CARD_THEAD}>
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
                  <tr key={e.id} className={CARD_ROW}>
                    <td className={`${CARD_CELL} tabular-nums md:whitespace-nowrap`}>
                      <CardLabel>Time</CardLabel>
                      {formatTime(e.at)}
                      <span className="block text-xs text-slate-500">{formatAge(e.at)}</span>
                    </td>
                    <td className={`${CARD_CELL} md:min-w-40`}>
                      <CardLabel>Principal</CardLabel>
                      <Principal
                        event={e}
                        onPick={() => apply({ ...filter, principal: e.principal, principalContains: '' })}
                      />
                    </td>
                    <td className={CARD_CELL}>
                      <CardLabel>Action</CardLabel>
                      <code className="text-xs">{e.action}</code>
                    </td>
                    <td className={`${CARD_CELL} md:min-w-48`}>
                      <CardLabel>Target</CardLabel>
                      <Target event={e} />
                    </td>
                    <td className={`${CARD_CELL} md:min-w-48`}>
                      <CardLabel>Details</CardLabel>
                      {e.summary ? (
                        <span className="block wrap-anywhere" title={e.summary}>
                          {summaryText(e.summary, e.refs)}
                        </span>
                      ) : (
                        '—'
                      )}
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
