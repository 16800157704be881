import { Component, lazy, Suspense, type ReactNode } from 'react';
import type { DailyStats } from '../../../types/stats.ts';
import { formatBytes } from '../format.ts';

// uPlot is loaded with the charts, after the page: the main bundle only carries these cards and their tables.
const StorageChart = lazy(() => import('./UplotCharts.tsx').then((m) => ({ default: m.StorageChart })));
const BackupsChart = lazy(() => import('./UplotCharts.tsx').then((m) => ({ default: m.BackupsChart })));

/** A chart whose code cannot be loaded (offline, a deployment replaced it) leaves its table, not a broken page. */
class ChartBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override render() {
    return this.state.failed ? (
      <p className="text-sm text-slate-500">The chart could not be loaded: the table below has its numbers.</p>
    ) : (
      this.props.children
    );
  }
}

interface Column {
  readonly header: string;
  readonly cell: (day: DailyStats) => string;
}

/** A chart's card: its title, the chart (or why there is none) and the same numbers as a table on demand. */
function ChartCard({
  title,
  empty,
  chart,
  columns,
  daily,
}: {
  title: string;
  empty: string | undefined;
  chart: ReactNode;
  columns: readonly Column[];
  daily: readonly DailyStats[];
}) {
  return (
    <section className="card flex min-w-0 flex-col gap-2" aria-label={title}>
      <h2 className="font-semibold">{title}</h2>
      {empty ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">{empty}</p>
      ) : (
        <ChartBoundary>
          <Suspense
            fallback={
              <p role="status" className="flex h-56 items-center justify-center text-sm text-slate-500">
                Loading the chart…
              </p>
            }
          >
            {chart}
          </Suspense>
        </ChartBoundary>
      )}
      <details className="text-sm">
        <summary className="cursor-pointer text-sky-700 dark:text-sky-400">Show as table</summary>
        <div className="mt-2 max-h-72 overflow-auto">
          <table className="table">
            <caption className="sr-only">{title}, by UTC day</caption>
            <thead>
              <tr>
                <th scope="col">Day (UTC)</th>
                {columns.map((c) => (
                  <th key={c.header} scope="col" className="text-right">
                    {c.header}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {daily.map((d) => (
                <tr key={d.day}>
                  <th scope="row" className="border-slate-100 font-normal tabular-nums dark:border-slate-800">
                    {d.day}
                  </th>
                  {columns.map((c) => (
                    <td key={c.header} className="text-right tabular-nums">
                      {c.cell(d)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </section>
  );
}

const sum = (daily: readonly DailyStats[], pick: (d: DailyStats) => number) =>
  daily.reduce((total, d) => total + pick(d), 0);

/** "Storage, last 30 days" and "Backups per day", from the stats' daily series (oldest first). */
export function DashboardCharts({ daily }: { daily: readonly DailyStats[] }) {
  const first = daily[0];
  const last = daily.at(-1);
  const succeeded = sum(daily, (d) => d.counts.succeeded);
  const failed = sum(daily, (d) => d.counts.failed);
  const storageLabel = `Storage, last ${daily.length} days: ${formatBytes(first?.storedBytes)} on ${first?.day ?? '—'}, ${formatBytes(last?.storedBytes)} today`;
  const backupsLabel = `Backups per day, last ${daily.length} days: ${succeeded} succeeded, ${failed} failed`;
  return (
    <div className="grid gap-3 lg:grid-cols-2">
      <ChartCard
        title={`Storage, last ${daily.length} days`}
        empty={daily.every((d) => d.storedBytes === 0) ? 'Nothing stored in this period.' : undefined}
        chart={<StorageChart daily={daily} label={storageLabel} />}
        columns={[{ header: 'Stored at end of day', cell: (d) => formatBytes(d.storedBytes) }]}
        daily={daily}
      />
      <ChartCard
        title="Backups per day"
        empty={succeeded + failed === 0 ? `No backup finished in the last ${daily.length} days.` : undefined}
        chart={<BackupsChart daily={daily} label={backupsLabel} />}
        columns={[
          { header: 'Succeeded', cell: (d) => String(d.counts.succeeded) },
          { header: 'Failed', cell: (d) => String(d.counts.failed) },
        ]}
        daily={daily}
      />
    </div>
  );
}
