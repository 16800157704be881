import { useEffect, type ReactNode } from 'react';
import { Link } from 'react-router';
import { LogView } from './LogView.tsx';

/**
 * The page of one backup or restore: a way back to its list, its kind and title (also the browser tab's: "source ·
 * database · time" tells tabs apart where ids do not), its actions, its error (when it failed) and other notices,
 * its record as label/value rows, any further sections (`children`) and the runner's live log.
 */
export function JobDetail({
  kind,
  back,
  title,
  actions,
  error,
  notices,
  rows,
  children,
  id,
  finishedAt,
}: {
  kind: 'Backup' | 'Restore';
  back: { readonly to: string; readonly label: string };
  title: string;
  actions?: ReactNode;
  error: string | undefined;
  notices?: ReactNode;
  rows: readonly (readonly [string, ReactNode])[];
  children?: ReactNode;
  id: string;
  finishedAt: string | undefined;
}) {
  useEffect(() => {
    document.title = `${title} — ${kind} — Keepsake`;
    return () => {
      document.title = 'Keepsake';
    };
  }, [title, kind]);
  return (
    <section className="flex flex-col gap-4">
      <p>
        <Link className="text-sm text-sky-700 underline dark:text-sky-400" to={back.to}>
          ← {back.label}
        </Link>
      </p>
      <div className="flex flex-wrap items-end justify-between gap-2">
        <div className="min-w-0">
          <p className="text-sm font-medium text-slate-600 dark:text-slate-300">{kind}</p>
          <h1 className="text-2xl font-semibold break-words">{title}</h1>
        </div>
        {actions}
      </div>
      {error ? (
        <p
          role="alert"
          className="rounded-md border border-red-600 bg-red-50 p-3 text-sm text-red-900 dark:bg-red-950 dark:text-red-100"
        >
          {error}
        </p>
      ) : null}
      {notices}
      <dl className="card grid gap-x-6 gap-y-2 sm:grid-cols-[10rem_1fr]">
        {rows.map(([label, value]) => (
          <div key={label} className="contents">
            <dt className="text-sm font-medium text-slate-500">{label}</dt>
            <dd className="text-sm">{value}</dd>
          </div>
        ))}
      </dl>
      {children}
      <LogView job={{ kind, id }} finishedAt={finishedAt} />
    </section>
  );
}
